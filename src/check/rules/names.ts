import type { HostItem } from "../../syntax/ast.js";
import type { Located } from "../../syntax/load.js";

/** The statements of one kind, with their files. */
export function statementsOf<K extends HostItem["kind"]>(
  items: readonly Located<HostItem>[],
  kind: K,
): Located<Extract<HostItem, { kind: K }>>[] {
  return items.filter((i): i is Located<Extract<HostItem, { kind: K }>> => i.node.kind === kind);
}
