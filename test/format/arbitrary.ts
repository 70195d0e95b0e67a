/**
 * A fast-check arbitrary of valid policy texts, written the way people do and
 * don't: every token is preceded by random white space, line breaks, blank
 * lines or comments (trailing, own-line, between list values, inside headers),
 * so the formatter meets comments in every position the lexer allows.
 *
 * Statements: platform, lists of every kind, services with settings, acls and
 * stack blocks, mail with settings and listen blocks, includes, host blocks (with `role A, B;`), role blocks, inventories. Values: bare words
 * (short, and long enough to force wrapping), `$name` list references and strings with every escape.
 */
import fc from "fast-check";
import { LIST_KINDS } from "../../src/syntax/ast.js";

type Arb = fc.Arbitrary<string>;

const COMMENT_TEXT = fc
  .array(fc.constantFrom("a", "b", "z", "0", " ", "\t", "#", "{", "}", ";", ",", '"', "=", "[", "é", "😀", "中"), { maxLength: 12 })
  .map((cs) => "#" + cs.join(""));

/** White space and comments before a token; `tight` allows nothing at all (before punctuation). */
function separator(tight: boolean): Arb {
  const plain = fc.constantFrom(" ", " ", " ", "  ", "\t", "\n", "\n  ", "\n\n", "\n\n\n  ");
  const comment = fc
    .tuple(fc.constantFrom(" ", "", "\n", "\n\n", "\n  "), COMMENT_TEXT, fc.constantFrom("\n", "\n\n", "\n  "))
    .map(([a, c, b]) => a + c + b);
  const arbs: { arbitrary: Arb; weight: number }[] = [
    { arbitrary: plain, weight: 12 },
    { arbitrary: comment, weight: 2 },
  ];
  if (tight) arbs.push({ arbitrary: fc.constant(""), weight: 8 });
  return fc.oneof(...arbs);
}

const PUNCTUATION = new Set([";", ",", "{", "}", "="]);

/** A token with the separator before it. */
function tok(text: string): Arb {
  return separator(PUNCTUATION.has(text)).map((sep) => sep + text);
}

/** A sequence of token arbitraries as one string. */
function seq(...parts: Arb[]): Arb {
  return fc.tuple(...parts).map((xs) => xs.join(""));
}

function many(arb: Arb, maxLength: number, minLength = 0): Arb {
  return fc.array(arb, { minLength, maxLength }).map((xs) => xs.join(""));
}

/** Words that are no keyword of the language, so no statement is read two ways. */
const WORD_CHARS = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:@+-");
const wordText = fc.oneof(
  { arbitrary: fc.constantFrom("alice", "bob", "wheel", "10.0.0.0/8", "/bin/sh", "@staff", "mx.example.org", "x"), weight: 4 },
  { arbitrary: fc.array(WORD_CHARS, { minLength: 1, maxLength: 8 }).map((cs) => cs.join("")), weight: 4 },
  { arbitrary: fc.array(WORD_CHARS, { minLength: 20, maxLength: 40 }).map((cs) => cs.join("")), weight: 1 },
);
const KEYWORDS = new Set(["platform", "service", "mail", "stack", "acl", "listen", "include", "host", "role", "inventory", ...LIST_KINDS]);
// "//" alone and "/*..." are lexed as another language's comment (PC1022), not as words.
const name = wordText.filter((w) => !KEYWORDS.has(w) && w !== "//" && !w.startsWith("/*"));

/** A string literal with escapes of every kind. */
const stringText = fc
  .array(
    fc.oneof(
      fc.constantFrom("a", "b", " ", "#", "{", ";", ",", "é", "😀", "'"),
      fc.constantFrom("\\\\", '\\"', "\\n", "\\t", "\\x41", "\\x7e", "\\u{1F600}", "\\u{e9}"),
    ),
    { maxLength: 10 },
  )
  .map((cs) => `"${cs.join("")}"`);

const word = name.chain(tok);
/** A list reference, `$name`: printed as written. */
const refText = name.map((n) => "$" + n);
const value = fc.oneof({ arbitrary: name, weight: 4 }, { arbitrary: stringText, weight: 1 }, { arbitrary: refText, weight: 1 }).chain(tok);

/** `v1, v2, ...` */
const values = fc.array(value, { minLength: 1, maxLength: 8 }).chain((vs) => {
  const parts: Arb[] = [];
  vs.forEach((v, i) => {
    if (i > 0) parts.push(tok(","));
    parts.push(fc.constant(v));
  });
  return seq(...parts);
});

/** `NAME;`, `NAME values;` or `NAME SUB values;` */
const setting = fc.oneof(seq(word, tok(";")), seq(word, values, tok(";")), seq(word, word, values, tok(";")));

const bracket = fc.constantFrom("[success=1 default=ignore]", "[default=die]", "[ignore=ignore success=ok]").chain(tok);
const stackArg = fc.oneof(
  { arbitrary: word, weight: 4 },
  { arbitrary: stringText.chain(tok), weight: 1 },
  { arbitrary: bracket, weight: 1 },
  { arbitrary: seq(word, tok("="), word), weight: 2 },
  { arbitrary: seq(word, tok("="), stringText.chain(tok)), weight: 1 },
);
const pamType = fc.constantFrom("auth", "account", "password", "session").chain(tok);
const control = fc.oneof(fc.constantFrom("required", "requisite", "sufficient", "optional", "include").chain(tok), bracket);
const stackLine = fc.oneof(
  { arbitrary: seq(pamType, control, word, many(stackArg, 6), tok(";")), weight: 4 },
  { arbitrary: seq(tok("account"), tok("acls"), tok(";")), weight: 1 },
);
const stack = seq(tok("stack"), tok("{"), many(stackLine, 5), tok("}"));
const acl = seq(tok("acl"), word, word, value, tok("{"), many(setting, 3), tok("}"));
const service = seq(
  tok("service"),
  word,
  tok("{"),
  many(fc.oneof({ arbitrary: setting, weight: 3 }, { arbitrary: acl, weight: 2 }, { arbitrary: stack, weight: 1 }), 5),
  tok("}"),
);
const listen = seq(tok("listen"), value, tok("{"), many(setting, 3), tok("}"));
const mail = seq(tok("mail"), tok("{"), many(fc.oneof(setting, listen), 5), tok("}"));
const listDef = seq(fc.constantFrom(...LIST_KINDS).chain(tok), word, tok("="), values, tok(";"));
const platform = seq(tok("platform"), word, tok(";"));

const hostItem = fc.oneof({ arbitrary: listDef, weight: 3 }, { arbitrary: service, weight: 3 }, platform, mail);
const include = seq(tok("include"), stringText.chain(tok), tok(";"));
const roleUse = seq(tok("role"), values, tok(";"));
const host = seq(tok("host"), word, tok("{"), many(fc.oneof({ arbitrary: hostItem, weight: 4 }, roleUse), 4), tok("}"));
const role = seq(tok("role"), word, tok("{"), many(hostItem, 4), tok("}"));

const inventory = seq(tok("inventory"), stringText.chain(tok), tok(";"));
const statement = fc.oneof({ arbitrary: hostItem, weight: 8 }, include, host, role, inventory);

/** A whole valid policy: 1 to 6 statements, then white space or comments to the end. */
export const policyText: Arb = seq(many(statement, 6, 1), separator(true));
