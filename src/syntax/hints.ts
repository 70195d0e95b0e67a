import type { DiagnosticBag } from "../diagnostics/diagnostic.js";
import { Messages } from "../diagnostics/messages.js";
import type { SourceFile } from "../diagnostics/source.js";
import { closest } from "../diagnostics/suggest.js";
import type { Token } from "./lexer.js";

/** The list kinds of `KIND NAME = VALUE, ...;` (grammar/policy.ne's listKind). */
const LIST_KINDS = ["users", "groups", "hosts", "networks", "ttys", "shells", "domains"];

/** The keywords that start an item of each block (grammar/policy.ne); settings are the checker's. */
const KEYWORDS: Record<string, string[]> = {
  top: ["platform", ...LIST_KINDS, "service", "mail", "include", "host", "role", "inventory"],
  host: ["platform", ...LIST_KINDS, "service", "mail", "role"],
  service: ["stack", "acl"],
  mail: ["listen"],
};

/** Which block a "{" opens, from the first word of the item before it. */
function blockOf(first: string, outer: string): string {
  if (outer === "top" || outer === "host")
    return first === "service" || first === "mail" || first === "host" ? first : first === "role" ? "host" : "other";
  if (outer === "service") return first === "acl" ? "acl" : first === "stack" ? "stack" : "other";
  if (outer === "mail") return first === "listen" ? "listen" : "other";
  return "other";
}

/**
 * A syntax error in the shape of a common mistake, reported as a sentence that
 * says what to write (README "Common mistakes"): a misspelt keyword, a missing
 * ";", a ";" after a block, "=" in a setting or missing in a list, an unquoted
 * include path, a trailing comma, an acl header without its sense. `failed`
 * is the index of the token the parser refused; `expected` the terminals it
 * could have taken. Returns false when the mistake is none of these, and the
 * caller reports the plain PC1001. Runs only on an error: its cost does not
 * matter for long lists.
 */
export function explainSyntaxError(
  file: SourceFile,
  tokens: readonly Token[],
  from: number,
  failed: number,
  expected: ReadonlySet<string>,
  diagnostics: DiagnosticBag,
): boolean {
  // Walk the statement up to the refused token: which block it is in, where its item starts.
  const blocks = ["top"];
  let itemStart = from;
  for (let i = from; i < failed; i++) {
    const type = tokens[i]!.type;
    if (type === "lbrace") {
      blocks.push(blockOf(tokens[itemStart]!.text, blocks[blocks.length - 1]!));
      itemStart = i + 1;
    } else if (type === "rbrace") {
      blocks.pop();
      itemStart = i + 1;
    } else if (type === "semi") itemStart = i + 1;
  }
  const block = blocks[blocks.length - 1]!;
  const bad = tokens[failed]!;
  const prev = failed > 0 ? tokens[failed - 1] : undefined;
  const first = tokens[itemStart];
  const spanOf = (t: Token) => ({ file, start: t.offset, end: t.offset + t.text.length });
  const lineOf = (t: Token) => file.position(t.offset).line;

  // `};`: a block needs no ";" (the ";" is alone at the start of an item, after a "}").
  if (bad.type === "semi" && itemStart === failed && prev?.type === "rbrace") {
    diagnostics.report(Messages.SemicolonAfterBlock, spanOf(bad));
    return true;
  }
  // `a, b,;`
  if ((bad.type === "semi" || bad.type === "rbrace") && prev?.type === "comma") {
    diagnostics.report(Messages.TrailingComma, spanOf(prev));
    return true;
  }
  // A misspelt keyword: the first word of an item, near one of the block's keywords.
  // At the top a statement fails at its first word; in a block a misspelt
  // `stack {` or `acl ... {` reads as a setting up to where it fails.
  const topLevel = block === "top" || block === "host";
  if (first && first.type === "word" && (failed === itemStart || !topLevel)) {
    const keywords = KEYWORDS[block] ?? [];
    const guess = keywords.includes(first.text) ? undefined : closest(first.text, keywords, { transpositions: true });
    if (guess) {
      const what = topLevel ? `statement "${first.text}"` : `keyword "${first.text}" in a ${block} block`;
      diagnostics.report(Messages.UnknownKeyword, spanOf(first), { what, guess });
      return true;
    }
  }
  // `acl user "/f" {`: the header is ITEM SENSE FILE.
  if (block === "service" && first?.text === "acl" && bad.type === "lbrace") {
    const words = tokens.slice(itemStart + 1, failed);
    const sense = words.findIndex((t) => t.text === "allow" || t.text === "deny");
    let problem: string;
    if (words.length === 0) problem = "the item, the sense and the file are missing";
    else if (sense === -1) problem = `expected allow or deny after the item "${words[0]!.text}"`;
    else if (sense === 0) problem = `the item (user, group, rhost, ...) is missing before "${words[0]!.text}"`;
    else if (sense === words.length - 1) problem = `the list file is missing after "${words[sense]!.text}"`;
    else problem = `it has ${words.length} words before "{", not 3`;
    diagnostics.report(Messages.AclShape, { file, start: first.offset, end: bad.offset + 1 }, { problem });
    return true;
  }
  // `domain = a.b;` in a block.
  if (bad.type === "eq" && ["service", "mail", "acl", "listen"].includes(block) && first && failed <= itemStart + 2) {
    diagnostics.report(Messages.SettingWithEquals, spanOf(bad), {
      name: tokens
        .slice(itemStart, failed)
        .map((t) => t.text)
        .join(" "),
    });
    return true;
  }
  // `users staff alice;` / `users staff: alice;`
  if (
    (block === "top" || block === "host") &&
    first &&
    LIST_KINDS.includes(first.text) &&
    failed === itemStart + 2 &&
    expected.has('"="')
  ) {
    const name = tokens[itemStart + 1]!.text.replace(/:$/, "");
    diagnostics.report(Messages.ListWithoutEquals, spanOf(bad), { kind: first.text, name });
    return true;
  }
  // `include foo.policy;`
  if (block === "top" && first?.text === "include" && failed === itemStart + 1 && bad.type === "word") {
    diagnostics.report(Messages.UnquotedInclude, spanOf(bad), { path: bad.text });
    return true;
  }
  // A ";" missing at the end of a line, or before the "}" that closes the block.
  if (
    prev &&
    expected.has('";"') &&
    bad.type !== "lbrace" &&
    bad.type !== "comma" &&
    (bad.type === "rbrace" || lineOf(bad) > file.position(prev.offset + prev.text.length).line)
  ) {
    const end = prev.offset + prev.text.length;
    const last = prev.type === "run" || prev.type === "refRun" ? prev.text.slice(prev.text.lastIndexOf(",") + 1).trim() : prev.text;
    const shown = last.length > 40 ? last.slice(0, 37) + "..." : last;
    const after = prev.type === "string" ? shown : `"${shown}"`;
    diagnostics.report(Messages.MissingSemicolon, { file, start: end, end }, { after });
    return true;
  }
  return false;
}
