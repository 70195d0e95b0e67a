/**
 * The language features, as plain functions of a Project (the files as they
 * are now) and a place in a file: diagnostics, hover, definition,
 * references, completion and document symbols. Positions are the
 * protocol's: 0-based lines and UTF-16 columns, as SourceFile computes them.
 */
import {
  type CompletionItem,
  CompletionItemKind,
  type Diagnostic as LspDiagnostic,
  DiagnosticSeverity,
  type DocumentSymbol,
  type Hover,
  type Location,
  type Range,
  SymbolKind,
} from "vscode-languageserver";
import { pathToFileURL } from "node:url";
import { ListScope } from "../check/lower/lists.js";
import { AUTH_OPTIONS, KIND_FOR_ITEM, MECHANISMS } from "../check/lower/index.js";
import { ITEMS, type Item, PLATFORMS, RELEASES } from "../check/model.js";
import { type Diagnostic, DiagnosticBag, type Span } from "../diagnostics/diagnostic.js";
import { SourceFile } from "../diagnostics/source.js";
import { LIST_KINDS, type ListDef, type ListKind, type Node, type Policy, type Ref, type Statement } from "../syntax/ast.js";
import { eachRef } from "../syntax/build.js";
import { lex, type Token } from "../syntax/lexer.js";
import { parse } from "../syntax/parser.js";
import { walk } from "../syntax/visit.js";
import { type Docs, settingDoc } from "./docs.js";
import type { Project } from "./project.js";

const SEVERITY = { error: DiagnosticSeverity.Error, warning: DiagnosticSeverity.Warning } as const;
const COMPLETION = CompletionItemKind;
const SYMBOL = SymbolKind;

export function uriOf(path: string): string {
  return pathToFileURL(path).href;
}

export function range(file: SourceFile, start: number, end: number): Range {
  const s = file.position(start);
  const e = file.position(end);
  return { start: { line: s.line - 1, character: s.column - 1 }, end: { line: e.line - 1, character: e.column - 1 } };
}

/** The offset of a protocol position in a text (clamped to the text). */
export function offsetAt(text: string, line: number, character: number): number {
  let offset = 0;
  for (let l = 0; l < line; l++) {
    const next = text.indexOf("\n", offset);
    if (next === -1) return text.length;
    offset = next + 1;
  }
  const lineEnd = text.indexOf("\n", offset);
  return Math.min(offset + Math.max(0, character), lineEnd === -1 ? text.length : lineEnd);
}

// ---------------------------------------------------------------- diagnostics

/**
 * The diagnostics of one root policy, by file: the root compiled with its
 * includes, each finding on the file it is in (a finding without a place,
 * such as an unreadable root, at the root's start). Every file the root
 * read has an entry, empty when it is clean.
 */
export function rootDiagnostics(project: Project, root: string): Map<string, LspDiagnostic[]> {
  const result = project.compile(root);
  const out = new Map<string, LspDiagnostic[]>([[root, []]]);
  for (const f of result.program?.files ?? []) if (!out.has(f.path)) out.set(f.path, []);
  for (const d of result.diagnostics.sorted()) {
    const path = d.span?.file.path ?? root;
    let list = out.get(path);
    if (!list) out.set(path, (list = []));
    list.push(toLsp(d, root));
  }
  return out;
}

/** The diagnostics of several roots merged by file; a finding two roots share (an included file's) is shown once. */
export function mergeDiagnostics(results: Iterable<Map<string, LspDiagnostic[]>>): Map<string, LspDiagnostic[]> {
  const out = new Map<string, LspDiagnostic[]>();
  const seen = new Set<string>();
  for (const result of results) {
    for (const [path, list] of result) {
      let merged = out.get(path);
      if (!merged) out.set(path, (merged = []));
      for (const d of list) {
        const key = `${path}\0${d.code}\0${JSON.stringify(d.range)}\0${d.message}`;
        if (seen.has(key)) continue;
        seen.add(key);
        merged.push(d);
      }
    }
  }
  return out;
}

function toLsp(d: Diagnostic, root: string): LspDiagnostic {
  const r = d.span ? range(d.span.file, d.span.start, d.span.end) : { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
  const out: LspDiagnostic = { range: r, severity: SEVERITY[d.severity], code: d.code, source: "policyc", message: d.message };
  const related = (d.related ?? []).map((rel) => ({
    location: rel.span
      ? { uri: uriOf(rel.span.file.path), range: range(rel.span.file, rel.span.start, rel.span.end) }
      : { uri: uriOf(d.span?.file.path ?? root), range: r },
    message: rel.message,
  }));
  if (related.length > 0) out.relatedInformation = related;
  return out;
}

// ---------------------------------------------------------------- the document itself

/** A file's text parsed on its own: its statements (includes not followed) for places in it. */
export function parseText(path: string, text: string): Policy {
  return parse(new SourceFile(path, text), new DiagnosticBag());
}

/** The bare word or `$name` at an offset (the character before it counts, for a cursor at a word's end). */
export function wordAt(text: string, offset: number): { text: string; start: number; end: number } | undefined {
  const isWord = (c: string | undefined) => c !== undefined && /[A-Za-z0-9_.\/:@+\-$]/.test(c);
  let start = offset;
  let end = offset;
  while (start > 0 && isWord(text[start - 1])) start--;
  while (end < text.length && isWord(text[end])) end++;
  if (start === end) return undefined;
  return { text: text.slice(start, end), start, end };
}

/**
 * The host block that holds an offset, if any: the first word of the
 * outermost block around it, read from the tokens, so that a syntax error
 * elsewhere in the file does not lose it.
 */
function hostAt(path: string, text: string, offset: number): string | null {
  const { blocks } = context(path, text, offset);
  return blocks[0]?.[0]?.text === "host" ? (blocks[0][1]?.text ?? null) : null;
}

/** The innermost node of a parsed file at an offset, with its ancestors (outermost first). */
function nodesAt(policy: Policy, offset: number): Node[] {
  const chain: Node[] = [];
  walk(policy, (n) => {
    if (n.kind === "Policy") {
      chain.push(n);
      return true;
    }
    if (n.loc.start <= offset && offset <= n.loc.end) {
      chain.push(n);
      return true;
    }
    return false;
  });
  return chain;
}

/** A list definition and the file it is in. */
interface ListAt {
  def: ListDef;
  file: SourceFile;
}

/**
 * The lists a place can name: the lists of the programs of the file's roots
 * (the shared top level, plus the host block the place is in), the first of
 * each name, as the compiler takes them.
 */
function visibleLists(project: Project, path: string, host: string | null): Map<string, ListAt> {
  const lists = new Map<string, ListAt>();
  for (const root of project.rootsOf(path)) {
    const program = project.load(root);
    if (!program) continue;
    const add = (file: SourceFile, s: Statement) => {
      if (s.kind === "ListDef" && !lists.has(s.name.value)) lists.set(s.name.value, { def: s, file });
    };
    for (const { file, node } of program.shared) add(file, node);
    for (const { file, node } of program.hosts)
      if (node.name.value === host) for (const item of node.items) if (item.kind !== "RoleUse") add(file, item);
  }
  return lists;
}

function location(file: SourceFile, start: number, end: number): Location {
  return { uri: uriOf(file.path), range: range(file, start, end) };
}

/** A list's resolved entries, as the compiler expands `$name` in a setting of its kind. */
function resolved(lists: Map<string, ListAt>, name: string): { values: string[]; count: number } | undefined {
  const target = lists.get(name);
  if (!target) return undefined;
  const scope = new ListScope(new DiagnosticBag());
  for (const { def, file } of lists.values()) scope.define(file, def);
  const ref: Ref = { kind: "Ref", name, value: "$" + name, loc: target.def.name.loc };
  const entries = scope.expand(target.file, { values: [ref] }, target.def.listKind, "hover");
  const n = Math.min(entries.length, 10);
  const values: string[] = [];
  for (let i = 0; i < n; i++) values.push(entries.value(i));
  return { values, count: entries.length };
}

// ---------------------------------------------------------------- hover

export function hover(project: Project, path: string, text: string, offset: number, docs: Docs): Hover | null {
  const word = wordAt(text, offset);
  if (!word) return null;
  const policy = parseText(path, text);
  const file = new SourceFile(path, text);
  const at = { range: range(file, word.start, word.end) };
  const markdown = (value: string): Hover => ({ contents: { kind: "markdown", value }, ...at });

  const code = /^PC\d{4}$/.exec(word.text);
  if (code) {
    const c = docs.codes.get(word.text);
    if (!c) return null;
    return markdown(`**${word.text}** (${c.severity}): ${c.meaning}${c.detail ? `\n\n${c.detail}` : ""}`);
  }

  const chain = nodesAt(policy, word.start);
  const listName = word.text.startsWith("$")
    ? word.text.slice(1)
    : chain.some((n) => n.kind === "ListDef" && n.name.loc.start === word.start)
      ? word.text
      : undefined;
  if (listName !== undefined) {
    const lists = visibleLists(project, path, hostAt(path, text, offset));
    const target = lists.get(listName);
    if (!target) return markdown(`No list \`$${listName}\` is defined where this file is used.`);
    const r = resolved(lists, listName)!;
    const where = target.file.position(target.def.name.loc.start);
    const shown = r.values.map((v) => `\`${v}\``).join(", ");
    const more = r.count > r.values.length ? `, ... (${r.count - r.values.length} more)` : "";
    return markdown(
      `**${target.def.listKind}** list \`$${listName}\`: ${r.count} entr${r.count === 1 ? "y" : "ies"}` +
        `${r.count > 0 ? `\n\n${shown}${more}` : ""}\n\nDefined at ${target.file.path}:${where.line}:${where.column}`,
    );
  }

  // A statement keyword, a setting or an acl's head word.
  const node = chain[chain.length - 1];
  const parent = chain[chain.length - 2];
  let row;
  if (node?.kind === "Word" && parent?.kind === "Setting") {
    const s = parent;
    const key = s.sub && word.start <= s.sub.loc.end ? `${s.name.value} ${s.sub.value}` : s.name.value;
    const block = chain[chain.length - 3];
    const tables =
      block?.kind === "Acl"
        ? ["Inside `acl`"]
        : block?.kind === "Mail" || block?.kind === "Listen"
          ? ["Inside `mail { }`"]
          : ["Inside `service NAME { }`"];
    if (word.start === s.name.loc.start || (s.sub && word.start === s.sub.loc.start)) {
      row = settingDoc(docs, block?.kind === "Listen" ? "listen" : key, tables);
    }
  } else if (node?.kind === "Acl" || (parent?.kind === "Acl" && node?.kind === "Word")) {
    const acl = (node?.kind === "Acl" ? node : parent) as Extract<Node, { kind: "Acl" }>;
    const head =
      word.start === acl.item.loc.start ? "ITEM" : word.start === acl.sense.loc.start ? "SENSE" : word.start === acl.loc.start ? "acl" : "";
    row =
      head === "acl" ? settingDoc(docs, "acl", ["Inside `service NAME { }`"]) : head ? settingDoc(docs, head, ["Inside `acl`"]) : undefined;
  } else if (node && "loc" in node && node.loc.start === word.start && node.kind !== "Word") {
    const keyword =
      node.kind === "ListDef"
        ? "KIND"
        : node.kind === "Listen"
          ? "listen"
          : node.kind === "Stack"
            ? "stack"
            : node.kind === "Platform"
              ? "platform"
              : word.text;
    const tables = node.kind === "Stack" || node.kind === "Listen" ? undefined : ["Statements"];
    row = settingDoc(docs, keyword, tables);
  }
  if (!row) return null;
  return markdown(`**${row.head}**\n\n${row.text}`);
}

// ---------------------------------------------------------------- definition and references

/** Where a `$name` (or a list's own name) or an include path at an offset is defined. */
export function definition(project: Project, path: string, text: string, offset: number): Location[] {
  const include = project.includes(path).find((s) => s.start <= offset && offset <= s.end);
  if (include) return [{ uri: uriOf(include.target), range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } }];
  const name = listNameAt(path, text, offset);
  if (name === undefined) return [];
  const target = visibleLists(project, path, hostAt(path, text, offset)).get(name);
  return target ? [location(target.file, target.def.name.loc.start, target.def.name.loc.end)] : [];
}

function listNameAt(path: string, text: string, offset: number): string | undefined {
  const word = wordAt(text, offset);
  if (!word) return undefined;
  if (word.text.startsWith("$")) return word.text.slice(1);
  const policy = parseText(path, text);
  let name: string | undefined;
  walk(policy, (n) => {
    if (n.kind === "ListDef" && n.name.loc.start === word.start) name = n.name.value;
    return n.kind === "Policy" || n.kind === "Host" || n.kind === "Role";
  });
  return name;
}

/**
 * Every place a list is named (its definitions and every `$name`) in the
 * programs of the file's roots, or every include of the file an include
 * path names, across the workspace.
 */
export function references(project: Project, path: string, text: string, offset: number, withDeclaration: boolean): Location[] {
  const include = project.includes(path).find((s) => s.start <= offset && offset <= s.end);
  if (include) {
    const target = project.real(include.target);
    const out: Location[] = [];
    for (const f of project.files()) {
      const t = project.text(f);
      if (t === null) continue;
      const file = new SourceFile(f, t);
      for (const s of project.includes(f)) if (project.real(s.target) === target) out.push(location(file, s.start, s.end));
    }
    return out;
  }
  const name = listNameAt(path, text, offset);
  if (name === undefined) return [];
  const out: Location[] = [];
  const seen = new Set<string>();
  const add = (file: SourceFile, start: number, end: number) => {
    const key = `${file.path}\0${start}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(location(file, start, end));
  };
  for (const root of project.rootsOf(path)) {
    const program = project.load(root);
    if (!program) continue;
    const items = [...program.shared, ...program.hosts, ...program.roles];
    for (const { file, node } of items) {
      const visit = (n: Node): void => {
        if (n.kind === "ListDef") {
          if (withDeclaration && n.name.value === name) add(file, n.name.loc.start, n.name.loc.end);
          eachRef(n, (r, s, e) => r === name && add(file, s, e));
        } else if (n.kind === "Setting") {
          eachRef(n, (r, s, e) => r === name && add(file, s, e));
        } else if (n.kind === "Acl") {
          if (n.file.kind === "Ref" && n.file.name === name) add(file, n.file.loc.start, n.file.loc.end);
          n.items.forEach(visit);
        } else if (n.kind === "Host" || n.kind === "Role" || n.kind === "Service" || n.kind === "Mail" || n.kind === "Listen") {
          (n.items as Node[]).forEach(visit);
        }
      };
      visit(node);
    }
  }
  return out;
}

// ---------------------------------------------------------------- completion

const STATEMENTS = ["platform", ...LIST_KINDS, "service", "mail", "include", "host", "role", "inventory"];
const HOST_STATEMENTS = ["platform", ...LIST_KINDS, "service", "mail"];
export const SETTINGS: Record<string, string[]> = {
  service: ["pam", "template", "stack", "acl", "unsafe"],
  acl: ["entries", "onerr", "apply", "quiet", "unsafe"],
  mail: [
    "domain",
    "listen",
    "auth mechanisms",
    "auth backend",
    "auth options",
    "relay authenticated",
    "relay domains",
    "relay networks",
    "tls certificate",
    "tls key",
    "tls ca",
    "tls ca-path",
    "accounts",
    "greet pause",
    "unsafe",
  ],
  listen: ["address", "family", "name", "modifiers"],
  stack: ["auth", "account", "password", "session"],
};
/** Mail settings that take lists, and the kind they take. */
const MAIL_LIST_KINDS: Record<string, ListKind> = {
  domain: "domains",
  "relay domains": "domains",
  "relay networks": "networks",
  accounts: "users",
};
const VALUES: Record<string, readonly string[]> = {
  platform: [...PLATFORMS, ...PLATFORMS.flatMap((p) => RELEASES[p].map((r) => `${p}-${r}`))],
  onerr: ["fail", "succeed"],
  "auth mechanisms": MECHANISMS,
  "relay authenticated": MECHANISMS,
  "auth backend": ["sasldb", "saslauthd"],
  "auth options": Object.keys(AUTH_OPTIONS),
  family: ["inet", "inet6"],
  listen: ["smtp", "submission", "smtps"],
};

/** The tokens before an offset, split into the enclosing blocks' heads and the statement being written. */
function context(path: string, text: string, offset: number): { blocks: Token[][]; current: Token[]; typing: string } {
  const word = wordAt(text, offset);
  const typingStart = word && word.start < offset ? word.start : offset;
  const { tokens } = lex(new SourceFile(path, text.slice(0, typingStart)), new DiagnosticBag());
  const blocks: Token[][] = [];
  let current: Token[] = [];
  for (const t of tokens) {
    if (t.type === "lbrace") {
      blocks.push(current);
      current = [];
    } else if (t.type === "rbrace") {
      blocks.pop();
      current = [];
    } else if (t.type === "semi") current = [];
    else current.push(t);
  }
  return { blocks, current, typing: text.slice(typingStart, offset) };
}

/** What may be written at an offset: statements, settings, values of the setting, lists of the right kind. */
export function completion(project: Project, path: string, text: string, offset: number): CompletionItem[] {
  const { blocks, current } = context(path, text, offset);
  const block = blocks[blocks.length - 1];
  const blockWord = block?.[0]?.text;
  const words = current.map((t) => t.text);
  const keywords = (list: readonly string[], kind: CompletionItemKind = COMPLETION.Keyword): CompletionItem[] =>
    list.map((label) => ({ label, kind }));
  const listsOf = (kind: ListKind): CompletionItem[] => {
    const out: CompletionItem[] = [];
    for (const [name, { def }] of visibleLists(project, path, hostAt(path, text, offset))) {
      if (def.listKind === kind) out.push({ label: "$" + name, kind: COMPLETION.Variable, detail: `${kind} list` });
    }
    return out;
  };

  // A list definition's values: lists of its kind.
  if ((LIST_KINDS as readonly string[]).includes(words[0] ?? "") && words.includes("=")) return listsOf(words[0] as ListKind);
  if (words.length === 0) {
    if (!block) return keywords(STATEMENTS);
    if (blockWord === "host") return keywords([...HOST_STATEMENTS, "role"]);
    if (blockWord === "role") return keywords(HOST_STATEMENTS);
    return keywords(SETTINGS[blockWord === "acl" ? "acl" : (blockWord ?? "")] ?? [], COMPLETION.Property);
  }
  const first = words[0]!;
  // The head of an acl block: item, then sense.
  if (first === "acl") {
    if (words.length === 1) return keywords(ITEMS, COMPLETION.EnumMember);
    if (words.length === 2) return keywords(["allow", "deny"], COMPLETION.EnumMember);
    return [];
  }
  if (!block && first === "platform") return keywords(VALUES.platform!, COMPLETION.Value);
  if (blockWord === "acl" && first === "entries") {
    const item = block![1]?.text as Item | undefined;
    const kind = item && (ITEMS as readonly string[]).includes(item) ? KIND_FOR_ITEM[item] : undefined;
    return kind ? listsOf(kind) : [];
  }
  if (blockWord === "acl" && first === "onerr") return keywords(VALUES.onerr!, COMPLETION.Value);
  if (blockWord === "host" && first === "platform") return keywords(VALUES.platform!, COMPLETION.Value);
  if (blockWord === "mail" || blockWord === "listen") {
    const two = words.length >= 2 ? `${first} ${words[1]}` : first;
    if (words.length === 1 && ["auth", "relay", "tls", "greet"].includes(first)) {
      return keywords(
        SETTINGS.mail!.filter((s) => s.startsWith(first + " ")).map((s) => s.slice(first.length + 1)),
        COMPLETION.Property,
      );
    }
    const key = MAIL_LIST_KINDS[two] ? two : MAIL_LIST_KINDS[first] ? first : two;
    const kind = MAIL_LIST_KINDS[key];
    if (kind) return [...listsOf(kind)];
    const values = VALUES[key] ?? VALUES[first];
    if (values) return keywords(values, COMPLETION.Value);
  }
  return [];
}

// ---------------------------------------------------------------- symbols

/** The outline of a file: lists, services (with their access lists), mail (with its sockets), hosts, platform, includes. */
export function symbols(path: string, text: string): DocumentSymbol[] {
  const file = new SourceFile(path, text);
  const r = (loc: { start: number; end: number }) => range(file, loc.start, loc.end);
  const sym = (
    name: string,
    detail: string,
    kind: SymbolKind,
    loc: Span | { start: number; end: number },
    sel: { start: number; end: number },
    children: DocumentSymbol[] = [],
  ): DocumentSymbol => ({
    name,
    detail,
    kind,
    range: r(loc),
    selectionRange: r(sel),
    children,
  });
  const of = (s: Node): DocumentSymbol[] => {
    switch (s.kind) {
      case "ListDef":
        return [sym(s.name.value, `${s.listKind} list`, SYMBOL.Array, s.loc, s.name.loc)];
      case "Platform":
        return [sym(`platform ${s.name.value}`, "", SYMBOL.Property, s.loc, s.name.loc)];
      case "Include":
        return [sym(`include ${s.path.value}`, "", SYMBOL.File, s.loc, s.path.loc)];
      case "Service":
        return [sym(s.name.value, "service", SYMBOL.Class, s.loc, s.name.loc, s.items.flatMap(of))];
      case "Acl":
        return [sym(`acl ${s.item.value} ${s.sense.value} ${s.file.value}`, "access list", SYMBOL.Field, s.loc, s.file.loc)];
      case "Mail":
        return [sym("mail", "sendmail", SYMBOL.Module, s.loc, s.loc.keyword, s.items.flatMap(of))];
      case "Listen":
        return [sym(`listen ${s.port.value}`, "socket", SYMBOL.Field, s.loc, s.port.loc)];
      case "Setting": {
        // `listen smtp;` is a socket as much as `listen smtp { ... }`.
        const port = s.name.value === "listen" ? s.values[0] : undefined;
        return port ? [sym(`listen ${port.value}`, "socket", SYMBOL.Field, s.loc, port.loc)] : [];
      }
      case "Host":
      case "Role":
        return [sym(s.name.value, s.kind === "Host" ? "host" : "role", SYMBOL.Namespace, s.loc, s.name.loc, s.items.flatMap(of))];
      default:
        return [];
    }
  };
  return parseText(path, text).statements.flatMap(of);
}
