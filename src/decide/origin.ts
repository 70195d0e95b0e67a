/**
 * Where an access list's entry came from: the named lists it was taken
 * through, from the one the acl's `entries` names to the one that holds the
 * literal, each with where it is defined (an include file's line and
 * column). The model keeps each entry's own span; this reads the AST of the
 * host's statements for the list definitions around it.
 */
import type { AclModel, Entry } from "../check/model.js";
import type { Span } from "../diagnostics/diagnostic.js";
import type { SourceFile } from "../diagnostics/source.js";
import type { ListDef } from "../syntax/ast.js";
import { eachRef } from "../syntax/build.js";
import type { Located } from "../syntax/load.js";
import type { HostItem } from "../syntax/ast.js";
import type { EntryOrigin } from "./pam.js";

interface Def {
  file: SourceFile;
  node: ListDef;
  refs: string[];
}

/** An EntryOrigin over one model's statements (the shared top level and its host block). */
export function entryOrigins(items: readonly Located<HostItem>[]): EntryOrigin {
  const defs = new Map<string, Def>();
  const byFile = new Map<SourceFile, Def[]>();
  const acls = new Map<string, string[]>();
  for (const { file, node } of items) {
    if (node.kind === "ListDef") {
      const key = `${node.listKind} ${node.name.value}`;
      if (defs.has(key)) continue;
      const refs: string[] = [];
      eachRef(node, (name) => refs.push(`${node.listKind} ${name}`));
      const def = { file, node, refs };
      defs.set(key, def);
      let list = byFile.get(file);
      if (!list) byFile.set(file, (list = []));
      list.push(def);
    }
    if (node.kind === "Service")
      for (const it of node.items) {
        if (it.kind !== "Acl") continue;
        const refs: string[] = [];
        for (const s of it.items) if (s.name.value === "entries") eachRef(s, (name) => refs.push(name));
        acls.set(`${file.path}\0${it.loc.start}`, refs);
      }
  }
  const span = (d: Def): Span => ({ file: d.file, start: d.node.name.loc.start, end: d.node.name.loc.end });
  return (entry: Entry, acl: AclModel) => {
    const holder = byFile.get(entry.file)?.find((d) => d.node.loc.start <= entry.start && entry.end <= d.node.loc.end);
    if (!holder) return [];
    const kind = holder.node.listKind;
    const target = `${kind} ${holder.node.name.value}`;
    // The shortest path of references from the acl's entries to the list that holds the literal.
    const start = (acls.get(`${acl.span.file.path}\0${acl.span.start}`) ?? []).map((n) => `${kind} ${n}`);
    const prev = new Map<string, string | null>(start.map((k) => [k, null]));
    const queue = [...start];
    while (queue.length) {
      const k = queue.shift()!;
      if (k === target) break;
      for (const r of defs.get(k)?.refs ?? []) {
        if (prev.has(r)) continue;
        prev.set(r, k);
        queue.push(r);
      }
    }
    if (!prev.has(target)) return [{ name: holder.node.name.value, span: span(holder) }];
    const path: Def[] = [];
    for (let k: string | null = target; k !== null; k = prev.get(k) ?? null) path.unshift(defs.get(k)!);
    return path.map((d) => ({ name: d.node.name.value, span: span(d) }));
  };
}

/** How an acl's `entries` setting is written: the named lists it names and its literals, in order. */
export function aclTerms(items: readonly Located<HostItem>[]): (acl: AclModel) => { lists: string[]; literals: string[] } {
  const terms = new Map<string, { lists: string[]; literals: string[] }>();
  for (const { file, node } of items) {
    if (node.kind !== "Service") continue;
    for (const it of node.items) {
      if (it.kind !== "Acl") continue;
      const t = { lists: [] as string[], literals: [] as string[] };
      for (const s of it.items)
        if (s.name.value === "entries")
          for (const v of s.values) (v.kind === "Ref" ? t.lists : t.literals).push(v.kind === "Ref" ? v.name : v.value);
      terms.set(`${file.path}\0${it.loc.start}`, t);
    }
  }
  return (acl) => terms.get(`${acl.span.file.path}\0${acl.span.start}`) ?? { lists: [], literals: acl.entries.values() };
}
