/**
 * Where the formatter prints each comment. The lexer keeps comments aside
 * (Policy.comments), so they are placed here, from their offsets, before
 * printing; the printer then puts each one in exactly one place.
 *
 * The language is line-oriented, so the rules are too:
 * - a comment on its own line between statements or block items stays a line
 *   of its own there ("row"), with blank lines around it kept (at most one);
 * - a comment after a statement or item on the same line stays after it;
 * - a comment after a block's "{" on the same line stays there;
 * - inside a value list, a comment after a value stays after that value and
 *   an own-line comment stays before the next value (the list then breaks);
 * - any other comment inside a statement (between its keyword and its values,
 *   between PAM module arguments, in a block's header) moves out: before the
 *   statement if it comes before the statement's last value or argument,
 *   after the statement if it comes after it.
 * Every rule gives the same result on the formatted text, so formatting is
 * idempotent, and the order of comments never changes.
 */
import type { Acl, Comment, HostItem, ListDef, Listen, Node, Policy, Setting, Stack, StackEntry, Statement, Value } from "../syntax/ast.js";
import { bodyOf, type Container, isContainer, lastChild } from "../syntax/visit.js";

/** A node whose body is a sequence of items, each on its own line(s): the policy and every block (syntax/visit.ts). */
export type { Container };

/** One item of a container body, as the layout sees it. */
export type Item = Statement | HostItem | Setting | Stack | Acl | Listen | StackEntry;

/** A line (or lines) of a container body: an item with its comments, or an own-line comment. */
export type Row =
  { kind: "comment"; comment: Comment; start: number; end: number } | { kind: "item"; index: number; start: number; end: number };

/** The placement of every comment of a policy. */
export interface Layout {
  /** The rows of every container body (the policy itself and every block). */
  rows: Map<Node, Row[]>;
  /** Comments printed on their own lines just before an item. */
  head: Map<Node, Comment[]>;
  /** Comments after an item: the first on the item's last line, the others on lines of their own. */
  tail: Map<Node, Comment[]>;
  /** A comment on the line of a block's "{". */
  open: Map<Node, Comment>;
  /** Own-line comments before a value of a list. */
  beforeValue: Map<Value, Comment[]>;
  /** The comment after a value of a list (and its comma), on the same line. */
  afterValue: Map<Value, Comment>;
}

/** Places the comments of a policy; `text` is the source the offsets refer to. */
export function layoutComments(policy: Policy, comments: readonly Comment[], text: string): Layout {
  const layout: Layout = {
    rows: new Map(),
    head: new Map(),
    tail: new Map(),
    open: new Map(),
    beforeValue: new Map(),
    afterValue: new Map(),
  };
  const sorted = [...comments].sort((a, b) => a.loc.start - b.loc.start);
  new Placer(layout, text).body(policy, policy.statements, sorted, null);
  return layout;
}

/** The items of a container, in source order: its body key in syntax/visit.ts. */
export function itemsOf(node: Container): readonly Item[] {
  return bodyOf(node) as readonly Item[];
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Whether text[from, to) has a line break. */
export function hasNewline(text: string, from: number, to: number): boolean {
  const i = text.indexOf("\n", from);
  return i !== -1 && i < to;
}

/** Whether text[from, to) holds a blank line: two or more line breaks (only white space lies between rows). */
export function hasBlankLine(text: string, from: number, to: number): boolean {
  const first = text.indexOf("\n", from);
  if (first === -1 || first >= to) return false;
  const second = text.indexOf("\n", first + 1);
  return second !== -1 && second < to;
}

class Placer {
  constructor(
    private readonly layout: Layout,
    private readonly text: string,
  ) {}

  /**
   * Places the comments of a container body: `comments` are those between
   * the body's start and end, sorted; `brace` is the offset of the block's
   * "{" (null for the policy itself).
   */
  body(container: Container, items: readonly Item[], comments: readonly Comment[], brace: number | null): void {
    const rows: Row[] = [];
    let ci = 0;
    for (let i = 0; i <= items.length; i++) {
      const item = items[i];
      const prev = items[i - 1];
      const limit = item ? item.loc.start : Number.POSITIVE_INFINITY;
      for (; ci < comments.length && comments[ci]!.loc.start < limit; ci++) {
        const c = comments[ci]!;
        if (prev && !hasNewline(this.text, prev.loc.end, c.loc.start)) {
          push(this.layout.tail, prev, c);
        } else if (!prev && rows.length === 0 && brace !== null && !hasNewline(this.text, brace, c.loc.start)) {
          this.layout.open.set(container, c);
        } else {
          rows.push({ kind: "comment", comment: c, start: c.loc.start, end: c.loc.end });
        }
      }
      if (!item) break;
      const inner: Comment[] = [];
      for (; ci < comments.length && comments[ci]!.loc.start < item.loc.end; ci++) inner.push(comments[ci]!);
      rows.push({ kind: "item", index: i, start: item.loc.start, end: item.loc.end });
      this.item(item, inner);
    }
    // An item's row ends with its last trailing comment: blank lines are looked for after it.
    for (const row of rows) {
      if (row.kind !== "item") continue;
      for (const c of this.layout.tail.get(items[row.index]!) ?? []) row.end = Math.max(row.end, c.loc.end);
    }
    this.layout.rows.set(container, rows);
  }

  /**
   * Places the comments inside an item (between its first token and its ";"
   * or "}"): a block's by its "{", a value list's by its values, any other
   * item's by the end of its last child (syntax/visit.ts).
   */
  private item(item: Item, inner: Comment[]): void {
    if (isContainer(item)) {
      const block = item as Exclude<Container, Policy>;
      const brace = block.loc.open.start;
      const body: Comment[] = [];
      for (const c of inner) {
        if (c.loc.start < brace) push(this.layout.head, item, c);
        else body.push(c);
      }
      this.body(block, itemsOf(block), body, brace);
      return;
    }
    if ("values" in item && item.values.length > 0) {
      this.valueList(item, inner);
      return;
    }
    const last = lastChild(item);
    if (!last) throw new Error(`policyc bug: a ${item.kind} with no children`);
    this.headOrTail(item, inner, last.loc.end);
  }

  /** Comments before `lastEnd` (the end of the item's last word) go before the item, the others after it. */
  private headOrTail(item: Item, inner: Comment[], lastEnd: number): void {
    for (const c of inner) push(c.loc.start < lastEnd ? this.layout.head : this.layout.tail, item, c);
  }

  /** Comments of a statement or setting with values: in the list they stay with the values. */
  private valueList(item: ListDef | Setting, inner: Comment[]): void {
    const values = item.values;
    const first = values[0]!;
    const last = values[values.length - 1]!;
    let v = 0;
    for (const c of inner) {
      if (c.loc.start < first.loc.start) push(this.layout.head, item, c);
      else if (c.loc.start >= last.loc.end) push(this.layout.tail, item, c);
      else {
        while (values[v + 1]!.loc.start < c.loc.start) v++;
        const before = values[v]!;
        if (!hasNewline(this.text, before.loc.end, c.loc.start) && !this.layout.afterValue.has(before)) {
          this.layout.afterValue.set(before, c);
        } else {
          push(this.layout.beforeValue, values[v + 1]!, c);
        }
      }
    }
  }
}
