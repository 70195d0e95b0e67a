import * as prettier from "prettier";
import { DiagnosticBag } from "../../src/diagnostics/diagnostic.js";
import { SourceFile } from "../../src/diagnostics/source.js";
import plugin from "../../src/format/plugin.js";
import { parse } from "../../src/syntax/parser.js";

/** Formats policy text with the plugin, as `prettier --plugin policyc/prettier` does. */
export function format(text: string, options: prettier.Options = {}): Promise<string> {
  return prettier.format(text, { parser: "policyc", plugins: [plugin], ...options });
}

/** Parses with the compiler; fails the test with the diagnostics if there is any error. */
export function parseOk(text: string) {
  const bag = new DiagnosticBag();
  const ast = parse(new SourceFile("t.policy", text), bag);
  if (bag.hasErrors) {
    throw new Error(
      `does not parse:\n${text}\n${bag
        .sorted()
        .map((d) => `${d.code} ${d.message}`)
        .join("\n")}`,
    );
  }
  return ast;
}

/** An AST without locations: what a reformatting must keep. */
export function withoutLocations(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutLocations);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (k !== "loc") out[k] = withoutLocations(v);
    return out;
  }
  return value;
}

/**
 * The meaning of a policy text and its comments: the AST without locations,
 * and the comments' texts in order (without trailing blanks, which a
 * formatter drops), but not where they are.
 */
export function essence(text: string): { statements: unknown; comments: string[] } {
  const ast = parseOk(text);
  return { statements: withoutLocations(ast.statements), comments: ast.comments.map((c) => c.text.trimEnd()) };
}

/** Layout rules every formatted text keeps. */
export function layoutProblems(out: string): string[] {
  const problems: string[] = [];
  const lines = out.split("\n");
  if (!out.endsWith("\n") || out.endsWith("\n\n")) problems.push("does not end with exactly one line break");
  if (lines[0] === "") problems.push("starts with a blank line");
  lines.forEach((l, i) => {
    if (/[ \t]$/.test(l)) problems.push(`line ${i + 1} has trailing white space`);
    if (l === "" && lines[i + 1] === "" && i + 1 < lines.length - 1) problems.push(`line ${i + 1} starts two blank lines`);
  });
  return problems;
}
