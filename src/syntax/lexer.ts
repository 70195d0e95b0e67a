import moo from "moo";
import type { DiagnosticBag } from "../diagnostics/diagnostic.js";
import { Messages } from "../diagnostics/messages.js";
import type { SourceFile } from "../diagnostics/source.js";
import type { Comment } from "./ast.js";
import { describeChar } from "./chars.js";

/** Kept here too for code written against the lexer's old exports; chars.ts is their home. */
export { describeChar, isInvisible } from "./chars.js";

/** Characters of a bare word: names, user names, paths, host names, addresses, networks. */
const WORD_CHARS = String.raw`A-Za-z0-9_.\/:@+\-`;
/**
 * A bare word or a list reference (`$name`), ending where no word character
 * and no "$" follows: `a$b` is then neither, and the `dollar` rule reports it
 * whole instead of reading `a` and `$b`.
 */
const ITEM = String.raw`\$?[${WORD_CHARS}]+(?![${WORD_CHARS}$])`;

/**
 * The moo rules. Order matters: moo takes the first rule that matches.
 * `run` matches a comma-separated run of bare words and list references as
 * ONE token, so that a list of a million user names costs the Earley parser a
 * handful of tokens (nearley spends ~15x what moo does per token); build.ts
 * splits it again with the exact offset of every entry. A run holding a
 * reference is retyped `refRun` by lex(), so that places that take only
 * literals (PAM module arguments) can refuse it in the grammar.
 */
const rules = {
  ws: { match: /[ \t\n]+/, lineBreaks: true },
  comment: /#[^\n]*/,
  // Habits from other languages, lexed whole so that one diagnostic says what to write (PC1021, PC1022).
  slashComment: /\/\/(?![^ \t\n])[^\n]*/,
  blockComment: { match: /\/\*(?:[^*]|\*(?!\/))*(?:\*\/)?/, lineBreaks: true },
  squote: /'[^'\n]*'?/,
  string: /"(?:[^"\\\n]|\\[^\n])*"/,
  badString: /"(?:[^"\\\n]|\\[^\n])*\\?/,
  bracket: /\[(?:[^\]\\\n]|\\[^\n])*\]/,
  run: { match: new RegExp(`${ITEM}(?:[ \\t\\n]*,[ \\t\\n]*${ITEM})+`), lineBreaks: true },
  ref: new RegExp(String.raw`\$[${WORD_CHARS}]+(?![${WORD_CHARS}$])`),
  word: new RegExp(String.raw`[${WORD_CHARS}]+(?![${WORD_CHARS}$])`),
  dollar: new RegExp(String.raw`[${WORD_CHARS}$]+`),
  lbrace: "{",
  rbrace: "}",
  semi: ";",
  comma: ",",
  eq: "=",
  invalid: { match: /[^]/, lineBreaks: true },
} as const;

/** Token types the lexer makes that are not moo rules. */
const EXTRA_TYPES = ["refRun"];

/**
 * What the grammar sees as its lexer: only `has` is used, at load time, and it
 * rejects a misspelled %token. Tokens are fed by parser.ts, never by nearley.
 */
export const tokenTypes = {
  reset(): void {},
  next(): undefined {
    throw new Error("policyc bug: feed the parser through syntax/parser.ts");
  },
  save(): object {
    return {};
  },
  formatError(): string {
    return "";
  },
  has(type: string): boolean {
    if (
      !(type in rules || EXTRA_TYPES.includes(type)) ||
      ["ws", "comment", "invalid", "badString", "dollar", "slashComment", "blockComment", "squote"].includes(type)
    ) {
      throw new Error(`policyc bug: the grammar names token type "${type}", which the lexer does not produce`);
    }
    return true;
  },
};

export type Token = moo.Token & { decoded?: string };

const lexer = moo.compile(rules as unknown as moo.Rules);

/** The result of lexing a whole file: significant tokens and the comments beside them. */
export interface Lexed {
  tokens: Token[];
  comments: Comment[];
  /** Offsets of lexical errors, ascending: the parser stays silent about their statements. */
  errorOffsets: number[];
}

/**
 * Splits a source text into tokens. White space is dropped; comments go to a
 * side list (the formatter prints them); lexical errors are reported to the
 * bag and the offending characters skipped, so parsing can still report the
 * rest.
 */
export function lex(file: SourceFile, diagnostics: DiagnosticBag): Lexed {
  const lexing = new Lexing(file, diagnostics);
  const tokens: Token[] = [];
  for (let t = lexing.next(); t; t = lexing.next()) tokens.push(t);
  return { tokens, comments: lexing.comments, errorOffsets: lexing.errorOffsets };
}

/**
 * lex, one significant token at a time: the parser takes a statement's
 * tokens as they come and drops them once it is parsed, so that a file's
 * tokens (13 MB for the bench's 10,000-host fleet) are never all alive at
 * once (README "Performance"). Comments and error offsets collect as in lex.
 */
export class Lexing {
  readonly comments: Comment[] = [];
  /** Offsets of lexical errors so far, ascending (every one before the last token returned, and up to it). */
  readonly errorOffsets: number[] = [];

  /** A lexer of its own: the parser's work between two tokens may lex another text. */
  private readonly stream = (lexer as moo.Lexer & { clone(): moo.Lexer }).clone();

  constructor(
    private readonly file: SourceFile,
    private readonly diagnostics: DiagnosticBag,
  ) {
    this.stream.reset(file.text);
  }

  /** The next significant token, undefined at the end of the text. */
  next(): Token | undefined {
    const { file, diagnostics, comments, errorOffsets, stream } = this;
    for (let t = stream.next() as Token | undefined; t; t = stream.next() as Token | undefined) {
      switch (t.type) {
        case "ws":
          break;
        case "comment":
          comments.push({ kind: "Comment", text: t.text, loc: { start: t.offset, end: t.offset + t.text.length } });
          break;
        case "invalid":
          errorOffsets.push(t.offset);
          diagnostics.report(
            Messages.InvalidCharacter,
            { file, start: t.offset, end: t.offset + t.text.length },
            {
              char: describeChar(t.text),
            },
          );
          break;
        case "slashComment":
        case "blockComment":
          errorOffsets.push(t.offset);
          diagnostics.report(Messages.ForeignComment, { file, start: t.offset, end: t.offset + 2 }, { opener: t.text.slice(0, 2) });
          break;
        case "squote": {
          errorOffsets.push(t.offset);
          const closed = t.text.length > 1 && t.text.endsWith("'");
          const inner = closed ? t.text.slice(1, -1) : "";
          diagnostics.report(
            Messages.SingleQuotes,
            { file, start: t.offset, end: t.offset + t.text.length },
            { suggestion: closed ? `"${inner.replace(/[\\"]/g, "\\$&")}"` : "the value" },
          );
          break;
        }
        case "dollar":
          errorOffsets.push(t.offset);
          diagnostics.report(Messages.MisplacedDollar, { file, start: t.offset, end: t.offset + t.text.length }, { text: t.text });
          break;
        case "run":
          if (t.text.includes("$")) t.type = "refRun";
          return t;
        case "badString":
          errorOffsets.push(t.offset);
          diagnostics.report(Messages.UnterminatedString, { file, start: t.offset, end: t.offset + t.text.length });
          break;
        case "string": {
          const errors = diagnostics.errorCount;
          t.decoded = decodeString(t.text, t.offset, file, diagnostics);
          if (diagnostics.errorCount > errors) errorOffsets.push(t.offset);
          return t;
        }
        default:
          return t;
      }
    }
    return undefined;
  }
}

/** Decodes a string literal (with its quotes). Escapes: \\ \" \n \t \xHH \u{HEX}. */
function decodeString(raw: string, offset: number, file: SourceFile, diagnostics: DiagnosticBag): string {
  const body = raw.slice(1, -1);
  if (body.indexOf("\\") === -1) return body;
  let out = "";
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (ch !== "\\") {
      out += ch;
      continue;
    }
    const next = body[i + 1];
    const start = offset + 1 + i;
    let m: RegExpMatchArray | null;
    if (next === "\\" || next === '"') {
      out += next;
      i++;
    } else if (next === "n") {
      out += "\n";
      i++;
    } else if (next === "t") {
      out += "\t";
      i++;
    } else if (next === "x" && (m = /^[0-9A-Fa-f]{2}/.exec(body.slice(i + 2)))) {
      out += String.fromCharCode(parseInt(m[0], 16));
      i += 3;
    } else if (next === "u" && (m = /^\{([0-9A-Fa-f]{1,6})\}/.exec(body.slice(i + 2))) && parseInt(m[1]!, 16) <= 0x10ffff) {
      out += String.fromCodePoint(parseInt(m[1]!, 16));
      i += 1 + m[0].length;
    } else {
      const len = next === undefined ? 1 : 2;
      diagnostics.report(Messages.InvalidEscape, { file, start, end: start + len }, { escape: body.slice(i, i + len) });
      i += len - 1;
    }
  }
  return out;
}
