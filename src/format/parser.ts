/**
 * The prettier parser of the policy language: the compiler's own decoder and
 * parser (src/syntax/parser.ts), so that the formatter accepts exactly what
 * `policyc build` accepts and reports the same diagnostics.
 */
import type { Parser } from "prettier";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { DiagnosticBag } from "../diagnostics/diagnostic.js";
import type { Comment, Node, Policy } from "../syntax/ast.js";
import { decodeSource, parse } from "../syntax/parser.js";

/** The name of the parser and of the AST format in the plugin. */
export const PARSER_NAME = "policyc";
export const AST_FORMAT = "policyc-ast";

/**
 * A comment as prettier tracks it: prettier's "Comment ... was not printed"
 * check reads `value`, and the printer sets `printed`.
 */
export interface PrettierComment extends Comment {
  value: string;
  printed?: boolean;
}

/**
 * Prettier takes `comments` off the root before printing; the printer finds
 * the root's comments here instead.
 */
const commentsByRoot = new WeakMap<Policy, PrettierComment[]>();

/** The comments of a policy parsed by parsePolicy, in source order. */
export function commentsOf(root: Policy): PrettierComment[] {
  return commentsByRoot.get(root) ?? (root.comments as PrettierComment[] | undefined) ?? [];
}

/** A position as prettier's code frame takes it: 1-based line and column. */
export interface FramePosition {
  line: number;
  column: number;
}

/**
 * A syntax error of a policy: the message is the compiler's diagnostic (code
 * and sentence) with prettier's `(line:column)` suffix; `loc` makes prettier
 * print a code frame; `diagnostics` are all the parse errors, for callers
 * that render them themselves (policyc fmt).
 */
export class PolicySyntaxError extends SyntaxError {
  readonly loc?: { start: FramePosition; end: FramePosition };
  constructor(readonly diagnostics: Diagnostic[]) {
    const first = diagnostics.find((d) => d.severity === "error") ?? diagnostics[0]!;
    let message = `${first.code}: ${first.message}`;
    let loc: { start: FramePosition; end: FramePosition } | undefined;
    if (first.span) {
      const start = first.span.file.position(first.span.start);
      loc = { start, end: first.span.file.position(first.span.end) };
      message += ` (${start.line}:${start.column})`;
    }
    super(message);
    this.name = "SyntaxError";
    if (loc) this.loc = loc;
  }
}

/**
 * Parses a policy text for the printer. Throws PolicySyntaxError when the
 * compiler would report any syntax error: a formatter must not guess.
 */
export function parsePolicy(text: string, filepath?: string): Policy {
  const diagnostics = new DiagnosticBag();
  const file = decodeSource(filepath ?? "<input>", new TextEncoder().encode(text), diagnostics);
  const policy = file ? parse(file, diagnostics) : undefined;
  if (!policy || diagnostics.hasErrors) throw new PolicySyntaxError(diagnostics.sorted());
  const comments: PrettierComment[] = policy.comments.map((c) => ({ ...c, value: c.text }));
  const root: Policy = { ...policy, comments };
  commentsByRoot.set(root, comments);
  return root;
}

/** The prettier parser object: the compiler's parser, with UTF-16 offsets as locations. */
export const parser: Parser<Node> = {
  astFormat: AST_FORMAT,
  parse: (text, options) => parsePolicy(text, options?.filepath),
  locStart: (node) => node.loc.start,
  locEnd: (node) => node.loc.end,
};
