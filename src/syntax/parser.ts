import nearley from "nearley";
import { DiagnosticBag } from "../diagnostics/diagnostic.js";
import { Messages } from "../diagnostics/messages.js";
import { SourceFile } from "../diagnostics/source.js";
import type { Policy, Statement } from "./ast.js";
import grammar from "./grammar.generated.js";
import { describeChar, hiddenRegExp, TEXT_CONTROLS } from "./chars.js";
import { explainSyntaxError } from "./hints.js";
import { Lexing, type Token } from "./lexer.js";

const compiled = nearley.Grammar.fromCompiled(grammar as unknown as nearley.CompiledRules);

/** Every character of syntax/chars.ts's classes but TAB and LF (CR is reported on its own). */
const HIDDEN_IN_TEXT = hiddenRegExp(TEXT_CONTROLS);

/**
 * Decodes policy bytes into a SourceFile, refusing what would make positions
 * or meaning unclear: invalid UTF-8, a BOM, carriage returns, NUL bytes.
 * Returns undefined (with a diagnostic) when the text cannot be used.
 */
export function decodeSource(path: string, bytes: Uint8Array, diagnostics: DiagnosticBag): SourceFile | undefined {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    const offset = firstInvalidUtf8(bytes);
    // Report at the text decoded so far, so the frame shows the line before the bad byte.
    const prefix = new TextDecoder("utf-8").decode(bytes.subarray(0, offset));
    const file = new SourceFile(path, prefix);
    diagnostics.report(Messages.InvalidUtf8, { file, start: prefix.length, end: prefix.length }, { offset });
    return undefined;
  }
  const file = new SourceFile(path, text);
  if (text.charCodeAt(0) === 0xfeff) {
    diagnostics.report(Messages.ByteOrderMark, { file, start: 0, end: 1 });
    return undefined;
  }
  const cr = text.indexOf("\r");
  if (cr !== -1) {
    diagnostics.report(Messages.CarriageReturn, { file, start: cr, end: cr + 1 });
    return undefined;
  }
  // Control characters and invisible or bidirectional format characters make
  // a policy read differently from what it says ("trojan source"), even in a
  // comment or a string: refuse them wherever they are.
  const hidden = HIDDEN_IN_TEXT;
  hidden.lastIndex = 0;
  let reported = 0;
  for (let m = hidden.exec(text); m && reported < 10; m = hidden.exec(text), reported++) {
    diagnostics.report(Messages.InvalidCharacter, { file, start: m.index, end: m.index + m[0].length }, { char: describeChar(m[0]) });
  }
  return reported ? undefined : file;
}

function firstInvalidUtf8(bytes: Uint8Array): number {
  let lo = 0;
  let hi = bytes.length;
  const dec = new TextDecoder("utf-8", { fatal: true });
  // The shortest invalid prefix: binary search on "this prefix decodes" (a cut
  // multi-byte sequence at the end of a valid prefix also fails, so check with stream).
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    try {
      dec.decode(bytes.subarray(0, mid + 1), { stream: true });
      dec.decode();
      lo = mid + 1;
    } catch {
      hi = mid;
    }
  }
  return lo;
}

/**
 * Parses a policy source into an AST; syntax errors go to the bag. Tokens
 * are lexed as the statements are parsed, and each statement's are dropped
 * once it is (README "Performance"); the findings are those of lexing the
 * whole file first, then parsing: the lexer's, in order, then the parser's.
 */
export function parse(file: SourceFile, diagnostics: DiagnosticBag): Policy {
  const lexing = new Lexing(file, diagnostics);
  // The parser's findings wait until every lexical one is reported (the bag's cap sees them in that order).
  const parsing = new DiagnosticBag(Infinity);
  const statements: Statement[] = [];
  let nextError = 0;
  let any = false;
  // A statement's tokens, after the last token of the statement before (a syntax hint looks one token back).
  let tokens: Token[] = [];
  let from = 0;
  let depth = 0;
  const statement = (next: Token | undefined): void => {
    // A statement owns the text up to the next statement; if the lexer already
    // reported an error there, parse errors would only repeat it.
    const regionEnd = next ? next.offset : file.text.length;
    let lexError = false;
    while (nextError < lexing.errorOffsets.length && lexing.errorOffsets[nextError]! < regionEnd) {
      lexError = true;
      nextError++;
    }
    if (!lexError) {
      const stmt = parseStatement(file, tokens, from, tokens.length, parsing);
      if (stmt) statements.push(stmt);
    }
    tokens = [tokens[tokens.length - 1]!];
    from = 1;
  };
  // Top-level statements end at a ";" or at the "}" that closes their block.
  for (let t = lexing.next(); t;) {
    any = true;
    tokens.push(t);
    const type = t.type;
    let ends = false;
    if (type === "lbrace") depth++;
    else if (type === "rbrace") {
      depth--;
      if (depth <= 0) {
        ends = true;
        depth = 0;
      }
    } else if (type === "semi" && depth === 0) ends = true;
    t = lexing.next();
    if (ends) statement(t);
  }
  if (from < tokens.length) statement(undefined);
  for (const d of parsing.items) diagnostics.add(d);
  if (!any && !diagnostics.hasErrors) {
    diagnostics.report(Messages.EmptyPolicy, { file, start: 0, end: 0 });
  }
  return { kind: "Policy", statements, comments: lexing.comments, loc: { start: 0, end: file.text.length } };
}

/** A nearley lexer over a slice of already-lexed tokens. */
class SliceLexer {
  private i: number;
  constructor(
    private readonly tokens: Token[],
    from: number,
    private readonly to: number,
  ) {
    this.i = from;
  }
  reset(): void {}
  next(): Token | undefined {
    return this.i < this.to ? this.tokens[this.i++] : undefined;
  }
  save(): object {
    return {};
  }
  formatError(t: Token): string {
    return `unexpected ${t.type}`;
  }
  has(): boolean {
    return true;
  }
}

function parseStatement(file: SourceFile, tokens: Token[], from: number, to: number, diagnostics: DiagnosticBag): Statement | undefined {
  const lexer = new SliceLexer(tokens, from, to);
  const parser = new nearley.Parser(compiled, { lexer: lexer as unknown as nearley.Lexer });
  try {
    parser.feed("");
  } catch (e) {
    const token = (e as { token?: Token }).token;
    if (!token) throw e;
    const failed = tokens.indexOf(token, from);
    if (oneValueExpected(file, tokens, from, failed, diagnostics)) return undefined;
    const expected = expectedTerminals(parser);
    if (explainSyntaxError(file, tokens, from, failed, expected, diagnostics)) return undefined;
    diagnostics.report(
      Messages.UnexpectedToken,
      { file, start: token.offset, end: token.offset + token.text.length },
      {
        found: describeToken(token),
        expected: listExpected(expected),
      },
    );
    return undefined;
  }
  if (parser.results.length === 0) {
    const last = tokens[to - 1]!;
    const end = last.offset + last.text.length;
    diagnostics.report(Messages.UnexpectedEnd, { file, start: end, end }, { expected: listExpected(expectedTerminals(parser)) });
    return undefined;
  }
  if (parser.results.length > 1) {
    throw new Error(`policyc bug: the grammar is ambiguous at ${file.path}:${file.position(tokens[from]!.offset).line}`);
  }
  return parser.results[0] as Statement;
}

/**
 * A comma-separated run where the grammar takes one value: the port of
 * `listen a, b { }` or the file of `acl user allow /a, /b { }`. Reported as
 * PC3050 with what to write instead; false when the run stands elsewhere.
 */
function oneValueExpected(file: SourceFile, tokens: Token[], from: number, failed: number, diagnostics: DiagnosticBag): boolean {
  const isRun = (i: number) => i >= from && (tokens[i]!.type === "run" || tokens[i]!.type === "refRun");
  // `listen a, b {` fails at "{" (`listen a, b;` is a setting); `acl user allow a, b {` at the run.
  const at = isRun(failed) ? failed : tokens[failed]!.type === "lbrace" && isRun(failed - 1) ? failed - 1 : -1;
  if (at === -1) return false;
  const run = tokens[at]!;
  const count = run.text.split(",").length;
  const span = { file, start: run.offset, end: run.offset + run.text.length };
  if (at - 1 >= from && tokens[at - 1]!.text === "listen") {
    diagnostics.report(Messages.OneValueExpected, span, {
      what: "listen",
      noun: "port",
      count,
      hint: "write one listen statement per port",
    });
    return true;
  }
  if (at - 3 >= from && tokens[at - 3]!.text === "acl") {
    diagnostics.report(Messages.OneValueExpected, span, {
      what: "An access list",
      noun: "file",
      count,
      hint: "write one acl block per file",
    });
    return true;
  }
  return false;
}

/** How a diagnostic names a token. */
function describeToken(t: Token): string {
  switch (t.type) {
    case "string":
      return `string ${t.text.length > 40 ? t.text.slice(0, 37) + '..."' : t.text}`;
    case "run":
    case "refRun":
      return "list of words";
    case "ref":
      return `list reference ${t.text.length > 40 ? t.text.slice(0, 37) + "..." : t.text}`;
    case "word":
      return `word "${t.text.length > 40 ? t.text.slice(0, 37) + "..." : t.text}"`;
    case "bracket":
      return `bracket ${t.text}`;
    default:
      return `"${t.text}"`;
  }
}

const TERMINAL_NAMES: Record<string, string> = {
  word: "a word",
  string: "a string",
  run: "a list",
  refRun: "a list",
  ref: "a list reference",
  bracket: "a [...] control",
  lbrace: '"{"',
  rbrace: '"}"',
  semi: '";"',
  comma: '","',
  eq: '"="',
};

/** The terminals the parser could take in its current column, as TERMINAL_NAMES names them. */
function expectedTerminals(parser: nearley.Parser): Set<string> {
  const column = (parser as unknown as { table: { states: { rule: { symbols: unknown[] }; dot: number }[] }[]; current: number }).table[
    (parser as unknown as { current: number }).current
  ];
  const names = new Set<string>();
  for (const state of column?.states ?? []) {
    const sym = state.rule.symbols[state.dot] as { type?: string; literal?: string } | string | undefined;
    if (!sym || typeof sym === "string") continue;
    if (sym.literal !== undefined) names.add(`"${sym.literal}"`);
    else if (sym.type !== undefined) names.add(TERMINAL_NAMES[sym.type] ?? sym.type);
  }
  return names;
}

/** "expected ..." of a message: keywords first, then token classes, each alphabetically. */
function listExpected(terminals: ReadonlySet<string>): string {
  const names = new Set(terminals);
  // "a list" is implied by "a word".
  names.delete("a list");
  names.delete("a list reference");
  const list = [...names].sort((a, b) => Number(a.startsWith("a ")) - Number(b.startsWith("a ")) || a.localeCompare(b));
  if (list.length === 0) return "nothing more";
  if (list.length === 1) return list[0]!;
  return list.slice(0, -1).join(", ") + " or " + list[list.length - 1];
}
