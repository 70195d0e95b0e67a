/**
 * AST builders, called by the grammar's postprocessors (grammar/policy.ne).
 * Nearley may run a postprocessor for a partial parse that is later thrown
 * away, so builders are pure and cheap: lists grow as persistent cons cells
 * and are flattened only in rules that end with ";" or "}", which complete
 * once per statement.
 */
import type {
  Acl,
  BlockLoc,
  Expect,
  ExpectClause,
  Host,
  HostBodyItem,
  HostItem,
  Role,
  Include,
  Inventory,
  Bracket,
  KeyValue,
  KeywordLoc,
  ListDef,
  ListKind,
  Listen,
  Loc,
  Mail,
  MailItem,
  Platform,
  Ref,
  Service,
  ServiceItem,
  Setting,
  SettingLoc,
  Stack,
  StackAcls,
  StackArg,
  StackEntry,
  StackLine,
  Str,
  Value,
  Word,
} from "./ast.js";
import type { Token } from "./lexer.js";

/** A persistent list cell; `null` is the empty list. */
export interface Cons<T> {
  prev: Cons<T> | null;
  item: T;
}

type D = any[];

/** Flattens a cons list into an array, in source order. */
export function flatten<T>(list: Cons<T> | null): T[] {
  // Counted first, so the array has no room to spare: a fleet's syntax tree
  // holds tens of thousands of short ones (an array grown by push keeps 17
  // slots for one item).
  let n = 0;
  for (let c = list; c; c = c.prev) n++;
  const out = new Array<T>(n);
  for (let c = list; c; c = c.prev) out[--n] = c.item;
  return out;
}

/**
 * The words and list references of a run token (separated by commas and
 * white space), by scanning characters: a global regex would allocate a
 * match array per word.
 */
function splitRun(t: Token, fn: (w: Word | Ref) => void): void {
  const refs = t.type === "refRun";
  scanRun(t, (value, start, end) =>
    fn(refs && value.charCodeAt(0) === 36 ? ref(value, start, end) : { kind: "Word", value, loc: { start, end } }),
  );
}

function ref(value: string, start: number, end: number): Ref {
  return { kind: "Ref", name: value.slice(1), value, loc: { start, end } };
}

function scanRun(t: Token, fn: (value: string, start: number, end: number) => void): void {
  const text = t.text;
  const n = text.length;
  let i = 0;
  while (i < n) {
    let c = text.charCodeAt(i);
    while (c === 44 || c === 32 || c === 9 || c === 10) c = text.charCodeAt(++i);
    if (i >= n) break;
    const from = i;
    while (i < n && c !== 44 && c !== 32 && c !== 9 && c !== 10) c = text.charCodeAt(++i);
    const start = t.offset + from;
    fn(text.slice(from, i), start, start + (i - from));
  }
}

function tokenEnd(t: Token): number {
  return t.offset + t.text.length;
}

/** From the first token to the last, for nodes with no locations but their span. */
function span(first: Token, last: Token): Loc {
  return { start: first.offset, end: tokenEnd(last) };
}

/*
 * The locations of statements, blocks and settings. Each stores its span and
 * the one or two offsets that cannot be derived (where the keyword ends,
 * where the "{" is); the keyword, the braces and the ";" are getters over
 * them. So a node pays no object per location: settings can be many (10,000
 * services), and their ";" is always the last character of their span.
 */

/** A statement from its keyword to its last token: `platform`, `include`, a list's kind word. */
class KeywordSpan implements KeywordLoc {
  constructor(
    readonly start: number,
    readonly end: number,
    private readonly keywordEnd: number,
  ) {}
  get keyword(): Loc {
    return { start: this.start, end: this.keywordEnd };
  }
}

/** A block from its keyword to its "}". */
class BlockSpan implements BlockLoc {
  constructor(
    readonly start: number,
    readonly end: number,
    private readonly keywordEnd: number,
    private readonly openAt: number,
  ) {}
  get keyword(): Loc {
    return { start: this.start, end: this.keywordEnd };
  }
  get open(): Loc {
    return { start: this.openAt, end: this.openAt + 1 };
  }
  get close(): Loc {
    return { start: this.end - 1, end: this.end };
  }
}

/** A setting from its name to its ";". */
class SettingSpan implements SettingLoc {
  constructor(
    readonly start: number,
    readonly end: number,
  ) {}
  get semi(): Loc {
    return { start: this.end - 1, end: this.end };
  }
}

function keywordLoc(keyword: Token, last: Token): KeywordLoc {
  return new KeywordSpan(keyword.offset, tokenEnd(last), tokenEnd(keyword));
}

function blockLoc(keyword: Token, open: Token, close: Token): BlockLoc {
  return new BlockSpan(keyword.offset, tokenEnd(close), tokenEnd(keyword), open.offset);
}

function settingLoc(name: Token, semi: Token): SettingLoc {
  return new SettingSpan(name.offset, tokenEnd(semi));
}

/** word: a bare-word token. */
export function word(t: Token): Word {
  return { kind: "Word", value: t.value, loc: { start: t.offset, end: tokenEnd(t) } };
}

/** value: a word, string or run token, appended to `out` as Value nodes. */
function pushValues(t: Token, out: Value[]): void {
  if (t.type === "string") {
    const s: Str = { kind: "String", value: t.decoded ?? t.value.slice(1, -1), raw: t.text, loc: { start: t.offset, end: tokenEnd(t) } };
    out.push(s);
  } else if (t.type === "run" || t.type === "refRun") {
    splitRun(t, (w) => out.push(w));
  } else if (t.type === "ref") {
    out.push(ref(t.text, t.offset, tokenEnd(t)));
  } else {
    out.push(word(t));
  }
}

/** The tokens behind a node's `values`, for eachValueSpan(); not enumerable, so invisible to tools. */
const RAW = Symbol("policyc.valueTokens");

/** The `values` a tool read, made once per node. */
const madeValues = new WeakMap<object, Value[]>();

/**
 * The one getter of every node's `values`: one function and one property
 * descriptor for all nodes, so that V8 gives the nodes of a kind one hidden
 * class (a getter made per node gave each its own, and held a closure and
 * its context per node: 7 MB of a 10,000-host fleet's 34 MB syntax tree).
 */
const valuesProperty: PropertyDescriptor = {
  enumerable: true,
  get(this: { [RAW]: Token[] }): Value[] {
    let values = madeValues.get(this);
    if (!values) {
      values = [];
      for (const t of this[RAW]) pushValues(t, values);
      madeValues.set(this, values);
    }
    return values;
  },
};

/**
 * Gives a node a `values` property built from its tokens on first read. The
 * compiler itself never reads it for long lists: it walks the tokens with
 * eachValueSpan(), so a million entries never exist as a million AST nodes at
 * once (they would take ~130 bytes each, most of the peak memory). Tools
 * (the formatter, tests) read `values` and get ordinary Value nodes.
 */
function withValues<T extends object>(node: T, list: Cons<Token> | null): T & { values: Value[] } {
  Object.defineProperty(node, "values", valuesProperty);
  Object.defineProperty(node, RAW, { value: flatten(list) });
  return node as T & { values: Value[] };
}

/**
 * Calls fn with each of a node's values in order, except that each bare
 * word of a comma run goes to `word` as where
 * it stands: text[from..to), at source offset base + from. No string is made
 * for it; the hot path of a million-entry list reads its characters in
 * place. Given the text the node was parsed from (`source`), words are passed
 * in it (base 0): a run's own text is a slice of it, slower to read. Every
 * other value (list references too) goes to fn; a list reference in a run
 * is one reused Ref object, which fn must copy from, never keep.
 */
export function eachValueSpan(
  node: { values: Value[] },
  source: string | undefined,
  word: (text: string, from: number, to: number, base: number) => void,
  fn: (value: Value) => void,
): void {
  const tokens = (node as { [RAW]?: Token[] })[RAW];
  if (!tokens) {
    for (const v of node.values) fn(v);
    return;
  }
  const one: Value[] = [];
  const loc = { start: 0, end: 0 };
  const refWeight: Ref = { kind: "Ref", name: "", value: "", loc };
  for (const t of tokens) {
    if (t.type !== "run" && t.type !== "refRun") {
      one.length = 0;
      pushValues(t, one);
      fn(one[0]!);
      continue;
    }
    const refs = t.type === "refRun";
    // The run in the source, where it stands there; else in its own text.
    const inSource = source !== undefined && t.offset + t.text.length <= source.length && source.startsWith(t.text.slice(0, 64), t.offset);
    const text = inSource ? source : t.text;
    const base = inSource ? 0 : t.offset;
    const first = inSource ? t.offset : 0;
    const end = first + t.text.length;
    // A run is words separated by commas, each with white space around it
    // (the lexer's rule): find each comma natively, then trim the white space.
    let i = first;
    while (i < end) {
      let comma = text.indexOf(",", i);
      if (comma === -1 || comma > end) comma = end;
      let from = i;
      let c = text.charCodeAt(from);
      while (c === 32 || c === 9 || c === 10) c = text.charCodeAt(++from);
      let to = comma;
      c = text.charCodeAt(to - 1);
      while (c === 32 || c === 9 || c === 10) c = text.charCodeAt(--to - 1);
      i = comma + 1;
      if (refs && text.charCodeAt(from) === 36) {
        loc.start = base + from;
        loc.end = base + to;
        refWeight.value = text.slice(from, to);
        refWeight.name = text.slice(from + 1, to);
        fn(refWeight);
      } else word(text, from, to, base);
    }
  }
}

/**
 * Calls fn with the name and location of each list reference among a node's
 * values, in order, skipping runs that hold none without reading them: list
 * resolution finds a list's dependencies with it before expanding anything.
 */
export function eachRef(node: { values: Value[] }, fn: (name: string, start: number, end: number) => void): void {
  const tokens = (node as { [RAW]?: Token[] })[RAW];
  if (!tokens) {
    for (const v of node.values) if (v.kind === "Ref") fn(v.name, v.loc.start, v.loc.end);
    return;
  }
  for (const t of tokens) {
    if (t.type === "ref") fn(t.text.slice(1), t.offset, tokenEnd(t));
    else if (t.type === "refRun") {
      scanRun(t, (value, start, end) => {
        if (value.charCodeAt(0) === 36) fn(value.slice(1), start, end);
      });
    }
  }
}

/** How many values a node has, counted without making them. */
export function valueCount(node: { values: Value[] }): number {
  const tokens = (node as { [RAW]?: Token[] })[RAW];
  if (!tokens) return node.values.length;
  let n = 0;
  for (const t of tokens) {
    if (t.type !== "run" && t.type !== "refRun") n++;
    else for (let i = 0, text = t.text; i !== -1; i = text.indexOf(",", i + 1)) n++;
  }
  return n;
}

/** A single value token as a Value (the file of an acl, the port of a listen); the grammar never passes a run. */
function single(t: Token): Value {
  const out: Value[] = [];
  pushValues(t, out);
  if (out.length !== 1) throw new Error("policyc bug: a single value expected");
  return out[0]!;
}

export const first = (d: D) => d[0];
export const nil = () => null;
export const one = (d: D): Cons<unknown> => ({ prev: null, item: d[0] });
export const snoc = (d: D): Cons<unknown> => ({ prev: d[0], item: d[1] });
export const snoc2 = (d: D): Cons<unknown> => ({ prev: d[0], item: d[2] });

/** statement -> "include" %string ";" */
export function include(d: D): Include {
  return { kind: "Include", path: single(d[1]) as Str, loc: keywordLoc(d[0], d[2]) };
}

/** hostItems -> hostItems "include" %string ";": kept in the host's items for the loader to refuse (PC1014). */
export const snocInclude = (d: D): Cons<unknown> => ({ prev: d[0], item: include(d.slice(1)) });

/** statement -> "host" %word "{" hostItems "}" */
export function host(d: D): Host {
  return { kind: "Host", name: word(d[1]), items: flatten<HostBodyItem>(d[3]), loc: blockLoc(d[0], d[2], d[4]) };
}

/** statement -> "inventory" %string ";" */
export function inventory(d: D): Inventory {
  return { kind: "Inventory", path: single(d[1]) as Str, loc: keywordLoc(d[0], d[2]) };
}

/** statement -> "role" %word "{" hostItems "}" */
export function role(d: D): Role {
  return { kind: "Role", name: word(d[1]), items: flatten<HostItem>(d[3]), loc: blockLoc(d[0], d[2], d[4]) };
}

/** hostItems -> hostItems "role" values ";" */
export const snocRoleUse = (d: D): Cons<unknown> => ({
  prev: d[0],
  item: withValues({ kind: "RoleUse" as const, loc: keywordLoc(d[1], d[3]) }, d[2]),
});

/** hostItem -> "platform" %word ";" */
export function platform(d: D): Platform {
  return { kind: "Platform", name: word(d[1]), loc: keywordLoc(d[0], d[2]) };
}

/** statement -> listKind %word "=" values ";" */
export function listDef(d: D): ListDef {
  const kw: Token = d[0];
  return withValues({ kind: "ListDef" as const, listKind: kw.value as ListKind, name: word(d[1]), loc: keywordLoc(kw, d[4]) }, d[3]);
}

/** expectClauses -> expectClauses %word values: the clause stays tokens until its statement completes. */
export const snocClause = (d: D): Cons<{ key: Token; values: Cons<Token> }> => ({ prev: d[0], item: { key: d[1], values: d[2] } });

/** hostItem -> "expect" %word %word expectClauses ";" */
export function expect(d: D): Expect {
  const clauses = flatten<{ key: Token; values: Cons<Token> }>(d[3]).map((c): ExpectClause => {
    const tokens = flatten(c.values);
    const last = tokens[tokens.length - 1]!;
    return withValues({ kind: "ExpectClause" as const, key: word(c.key), loc: { start: c.key.offset, end: tokenEnd(last) } }, c.values);
  });
  return { kind: "Expect", verdict: word(d[1]), subject: word(d[2]), clauses, loc: keywordLoc(d[0], d[4]) };
}

/** statement -> "service" %word "{" serviceItems "}" */
export function service(d: D): Service {
  return { kind: "Service", name: word(d[1]), items: flatten<ServiceItem>(d[3]), loc: blockLoc(d[0], d[2], d[4]) };
}

/** statement -> "mail" "{" mailItems "}" */
export function mail(d: D): Mail {
  return { kind: "Mail", items: flatten<MailItem>(d[2]), loc: blockLoc(d[0], d[1], d[3]) };
}

/** serviceItem -> "stack" "{" stackLines "}" */
export function stack(d: D): Stack {
  return { kind: "Stack", lines: flatten<StackEntry>(d[2]), loc: blockLoc(d[0], d[1], d[3]) };
}

/** serviceItem -> "acl" %word %word single "{" settings "}" */
export function acl(d: D): Acl {
  return {
    kind: "Acl",
    item: word(d[1]),
    sense: word(d[2]),
    file: single(d[3]),
    items: flatten<Setting>(d[5]),
    loc: blockLoc(d[0], d[4], d[6]),
  };
}

/** mailItem -> "listen" single "{" settings "}" */
export function listen(d: D): Listen {
  return { kind: "Listen", port: single(d[1]), items: flatten<Setting>(d[3]), loc: blockLoc(d[0], d[2], d[4]) };
}

/** setting -> %word ";" */
export function setting0(d: D): Setting {
  return { kind: "Setting", name: word(d[0]), sub: null, values: [], loc: settingLoc(d[0], d[1]) };
}

/** setting -> %word values ";" */
export function setting1(d: D): Setting {
  return withValues({ kind: "Setting" as const, name: word(d[0]), sub: null, loc: settingLoc(d[0], d[2]) }, d[1]);
}

/** setting -> %word %word values ";" */
export function setting2(d: D): Setting {
  return withValues({ kind: "Setting" as const, name: word(d[0]), sub: word(d[1]), loc: settingLoc(d[0], d[3]) }, d[2]);
}

/** stackLine -> %word %word ";" */
export function stackAcls(d: D): StackAcls {
  return { kind: "StackAcls", type: word(d[0]), marker: word(d[1]), loc: span(d[0], d[2]) };
}

function bracketOrWord(t: Token): Word | Bracket {
  if (t.type === "bracket") return { kind: "Bracket", raw: t.text, loc: { start: t.offset, end: tokenEnd(t) } };
  return word(t);
}

/** stackLine -> %word control %word stackArgs ";" */
export function stackLine(d: D): StackLine {
  const args: StackArg[] = [];
  for (const a of flatten<Token | KeyValue>(d[3])) {
    if ("kind" in a) args.push(a);
    else if (a.type === "bracket") args.push(bracketOrWord(a));
    else if (a.type === "run") args.push({ ...word(a), value: a.text.replace(/\s+/g, "") });
    else pushValues(a, args as Value[]);
  }
  return {
    kind: "StackLine",
    type: word(d[0]),
    control: bracketOrWord(d[1]),
    module: word(d[2]),
    args,
    loc: span(d[0], d[4]),
  };
}

/** stackArg -> %word "=" (%word | %string) */
export function keyValue(d: D): KeyValue {
  return { kind: "KeyValue", key: word(d[0]), value: single(d[2]), loc: span(d[0], d[2]) };
}
