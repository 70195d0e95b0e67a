/**
 * What the models of one policy share when lowered (README "Roles",
 * "Performance"): a statement of the top level or of a role is lowered once
 * for every distinct way its host resolves the lists it names, not once per
 * host. Two hosts resolve a statement alike when their scopes define the
 * same list names with the same kinds (typo suggestions, unknown and
 * ambiguous names depend on those) and every list the statement names is
 * the same definition over the same lists, transitively (ListScope's
 * resolution numbers). Then lowering gives the same result and the same
 * findings, so the result is shared and the findings, which the bag would
 * drop as repeats, are not made again. Nothing downstream changes a model.
 */
import type { ListDef, ListKind, Statement, Value } from "../../syntax/ast.js";
import { eachRef } from "../../syntax/build.js";
import type { AccessListRead } from "../lowered.js";
import type { EntryList, MailModel, PlatformName, ServiceModel, UnsafeOverride } from "../model.js";
import type { NearNames } from "../suggest.js";
import type { ListSharing } from "./lists.js";

/** A statement's lowering, kept for the next scope that resolves it alike. */
export type SharedResult =
  | { kind: "Platform"; named: { platform: PlatformName; release: string } | null; overrides: UnsafeOverride[] }
  | { kind: "Service"; service: ServiceModel | null; accessLists: AccessListRead[]; overrides: UnsafeOverride[] }
  | { kind: "Mail"; mail: MailModel; overrides: UnsafeOverride[] };

export class SharedLowering {
  private readonly nameSets = new Map<string, number>();
  private readonly near = new Map<number, Map<ListKind, NearNames>>();
  private readonly ids = new Map<object, number>();
  private readonly resolutions = new Map<string, number>();
  private readonly lists = new Map<string, EntryList>();
  private readonly results = new Map<string, SharedResult>();
  private readonly refs = new Map<object, string[]>();
  private fresh = 0;

  /**
   * @param shared the statements of the top level and of roles, the only ones worth keeping; null: share nothing (one model).
   * @param handedOut told of each service and access list of a result taken from the cache (a second host holds it).
   */
  constructor(
    private readonly shared: ReadonlySet<object> | null,
    private readonly handedOut?: (object: object) => void,
  ) {}

  /** Whether anything is shared (more than one model). */
  get enabled(): boolean {
    return this.shared !== null;
  }

  private id(node: object): number {
    let id = this.ids.get(node);
    if (id === undefined) this.ids.set(node, (id = this.ids.size));
    return id;
  }

  /** The list sharing of a scope whose lists are these definitions, in order, the first of each name. */
  scope(defs: readonly ListDef[]): ListSharing {
    let key = "";
    for (const d of defs) key += `${d.listKind} ${d.name.value}\n`;
    let names = this.nameSets.get(key);
    if (names === undefined) this.nameSets.set(key, (names = this.nameSets.size));
    const n = names;
    return {
      names: n,
      resolution: (def, deps) => {
        // A host's own list, or one naming it, is no other host's: a fresh number, and nothing kept.
        if (!this.shared?.has(def) || deps.some((d) => d < 0)) return -2 - this.fresh++;
        const k = `${this.id(def)}:${deps.join(",")}`;
        let r = this.resolutions.get(k);
        if (r === undefined) this.resolutions.set(k, (r = this.resolutions.size));
        return r;
      },
      get: (r) => (r < 0 ? undefined : this.lists.get(`${r}|${n}`)),
      set: (r, list) => {
        if (r >= 0) this.lists.set(`${r}|${n}`, list);
      },
      nearNames: (make) => {
        let m = this.near.get(n);
        if (!m) this.near.set(n, (m = make()));
        return m;
      },
    };
  }

  /**
   * The key of a statement in a scope, or null when it is not shared (a
   * host's own statement, or one naming a list resolved in a cycle).
   */
  key(node: Statement, names: number, resolutionOf: (name: string) => number): string | null {
    if (!this.shared?.has(node)) return null;
    let key = `${this.id(node)}|${names}|`;
    for (const name of this.refsOf(node)) {
      const r = resolutionOf(name);
      if (r < -1) return null;
      key += r + ",";
    }
    return key;
  }

  get(key: string | null): SharedResult | undefined {
    if (key === null) return undefined;
    const result = this.results.get(key);
    if (result?.kind === "Service" && result.service && this.handedOut) {
      this.handedOut(result.service);
      for (const acl of result.service.acls) this.handedOut(acl);
    }
    return result;
  }

  set(key: string | null, result: SharedResult): void {
    if (key !== null) this.results.set(key, result);
  }

  /** The distinct list names a statement refers to (`$name`), found once per statement. */
  private refsOf(node: Statement): string[] {
    let names = this.refs.get(node);
    if (names) return names;
    const found = new Set<string>();
    // Every node holding values (settings, access lists' entries) is walked; an AST is shallow.
    const todo: unknown[] = [node];
    while (todo.length > 0) {
      const cur = todo.pop();
      if (Array.isArray(cur)) {
        for (const x of cur) if (x !== null && typeof x === "object") todo.push(x);
        continue;
      }
      if (cur === null || typeof cur !== "object") continue;
      const o = cur as Record<string, unknown>;
      // `values` is read through eachRef: reading the property would make a node per entry.
      if ("values" in o) eachRef(o as { values: Value[] }, (name) => found.add(name));
      for (const k in o) {
        if (k === "loc" || k === "values") continue;
        const v = o[k];
        if (v !== null && typeof v === "object") todo.push(v);
      }
    }
    names = [...found];
    this.refs.set(node, names);
    return names;
  }
}
