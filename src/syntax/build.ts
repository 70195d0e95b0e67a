/**
 * AST builders, called by the grammar's postprocessors (grammar/policy.ne).
 * Nearley may run a postprocessor for a partial parse that is later thrown
 * away, so builders are pure and cheap: lists grow as persistent cons cells
 * and are flattened only in rules that end with ";" or "}", which complete
 * once per statement.
 */
import type {
  Acl,
  Host,
  HostItem,
  Include,
  Bracket,
  KeyValue,
  ListDef,
  ListKind,
  Listen,
  Loc,
  Mail,
  MailItem,
  Platform,
  Service,
  ServiceItem,
  Setting,
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

const RUN_WORD = /[A-Za-z0-9_.\/:@+\-]+/g;

/** Flattens a cons list into an array, in source order. */
export function flatten<T>(list: Cons<T> | null): T[] {
  const out: T[] = [];
  for (let c = list; c; c = c.prev) out.push(c.item);
  return out.reverse();
}

function tokenEnd(t: Token): number {
  return t.offset + t.text.length;
}

function span(first: Token | { loc: Loc }, last: Token | { loc: Loc }): Loc {
  const start = "loc" in first ? first.loc.start : first.offset;
  const end = "loc" in last ? last.loc.end : tokenEnd(last);
  return { start, end };
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
  } else if (t.type === "run") {
    const text = t.text;
    RUN_WORD.lastIndex = 0;
    for (let m = RUN_WORD.exec(text); m; m = RUN_WORD.exec(text)) {
      const start = t.offset + m.index;
      out.push({ kind: "Word", value: m[0], loc: { start, end: start + m[0].length } });
    }
  } else {
    out.push(word(t));
  }
}

/** values: a cons list of value tokens, flattened into Value nodes. */
function values(list: Cons<Token> | null): Value[] {
  const out: Value[] = [];
  for (const t of flatten(list)) pushValues(t, out);
  return out;
}

/** A single value token as a Value (the file of an acl, the port of a listen). */
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
  return { kind: "Include", path: single(d[1]) as Str, loc: span(d[0], d[2]) };
}

/** statement -> "host" %word "{" hostItems "}" */
export function host(d: D): Host {
  return { kind: "Host", name: word(d[1]), items: flatten<HostItem>(d[3]), loc: span(d[0], d[4]) };
}

/** hostItem -> "platform" %word ";" */
export function platform(d: D): Platform {
  return { kind: "Platform", name: word(d[1]), loc: span(d[0], d[2]) };
}

/** statement -> listKind %word "=" values ";" */
export function listDef(d: D): ListDef {
  const kw: Token = d[0];
  return { kind: "ListDef", listKind: kw.value as ListKind, name: word(d[1]), values: values(d[3]), loc: span(kw, d[4]) };
}

/** statement -> "service" %word "{" serviceItems "}" */
export function service(d: D): Service {
  return { kind: "Service", name: word(d[1]), items: flatten<ServiceItem>(d[3]), loc: span(d[0], d[4]) };
}

/** statement -> "mail" "{" mailItems "}" */
export function mail(d: D): Mail {
  return { kind: "Mail", items: flatten<MailItem>(d[2]), loc: span(d[0], d[3]) };
}

/** serviceItem -> "stack" "{" stackLines "}" */
export function stack(d: D): Stack {
  return { kind: "Stack", lines: flatten<StackEntry>(d[2]), loc: span(d[0], d[3]) };
}

/** serviceItem -> "acl" %word %word value "{" settings "}" */
export function acl(d: D): Acl {
  return {
    kind: "Acl",
    item: word(d[1]),
    sense: word(d[2]),
    file: single(d[3]),
    items: flatten<Setting>(d[5]),
    loc: span(d[0], d[6]),
  };
}

/** mailItem -> "listen" value "{" settings "}" */
export function listen(d: D): Listen {
  return { kind: "Listen", port: single(d[1]), items: flatten<Setting>(d[3]), loc: span(d[0], d[4]) };
}

/** setting -> %word ";" */
export function setting0(d: D): Setting {
  return { kind: "Setting", name: word(d[0]), sub: null, values: [], loc: span(d[0], d[1]) };
}

/** setting -> %word values ";" */
export function setting1(d: D): Setting {
  return { kind: "Setting", name: word(d[0]), sub: null, values: values(d[1]), loc: span(d[0], d[2]) };
}

/** setting -> %word %word values ";" */
export function setting2(d: D): Setting {
  return { kind: "Setting", name: word(d[0]), sub: word(d[1]), values: values(d[2]), loc: span(d[0], d[3]) };
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
