/**
 * Which statements make up each model, and the one definition of "the first
 * of each name wins" that lowering and the rules about names both use:
 * lowering keeps the first and passes over the rest without a word; the
 * rules in rules/ (UniqueListRule, UniqueServiceRule, UniqueHostRule,
 * SinglePlatformRule, SingleMailRule) report them.
 */
import type { Span } from "../diagnostics/diagnostic.js";
import type { HostItem, Statement } from "../syntax/ast.js";
import type { Located, Program } from "../syntax/load.js";
import * as v from "./values.js";

type HostBlock = Located<Extract<Statement, { kind: "Host" }>>;

/** The statements of one model: the shared top level, plus one host block's own. */
export interface Scope {
  host: { name: string; span: Span } | null;
  items: Located<HostItem>[];
}

/** Items in order, each with the earlier item of the same key when there is one. */
export function firstOfEach<T>(items: readonly T[], key: (item: T) => string | null): { item: T; prior: T | undefined }[] {
  const seen = new Map<string, T>();
  const out: { item: T; prior: T | undefined }[] = [];
  for (const item of items) {
    const k = key(item);
    if (k === null) continue;
    const prior = seen.get(k);
    if (prior === undefined) seen.set(k, item);
    out.push({ item, prior });
  }
  return out;
}

/** A host block's name, as a span. */
export function hostNameSpan(h: HostBlock): Span {
  return { file: h.file, ...h.node.name.loc };
}

/** Why a host block's name is refused (lowering reports it), or undefined. */
export function hostNameReason(h: HostBlock): string | undefined {
  return v.simpleNameReason(h.node.name.value, "host name");
}

/**
 * The models a policy builds: one named null without host blocks, else one
 * per host block, the first of each name, whose name is valid.
 */
export function scopes(program: Program): Scope[] {
  if (program.hosts.length === 0) return [{ host: null, items: program.shared }];
  const out: Scope[] = [];
  for (const { item: h, prior } of firstOfEach(program.hosts, (h) => h.node.name.value)) {
    if (prior || hostNameReason(h)) continue;
    const items = [...program.shared, ...h.node.items.map((node) => ({ file: h.file, node }))];
    out.push({ host: { name: h.node.name.value, span: hostNameSpan(h) }, items });
  }
  return out;
}
