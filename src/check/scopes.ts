/**
 * Which statements make up each model, and the one definition of "the first
 * of each name wins" that lowering and the rules about names both use:
 * lowering keeps the first and passes over the rest without a word; the
 * rules in rules/ (UniqueListRule, UniqueServiceRule, UniqueHostRule,
 * SinglePlatformRule, SingleMailRule) report them.
 */
import type { Span } from "../diagnostics/diagnostic.js";
import type { DiagnosticBag } from "../diagnostics/diagnostic.js";
import { Messages } from "../diagnostics/messages.js";
import { closest } from "../diagnostics/suggest.js";
import type { HostItem, RoleUse, Statement } from "../syntax/ast.js";
import type { Located, Program } from "../syntax/load.js";
import * as v from "./values.js";

type HostBlock = Located<Extract<Statement, { kind: "Host" }>>;
type RoleBlock = Located<Extract<Statement, { kind: "Role" }>>;

/** The statements of one model: the shared top level, plus one host block's own. */
export interface Scope {
  readonly host: { name: string; span: Span } | null;
  /** Made anew on each read for a host block's scope (see scopes): read once per pass. */
  readonly items: Located<HostItem>[];
}

/** Items in order, each with the earlier item of the same key when there is one. */
export function firstOfEach<T>(items: readonly T[], key: (item: T) => string | null): { item: T; prior: T | undefined }[] {
  const seen = new Map<string, T>();
  const out: { item: T; prior: T | undefined }[] = [];
  for (const item of items) {
    const k = key(item);
    if (k === null) continue;
    const prior = seen.get(k);
    if (prior === undefined) seen.set(k, item);
    out.push({ item, prior });
  }
  return out;
}

/** A host block's name, as a span. */
export function hostNameSpan(h: HostBlock): Span {
  return { file: h.file, ...h.node.name.loc };
}

/** Why a host block's name is refused (lowering reports it), or undefined. */
export function hostNameReason(h: HostBlock): string | undefined {
  return v.simpleNameReason(h.node.name.value, "host name");
}

/** The roles a host block takes, in order: each `role A, B;` entry with the role it names (undefined: none of that name). */
function takenRoles(
  h: HostBlock,
  roles: ReadonlyMap<string, RoleBlock>,
): { use: RoleUse; value: RoleUse["values"][number]; role: RoleBlock | undefined }[] {
  const out: { use: RoleUse; value: RoleUse["values"][number]; role: RoleBlock | undefined }[] = [];
  for (const item of h.node.items) {
    if (item.kind !== "RoleUse") continue;
    for (const value of item.values) out.push({ use: item, value, role: value.kind === "Word" ? roles.get(value.value) : undefined });
  }
  return out;
}

/** The first role block of each name. */
function roleTable(program: Program): Map<string, RoleBlock> {
  const roles = new Map<string, RoleBlock>();
  for (const r of program.roles) if (!roles.has(r.node.name.value)) roles.set(r.node.name.value, r);
  return roles;
}

/**
 * The models a policy builds: one named null without host blocks, else one
 * per host block, the first of each name, whose name is valid. A host's
 * statements are the shared top level, then each role it takes (in the order
 * it names them, each once), then its own: a name defined in two of them is
 * reported by the same rules as one defined twice anywhere, pointing at both.
 *
 * Made once per program (a program is not changed once loaded; check and
 * the decision procedure both ask), and lean for a fleet: a scope's `items`
 * are put together each time they are read, from the top level's, each
 * role's (made once per role, shared by its hosts) and the host block's, so
 * 10,000 hosts do not hold 10,000 arrays of their statements.
 */
export function scopes(program: Program): readonly Scope[] {
  let s = made.get(program);
  if (!s) made.set(program, (s = makeScopes(program)));
  return s;
}

const made = new WeakMap<Program, readonly Scope[]>();

/** One host's scope; its items made when read (see scopes). */
class HostScope implements Scope {
  constructor(
    readonly host: { name: string; span: Span },
    private readonly shared: readonly Located<HostItem>[],
    private readonly roles: readonly (readonly Located<HostItem>[])[],
    private readonly block: HostBlock,
  ) {}

  get items(): Located<HostItem>[] {
    const items = [...this.shared];
    for (const role of this.roles) for (const item of role) items.push(item);
    const { file, node } = this.block;
    for (const item of node.items) if (item.kind !== "RoleUse") items.push({ file, node: item });
    return items;
  }
}

function makeScopes(program: Program): Scope[] {
  if (program.hosts.length === 0) return [{ host: null, items: program.shared }];
  const roles = roleTable(program);
  // Each role's statements, located once: every host taking the role shares them.
  const located = new Map<RoleBlock, Located<HostItem>[]>();
  const locate = (role: RoleBlock): Located<HostItem>[] => {
    let items = located.get(role);
    if (items) return items;
    items = [];
    for (const node of role.node.items)
      if ((node as { kind: string }).kind !== "RoleUse" && (node as { kind: string }).kind !== "Include")
        items.push({ file: role.file, node });
    located.set(role, items);
    return items;
  };
  // Hosts taking the same roles in the same order share one array of them.
  const combinations = new Map<string, Located<HostItem>[][]>();
  const out: Scope[] = [];
  for (const { item: h, prior } of firstOfEach(program.hosts, (h) => h.node.name.value)) {
    if (prior || hostNameReason(h)) continue;
    const taken = new Set<string>();
    const own: Located<HostItem>[][] = [];
    let key = "";
    for (const { role } of takenRoles(h, roles)) {
      if (!role || taken.has(role.node.name.value)) continue;
      taken.add(role.node.name.value);
      own.push(locate(role));
      key += role.node.name.value + "\n";
    }
    let shared = combinations.get(key);
    if (!shared) combinations.set(key, (shared = own));
    out.push(new HostScope({ name: h.node.name.value, span: hostNameSpan(h) }, program.shared, shared, h));
  }
  return out;
}

/**
 * What is wrong with the roles of a policy (lowering reports it): a role
 * defined twice, a role name that is no bare word, a role no role block
 * defines, a host naming a role twice, a role no host takes.
 */
export function reportRoles(program: Program, diagnostics: DiagnosticBag): void {
  const roles = roleTable(program);
  for (const { item, prior } of firstOfEach(program.roles, (r) => r.node.name.value)) {
    const reason = prior ? undefined : v.simpleNameReason(item.node.name.value, "role name");
    if (reason)
      diagnostics.report(
        Messages.InvalidValue,
        { file: item.file, ...item.node.name.loc },
        { value: item.node.name.value, what: "role name", reason },
      );
    if (!prior) continue;
    diagnostics.report(Messages.DuplicateRole, { file: item.file, ...item.node.name.loc }, { name: item.node.name.value }, [
      { message: "First defined here.", span: { file: prior.file, ...prior.node.name.loc } },
    ]);
  }
  const used = new Set<string>();
  for (const { item: h, prior } of firstOfEach(program.hosts, (h) => h.node.name.value)) {
    if (prior) continue;
    const seen = new Set<string>();
    for (const { value, role } of takenRoles(h, roles)) {
      const span = { file: h.file, ...value.loc };
      if (value.kind !== "Word") {
        if (value.kind === "String") used.add(value.value); // the role is meant: no second finding that it is unused
        diagnostics.report(Messages.RoleNameNotWord, span, { value: value.kind === "String" ? value.raw : value.value });
        continue;
      }
      if (!role) {
        const guess = closest(value.value, roles.keys());
        diagnostics.report(Messages.UnknownRole, span, { name: value.value, hint: guess ? ` (did you mean "${guess}"?)` : "" });
        continue;
      }
      if (seen.has(value.value)) diagnostics.report(Messages.RoleTakenTwice, span, { host: h.node.name.value, name: value.value });
      seen.add(value.value);
      used.add(value.value);
    }
  }
  for (const [name, r] of roles) {
    if (!used.has(name)) diagnostics.report(Messages.UnusedRole, { file: r.file, ...r.node.name.loc }, { name });
  }
}
