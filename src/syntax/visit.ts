/**
 * The one table of the AST's shape: for every node kind, the keys that hold
 * its children, in source order, and for every block, the key of its body.
 * Every traversal (the formatter's printer and comment placement, and any
 * tool that walks the AST) goes through this table, so a new node kind needs
 * one line here; the type below refuses a table that misses a kind or names
 * a key the kind does not have.
 */
import type { Node } from "./ast.js";

export type NodeKind = Node["kind"];
type NodeOf<K extends NodeKind> = Extract<Node, { kind: K }>;

/** The keys of a node kind whose values are nodes, node arrays or null. */
type ChildKey<K extends NodeKind> = {
  [P in keyof NodeOf<K>]-?: NonNullable<NodeOf<K>[P]> extends Node | readonly Node[] ? P : never;
}[keyof NodeOf<K>] &
  string;

/** For every node kind, the keys that hold its children, in source order. */
export const CHILD_KEYS: { readonly [K in NodeKind]: readonly ChildKey<K>[] } = {
  Policy: ["statements"],
  Include: ["path"],
  Inventory: ["path"],
  Host: ["name", "items"],
  Role: ["name", "items"],
  RoleUse: ["values"],
  Platform: ["name"],
  ListDef: ["name", "values"],
  Setting: ["name", "sub", "values"],
  Expect: ["verdict", "subject", "clauses"],
  ExpectClause: ["key", "values"],
  Service: ["name", "items"],
  Mail: ["items"],
  Stack: ["lines"],
  Acl: ["item", "sense", "file", "items"],
  Listen: ["port", "items"],
  StackLine: ["type", "control", "module", "args"],
  StackAcls: ["type", "marker"],
  KeyValue: ["key", "value"],
  Word: [],
  String: [],
  Ref: [],
  Bracket: [],
  Comment: [],
};

/** The node kinds whose body is a sequence of items, each on its line(s): the policy and every block. */
export type ContainerKind = "Policy" | "Host" | "Role" | "Service" | "Mail" | "Stack" | "Acl" | "Listen";
export type Container = NodeOf<ContainerKind>;

/** For every container kind, the child key that holds its body (the last of its CHILD_KEYS). */
export const BODY_KEY: { readonly [K in ContainerKind]: ChildKey<K> } = {
  Policy: "statements",
  Host: "items",
  Role: "items",
  Service: "items",
  Mail: "items",
  Stack: "lines",
  Acl: "items",
  Listen: "items",
};

/** Whether a node is the policy or a block, with a body of items. */
export function isContainer(node: Node): node is Container {
  return Object.hasOwn(BODY_KEY, node.kind);
}

/** The body key of a container: "statements", "lines" or "items". */
export function bodyKey(node: Container): string {
  return BODY_KEY[node.kind];
}

/** The items of a container's body, in source order. */
export function bodyOf(node: Container): readonly Node[] {
  return (node as unknown as Record<string, readonly Node[]>)[BODY_KEY[node.kind]]!;
}

/**
 * Calls fn for each child of a node, in source order, with the key that
 * holds it. Reading a list's `values` makes its Value nodes (see build.ts):
 * tools may, the compiler walks long lists with eachValueSpan() instead.
 */
export function forEachChild(node: Node, fn: (child: Node, key: string) => void): void {
  const record = node as unknown as Record<string, Node | readonly Node[] | null>;
  for (const key of CHILD_KEYS[node.kind]) {
    const child = record[key];
    if (child === null || child === undefined) continue;
    if (Array.isArray(child)) for (const c of child as readonly Node[]) fn(c, key);
    else fn(child as Node, key);
  }
}

/** The children of a node, in source order. */
export function childrenOf(node: Node): Node[] {
  const out: Node[] = [];
  forEachChild(node, (c) => out.push(c));
  return out;
}

/** The last child of a node in source order (the end of its last word), or undefined for a leaf. */
export function lastChild(node: Node): Node | undefined {
  const keys = CHILD_KEYS[node.kind];
  const record = node as unknown as Record<string, Node | readonly Node[] | null>;
  for (let i = keys.length - 1; i >= 0; i--) {
    const child = record[keys[i]!];
    if (child === null || child === undefined) continue;
    if (!Array.isArray(child)) return child as Node;
    if (child.length > 0) return child[child.length - 1] as Node;
  }
  return undefined;
}

/**
 * Walks a tree depth first, parents before children, in source order. When
 * `enter` returns false, the node's children are skipped.
 */
export function walk(node: Node, enter: (node: Node, parent: Node | null) => boolean | void): void {
  const visit = (n: Node, parent: Node | null): void => {
    if (enter(n, parent) === false) return;
    forEachChild(n, (c) => visit(c, n));
  };
  visit(node, null);
}
