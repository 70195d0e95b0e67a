/**
 * The prettier printer of the policy language: one case per node kind, docs
 * made only with prettier's builders. Layout: one statement or block item
 * per line, blocks indented, blank lines between them kept (at most one),
 * value lists on one line or, when too long, one value per line.
 */
import type { AstPath, Doc, ParserOptions, Printer } from "prettier";
// prettier/doc is bundled into the plugin (scripts/bundle.js): the plugin needs no prettier of its own beside it.
import { builders } from "prettier/doc";
import type { Comment, ListDef, Node, Policy, RoleUse, Setting, StackAcls, StackLine, Value } from "../syntax/ast.js";
import { type Container, type Item, type Layout, hasBlankLine, itemsOf, layoutComments } from "./comments.js";
import { commentsOf, type PrettierComment } from "./parser.js";
import { bodyKey, CHILD_KEYS } from "../syntax/visit.js";

const { breakParent, fill, group, hardline, indent, join, line, lineSuffix } = builders;

type Print = (selector?: string | number | Array<string | number> | AstPath<Node>, args?: unknown) => Doc;

/** Column widths of a stack block, so that its lines align like a pam.d file. */
interface StackColumns {
  type: number;
  control: number;
}

const layouts = new WeakMap<Policy, Layout>();

/** The comment placement of the policy being printed, computed once per parse. */
function layoutOf(path: AstPath<Node>, options: ParserOptions<Node>): Layout {
  const root = path.root as Policy;
  let layout = layouts.get(root);
  if (!layout) {
    layout = layoutComments(root, commentsOf(root), options.originalText);
    layouts.set(root, layout);
  }
  return layout;
}

/** A comment's doc; marks it printed for prettier's check that none is lost. Trailing blanks go (prettier trims them anyway). */
function printComment(comment: Comment): Doc {
  (comment as PrettierComment).printed = true;
  return comment.text.trimEnd();
}

/** Prints a node: the printer's one entry, switching on the node kind. */
function print(path: AstPath<Node>, options: ParserOptions<Node>, print: Print, args?: unknown): Doc {
  const node = path.node;
  switch (node.kind) {
    case "Policy":
      return [printRows(path, options, print), hardline];
    case "Include":
      return ["include ", print("path"), ";"];
    case "Inventory":
      return ["inventory ", print("path"), ";"];
    case "Host":
      return printBlock(path, options, print, ["host ", print("name")]);
    case "Role":
      return printBlock(path, options, print, ["role ", print("name")]);
    case "RoleUse":
      return printValues(path, options, print, "role");
    case "Platform":
      return ["platform ", print("name"), ";"];
    case "ListDef":
      return printValues(path, options, print, [node.listKind, " ", print("name"), " ="]);
    case "Setting": {
      const head: Doc[] = [print("name")];
      if (node.sub) head.push(" ", print("sub"));
      if (node.values.length === 0) return [head, ";"];
      return printValues(path, options, print, head);
    }
    case "Expect":
      return group(["expect ", print("verdict"), " ", print("subject"), indent(path.map((c) => [line, print()], "clauses")), ";"]);
    case "ExpectClause":
      return [print("key"), " ", join(", ", path.map(print, "values"))];
    case "Service":
      return printBlock(path, options, print, ["service ", print("name")]);
    case "Mail":
      return printBlock(path, options, print, ["mail"]);
    case "Stack":
      return printBlock(path, options, print, ["stack"]);
    case "Acl":
      return printBlock(path, options, print, ["acl ", print("item"), " ", print("sense"), " ", print("file")]);
    case "Listen":
      return printBlock(path, options, print, ["listen ", print("port")]);
    case "StackLine":
      return printStackLine(node, path, print, args as StackColumns | undefined);
    case "StackAcls":
      return printStackAcls(node, args as StackColumns | undefined);
    case "KeyValue":
      return [print("key"), "=", print("value")];
    case "Word":
      return node.value;
    case "Ref":
      // As written: "$" and the list's name.
      return node.value;
    case "String":
      // As written: escapes stay as the author wrote them.
      return node.raw;
    case "Bracket":
      return node.raw;
    case "Comment":
      return printComment(node);
  }
}

/**
 * The rows of a container body joined by line breaks, with one blank line
 * where the source had one or more. An item row carries the comments moved
 * before it and the comments after it.
 */
function printRows(path: AstPath<Node>, options: ParserOptions<Node>, print: Print): Doc {
  const node = path.node as Container;
  const layout = layoutOf(path, options);
  const rows = layout.rows.get(node) ?? [];
  const items = itemsOf(node);
  const key = bodyKey(node);
  const columns = node.kind === "Stack" ? stackColumns(node.lines) : undefined;
  const text = options.originalText;
  const parts: Doc[] = [];
  rows.forEach((row, k) => {
    if (k > 0) {
      parts.push(hardline);
      if (hasBlankLine(text, rows[k - 1]!.end, row.start)) parts.push(hardline);
    }
    if (row.kind === "comment") {
      parts.push(printComment(row.comment));
      return;
    }
    const item: Item = items[row.index]!;
    for (const c of layout.head.get(item) ?? []) parts.push(printComment(c), hardline);
    parts.push(print([key, row.index], columns));
    const tail = layout.tail.get(item) ?? [];
    if (tail.length > 0) {
      // Like prettier's trailing comments: not counted in the line's width.
      parts.push(lineSuffix([" ", printComment(tail[0]!)]), breakParent);
      for (const c of tail.slice(1)) parts.push(hardline, printComment(c));
    }
  });
  return parts;
}

/** `HEADER {`, the body indented one item per line, `}`; an empty body prints `HEADER {}`. */
function printBlock(path: AstPath<Node>, options: ParserOptions<Node>, print: Print, header: Doc): Doc {
  const layout = layoutOf(path, options);
  const open = layout.open.get(path.node);
  const rows = layout.rows.get(path.node) ?? [];
  const parts: Doc[] = [header, " {"];
  if (open) parts.push(" ", printComment(open));
  if (rows.length > 0) parts.push(indent([hardline, printRows(path, options, print)]), hardline);
  else if (open) parts.push(hardline);
  parts.push("}");
  return parts;
}

/**
 * `HEAD v1, v2, v3;` when it fits, else one value per line:
 *
 *     HEAD
 *       v1,
 *       v2;
 *
 * A single value never moves to a line of its own. Comments between values
 * force the broken form and stay beside their values.
 */
function printValues(path: AstPath<Node>, options: ParserOptions<Node>, print: Print, head: Doc): Doc {
  const node = path.node as ListDef | Setting | RoleUse;
  const layout = layoutOf(path, options);
  const docs = path.map(print, "values");
  if (docs.length === 1) return [head, " ", docs[0]!, ";"];
  const last = node.values.length - 1;
  const parts = node.values.map((value: Value, i: number) => {
    const part: Doc[] = [];
    for (const c of layout.beforeValue.get(value) ?? []) part.push(printComment(c), hardline);
    part.push(docs[i]!);
    if (i < last) part.push(",");
    const after = layout.afterValue.get(value);
    if (after) part.push(lineSuffix([" ", printComment(after)]), breakParent);
    return part;
  });
  return group([head, indent([line, join(line, parts)]), ";"]);
}

/** The widest PAM type and the widest word control of a stack; bracket controls are not aligned. */
function stackColumns(lines: readonly (StackLine | StackAcls)[]): StackColumns {
  let type = 0;
  let control = 0;
  for (const l of lines) {
    type = Math.max(type, l.type.value.length);
    if (l.kind === "StackLine" && l.control.kind === "Word") control = Math.max(control, l.control.value.length);
  }
  return { type, control };
}

/** `TYPE CONTROL MODULE ARGS;` with TYPE and CONTROL padded to the stack's columns; long argument lists fill lines. */
function printStackLine(node: StackLine, path: AstPath<Node>, print: Print, columns: StackColumns | undefined): Doc {
  const control = node.control.kind === "Word" ? node.control.value.padEnd(columns?.control ?? 0) : node.control.raw;
  const words: Doc[] = [print("module"), ...path.map(print, "args")];
  words[words.length - 1] = [words[words.length - 1]!, ";"];
  return [node.type.value.padEnd(columns?.type ?? 0), " ", control, " ", indent(fill(join(line, words) as Doc[]))];
}

/** `account acls;` with the type padded to the stack's column. */
function printStackAcls(node: StackAcls, columns: StackColumns | undefined): Doc {
  return [node.type.value.padEnd(columns?.type ?? 0), " ", node.marker.value, ";"];
}

/** The child nodes prettier may visit (cursor tracking, AST checks): the table in syntax/visit.ts; comments are placed by comments.ts. */
function getVisitorKeys(node: Node): string[] {
  // Shared and never changed, as prettier's own visitor-key tables are.
  return CHILD_KEYS[node.kind] as readonly string[] as string[];
}

/** The prettier printer object. */
export const printer: Printer<Node> = { print, getVisitorKeys };
