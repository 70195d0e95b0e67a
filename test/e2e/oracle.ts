/**
 * The e2e oracle: what a policy MEANS on the real stack, derived from the
 * policy alone, independently of the compiler's own code path.
 *
 * It uses only the parser (src/syntax: bytes -> AST), never src/check or
 * src/targets: it resolves named lists itself (README "The policy
 * language": `$NAME` is the values of the list NAME, recursively; every bare
 * word and every string is a literal) and applies pam_listfile's semantics as
 * Linux-PAM 1.5.2's modules/pam_listfile/pam_listfile.c has them, measured
 * with pamtester where the manual disagrees (README "Inside acl"):
 *
 * - the module first checks apply= (only for tty, rhost, shell): a user who
 *   is not the apply target is not restricted (PAM_IGNORE);
 * - an unset or empty item never matches: sense=allow denies, sense=deny
 *   allows, and the list file is not even looked at;
 * - item=shell needs the user in passwd (else the onerr result);
 * - a missing list file gives the onerr result (fail: PAM_SERVICE_ERR, which
 *   pamtester reports as "Error in service module"); a world-writable list
 *   or one that is not a regular file (a symlink) is refused (PAM_AUTH_ERR)
 *   whatever onerr says;
 * - matching is exact (no case folding); item=group is membership (primary
 *   group or member list); tty has /dev/ stripped on both sides.
 *
 * Every acl line is `account required`, so the account stack is the acl
 * lines in policy order followed by the platform's account stack (Debian
 * `@include common-account`, Red Hat `include system-auth|password-auth`;
 * both need the user in passwd: pam_unix). With `required` lines the stack's
 * result is the FIRST failure's, so a case's outcome is the first non-passing
 * line: allow, deny (PAM_AUTH_ERR, PAM_USER_UNKNOWN) or error (PAM_SERVICE_ERR).
 *
 * The expectations are then cases chosen to exercise every list both ways
 * (each listed value, unlisted values, unset items, a user not in passwd,
 * apply targets and non-targets, broken list files) with the outcome the
 * semantics above give; and for mail the SMTP behaviour the README promises.
 */
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, relative, resolve as resolvePath } from "node:path";
import { DiagnosticBag } from "../../src/diagnostics/diagnostic.js";
import type * as Ast from "../../src/syntax/ast.js";
import { decodeSource, parse } from "../../src/syntax/parser.js";
import type { PamExpectation, SmtpExpectation, SmtpSocket, StackExpectations } from "./stack-suite.js";
import type { PamCase, PamResult, TestGroup, TestUser } from "./stack.js";

// ---------------------------------------------------------------------------
// The policy's meaning
// ---------------------------------------------------------------------------

export type Platform = "debian" | "redhat";
export type Item = "user" | "ruser" | "group" | "shell" | "rhost" | "tty";

/** One pam_listfile line, as the policy means it. */
export interface AclMeaning {
  item: Item;
  sense: "allow" | "deny";
  file: string;
  entries: string[];
  onerr: "fail" | "succeed";
  /** Only where pam_listfile honours it (tty, rhost, shell). */
  apply?: { kind: "user" | "group"; name: string };
}

/** One line of a service's account stack, reduced to what decides acct_mgmt. */
export type AccountStep =
  | { kind: "acl"; acl: AclMeaning }
  /** pam_unix account (directly or through common-account / system-auth / password-auth): the user must be in passwd. */
  | { kind: "unix"; why: string }
  | { kind: "permit" }
  | { kind: "deny" };

export interface ServiceMeaning {
  name: string;
  pamService: string;
  account: AccountStep[];
}

export interface ListenMeaning {
  port: string;
  address?: string;
  family?: string;
  name?: string;
  modifiers: string[];
}

export interface MailMeaning {
  domains: string[];
  listens: ListenMeaning[];
  mechanisms: string[];
  options: string[];
  /** null: no `relay authenticated`; otherwise the trusted mechanisms. */
  relayAuthenticated: string[] | null;
  relayDomains: string[];
  relayNetworks: string[];
  accounts: string[];
  /** `tls certificate/key/ca/ca-path`: the STARTTLS files on the host. */
  tls: { certificate?: string; key?: string; ca?: string; caPath?: string };
}

export interface PolicyMeaning {
  platform: Platform;
  services: ServiceMeaning[];
  mail?: MailMeaning;
  /** Every user name the policy mentions anywhere (lists, acl entries, accounts). */
  userNames: Set<string>;
}

const ITEM_KIND: Record<Item, Ast.ListKind> = {
  user: "users",
  ruser: "users",
  group: "groups",
  shell: "shells",
  rhost: "hosts",
  tty: "ttys",
};

/** Reads an included file (default: from disk). */
export type ReadFile = (path: string) => Uint8Array;

/** Parse one file (syntax only). */
function parseFile(path: string, bytes: Uint8Array): Ast.Policy {
  const bag = new DiagnosticBag();
  const file = decodeSource(path, bytes, bag);
  if (!file) throw new Error(`oracle: ${path} cannot be decoded`);
  const ast = parse(file, bag);
  if (bag.hasErrors) throw new Error(`oracle: ${path} has syntax errors: ${bag.items.map((d) => d.message).join("; ")}`);
  return ast;
}

/**
 * A policy's statements with every `include` replaced by the included file's
 * statements, in place (README: PATH is relative to the including file; an
 * include cycle or a file outside the root policy's folder is an error).
 */
export function flattenIncludes(path: string, bytes: Uint8Array, read: ReadFile = (p) => readFileSync(p)): Ast.Statement[] {
  const root = dirname(resolvePath(path));
  const expand = (file: string, data: Uint8Array, chain: string[]): Ast.Statement[] => {
    const out: Ast.Statement[] = [];
    for (const s of parseFile(file, data).statements) {
      if (s.kind !== "Include") {
        out.push(s);
        continue;
      }
      const target = resolvePath(dirname(file), s.path.value);
      const rel = relative(root, target);
      if (rel.startsWith("..") || isAbsolute(rel)) throw new Error(`oracle: ${file} includes ${s.path.value}, outside ${root}`);
      if (chain.includes(target)) throw new Error(`oracle: include cycle: ${[...chain, target].join(" -> ")}`);
      out.push(...expand(target, read(target), [...chain, target]));
    }
    return out;
  };
  const start = resolvePath(path);
  return expand(start, bytes, [start]);
}

/**
 * The host blocks of a policy (after includes), in order; empty when it has
 * none. README: "The top level is shared by every host; a host adds to it".
 */
export function hostsOf(statements: readonly Ast.Statement[]): Ast.Host[] {
  const hosts = statements.filter((s): s is Ast.Host => s.kind === "Host");
  const names = hosts.map((h) => h.name.value);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new Error(`oracle: host ${dup} defined twice`);
  return hosts;
}

/**
 * Parse a policy (following its includes) and give its meaning. For a policy
 * with host blocks, `host` names the host: its meaning is the shared top
 * level plus that host's block. Throws on syntax errors or anything the
 * oracle cannot model.
 */
export function readPolicy(path: string, bytes: Uint8Array = readFileSync(path), host?: string, read?: ReadFile): PolicyMeaning {
  const all = flattenIncludes(path, bytes, read);
  const hosts = hostsOf(all);
  const top = all.filter((s): s is Ast.HostItem => s.kind !== "Host" && s.kind !== "Include");
  let statements: Ast.HostItem[];
  if (host === undefined) {
    if (hosts.length) throw new Error(`oracle: ${path} has host blocks (${hosts.map((h) => h.name.value).join(", ")}): name the host`);
    statements = top;
  } else {
    const block = hosts.find((h) => h.name.value === host);
    if (!block) throw new Error(`oracle: ${path} has no host ${host}`);
    statements = [...top, ...block.items];
  }
  return meaningOf(path, statements);
}

function meaningOf(path: string, statements: readonly Ast.HostItem[]): PolicyMeaning {
  const lists = new Map<string, Ast.Value[]>(); // "kind name" -> values
  for (const s of statements) {
    if (s.kind !== "ListDef") continue;
    const key = `${s.listKind} ${s.name.value}`;
    if (lists.has(key)) throw new Error(`oracle: list ${key} defined twice`);
    lists.set(key, s.values);
  }
  const userNames = new Set<string>();
  // README "The policy language": only `$name` names a list; a bare word or
  // a string is always a literal, hosts and domains in their canonical form.
  const resolve = (kind: Ast.ListKind, values: readonly Ast.Value[], seen: string[] = []): string[] => {
    const out: string[] = [];
    for (const v of values) {
      if (v.kind === "Ref") {
        const key = `${kind} ${v.name}`;
        if (!lists.has(key)) throw new Error(`oracle: no ${kind} list ${v.name}`);
        if (seen.includes(key)) throw new Error(`oracle: lists include each other: ${[...seen, key].join(" -> ")}`);
        out.push(...resolve(kind, lists.get(key)!, [...seen, key]));
      } else if (v.kind === "Word" && lists.has(`${kind} ${v.value}`)) {
        throw new Error(`oracle: ${v.value} is both a literal and a ${kind} list`);
      } else out.push(kind === "hosts" || kind === "domains" ? canonicalName(v.value) : v.value);
    }
    const unique = [...new Set(out)];
    if (kind === "users") unique.forEach((u) => userNames.add(u));
    return unique;
  };
  for (const s of statements) if (s.kind === "ListDef" && s.listKind === "users") resolve("users", s.values);

  let platform: Platform | undefined;
  const services: ServiceMeaning[] = [];
  let mail: MailMeaning | undefined;
  for (const s of statements) {
    if (s.kind === "Platform") {
      if (platform) throw new Error(`oracle: ${path}: platform set twice`);
      if (s.name.value !== "debian" && s.name.value !== "redhat") throw new Error(`oracle: unknown platform ${s.name.value}`);
      platform = s.name.value;
    }
  }
  if (!platform) throw new Error(`oracle: ${path} has no platform`);
  for (const s of statements) {
    if (s.kind === "Service") services.push(readService(s, platform, resolve));
    if (s.kind === "Mail") {
      if (mail) throw new Error(`oracle: ${path}: more than one mail block`);
      mail = readMail(s, resolve);
    }
  }
  return { platform, services, mail, userNames };
}

type Resolve = (kind: Ast.ListKind, values: readonly Ast.Value[]) => string[];

/**
 * A host or domain as the daemons report it (README "The policy language"):
 * names lowercase without a trailing dot, IPv6 addresses compressed in
 * lowercase (here by the WHATWG URL parser, which agrees with glibc's
 * inet_ntop but for IPv4-compatible ::a.b.c.d, which the tests do not use).
 */
function canonicalName(s: string): string {
  if (s.includes(":")) return new URL(`http://[${s}]/`).hostname.slice(1, -1);
  return s.replace(/\.$/, "").toLowerCase();
}

/** A setting's words after its name: `relay domains a, b;` -> ["domains", "a", "b"]. */
function words(s: Ast.Setting): Ast.Value[] {
  return [...(s.sub ? [s.sub] : []), ...s.values];
}

function readService(s: Ast.Service, platform: Platform, resolve: Resolve): ServiceMeaning {
  let pamService = s.name.value;
  let template = "service";
  let stack: Ast.Stack | undefined;
  const acls: AclMeaning[] = [];
  for (const it of s.items) {
    if (it.kind === "Stack") stack = it;
    else if (it.kind === "Acl") acls.push(readAcl(it, resolve));
    else {
      const w = words(it);
      if (it.name.value === "pam") pamService = w[0]!.value;
      else if (it.name.value === "template") template = w[0]!.value;
      else throw new Error(`oracle: service ${s.name.value}: cannot model setting ${it.name.value}`);
    }
  }
  const platformAccount = (): AccountStep => {
    if (platform === "debian") return { kind: "unix", why: "common-account: pam_unix" };
    if (template === "service") return { kind: "unix", why: "password-auth: pam_unix" };
    if (template === "local") return { kind: "unix", why: "system-auth: pam_unix" };
    throw new Error(`oracle: service ${s.name.value}: cannot model template ${template}`);
  };
  const aclSteps: AccountStep[] = acls.map((acl) => ({ kind: "acl", acl }));
  if (!stack) return { name: s.name.value, pamService, account: [...aclSteps, platformAccount()] };

  // A custom stack: its account lines, with the acls exactly at `account acls;`, or
  // (without the marker) before the first account line.
  const account: AccountStep[] = [];
  const hasMarker = stack.lines.some((l) => l.kind === "StackAcls");
  let placed = false;
  for (const line of stack.lines) {
    const type = line.type.value.replace(/^-/, "").toLowerCase();
    if (type !== "account") continue;
    if (line.kind === "StackAcls") {
      account.push(...aclSteps);
      placed = true;
      continue;
    }
    if (!placed && !hasMarker) {
      account.push(...aclSteps);
      placed = true;
    }
    const control = line.control.kind === "Bracket" ? line.control.raw : line.control.value.toLowerCase();
    const module = line.module.value;
    if (control === "include" || control === "substack") {
      const known: Record<Platform, string[]> = { debian: ["common-account"], redhat: ["system-auth", "password-auth"] };
      if (!known[platform].includes(module)) throw new Error(`oracle: cannot model account ${control} ${module} on ${platform}`);
      account.push({ kind: "unix", why: `${module}: pam_unix` });
    } else if (control === "required" || control === "requisite") {
      const base = module.replace(/^.*\//, "");
      if (base === "pam_unix.so") account.push({ kind: "unix", why: "pam_unix" });
      else if (base === "pam_permit.so") account.push({ kind: "permit" });
      else if (base === "pam_deny.so") account.push({ kind: "deny" });
      else throw new Error(`oracle: cannot model account module ${module}`);
    } else throw new Error(`oracle: cannot model account control ${control}`);
  }
  if (!placed) account.push(...aclSteps);
  // No account line at all: Linux-PAM then runs the account lines of /etc/pam.d/other
  // (measured with pamtester on Linux-PAM 1.5.2: root passes, a user not in passwd is refused).
  // Debian's other includes common-account (pam_unix); Red Hat's denies everyone: not modelled.
  if (account.length === 0 && platform === "debian")
    account.push({ kind: "unix", why: "no account lines: /etc/pam.d/other, common-account: pam_unix" });
  if (account.length === 0) throw new Error(`oracle: service ${s.name.value} has no account stack`);
  return { name: s.name.value, pamService, account };
}

function readAcl(a: Ast.Acl, resolve: Resolve): AclMeaning {
  const item = a.item.value as Item;
  if (!(item in ITEM_KIND)) throw new Error(`oracle: unknown acl item ${item}`);
  const sense = a.sense.value;
  if (sense !== "allow" && sense !== "deny") throw new Error(`oracle: unknown sense ${sense}`);
  const acl: AclMeaning = { item, sense, file: a.file.value, entries: [], onerr: "fail" };
  for (const s of a.items) {
    const w = words(s);
    switch (s.name.value) {
      case "entries":
        acl.entries = resolve(ITEM_KIND[item], w);
        break;
      case "onerr":
        acl.onerr = w[0]!.value === "succeed" ? "succeed" : "fail";
        break;
      case "apply": {
        const v = w[0]!.value;
        // pam_listfile ignores apply= for user, ruser and group.
        if (item === "tty" || item === "rhost" || item === "shell") {
          acl.apply = v.startsWith("@") ? { kind: "group", name: v.slice(1) } : { kind: "user", name: v };
        }
        break;
      }
      case "quiet":
        break;
      default:
        throw new Error(`oracle: acl ${acl.file}: cannot model setting ${s.name.value}`);
    }
  }
  return acl;
}

function readMail(m: Ast.Mail, resolve: Resolve): MailMeaning {
  const mail: MailMeaning = {
    domains: [],
    listens: [],
    mechanisms: [],
    options: [],
    relayAuthenticated: null,
    relayDomains: [],
    relayNetworks: [],
    accounts: [],
    tls: {},
  };
  const literal = (vs: readonly Ast.Value[]) => vs.map((v) => v.value);
  for (const it of m.items) {
    if (it.kind === "Listen") {
      const l: ListenMeaning = { port: it.port.value, modifiers: [] };
      for (const s of it.items) {
        const w = literal(words(s));
        if (s.name.value === "address") l.address = w[0];
        else if (s.name.value === "family") l.family = w[0];
        else if (s.name.value === "name") l.name = w[0];
        else if (s.name.value === "modifiers") l.modifiers = w;
        else throw new Error(`oracle: listen: cannot model setting ${s.name.value}`);
      }
      mail.listens.push(l);
      continue;
    }
    const w = words(it);
    const head = w[0]?.value;
    switch (it.name.value) {
      case "domain":
        mail.domains = resolve("domains", w);
        break;
      case "listen":
        mail.listens.push({ port: head!, modifiers: [] });
        break;
      case "auth":
        if (head === "mechanisms") mail.mechanisms = literal(w.slice(1));
        else if (head === "options") mail.options = literal(w.slice(1));
        else if (head !== "backend") throw new Error(`oracle: cannot model auth ${head}`);
        break;
      case "relay":
        if (head === "authenticated") mail.relayAuthenticated = literal(w.slice(1));
        else if (head === "domains") mail.relayDomains = resolve("domains", w.slice(1));
        else if (head === "networks") mail.relayNetworks = resolve("networks", w.slice(1));
        else throw new Error(`oracle: cannot model relay ${head}`);
        break;
      case "tls": {
        const v = w[1]?.value;
        if (v === undefined || w.length !== 2) throw new Error(`oracle: cannot model tls ${head}`);
        if (head === "certificate") mail.tls.certificate = v;
        else if (head === "key") mail.tls.key = v;
        else if (head === "ca") mail.tls.ca = v;
        else if (head === "ca-path") mail.tls.caPath = v;
        else throw new Error(`oracle: cannot model tls ${head}`);
        break;
      }
      case "accounts":
        // Account names; a bare word naming a users list is that list (same rule as everywhere).
        mail.accounts = resolve("users", w);
        break;
      default:
        throw new Error(`oracle: mail: cannot model setting ${it.name.value}`);
    }
  }
  if (mail.relayAuthenticated && mail.relayAuthenticated.length === 0) mail.relayAuthenticated = [...mail.mechanisms];
  return mail;
}

// ---------------------------------------------------------------------------
// Accounts: the host's passwd/group (the sandbox is a copy of /etc) plus test users
// ---------------------------------------------------------------------------

export interface HostAccounts {
  users: Map<string, { gid: number; shell: string }>;
  groups: Map<string, { gid: number; members: string[] }>;
}

/** Read passwd and group of an /etc directory (default: this host's, which the sandboxes copy). */
export function readHostAccounts(etc = "/etc"): HostAccounts {
  const lines = (f: string) =>
    readFileSync(`${etc}/${f}`, "utf8")
      .split("\n")
      .filter((l) => l && !l.startsWith("#"));
  const users = new Map<string, { gid: number; shell: string }>();
  for (const l of lines("passwd")) {
    const f = l.split(":");
    users.set(f[0]!, { gid: Number(f[3]), shell: f[6] ?? "" });
  }
  const groups = new Map<string, { gid: number; members: string[] }>();
  for (const l of lines("group")) {
    const f = l.split(":");
    groups.set(f[0]!, { gid: Number(f[2]), members: f[3] ? f[3].split(",") : [] });
  }
  return { users, groups };
}

/** The account database a PAM sandbox will have: the host's plus the test users and groups (as stack.ts adds them). */
export class Accounts {
  private readonly users = new Map<string, { gid: number; shell: string }>();
  private readonly groups = new Map<string, { gid: number; members: Set<string> }>();
  private fresh = -1;

  constructor(host: HostAccounts, testUsers: readonly TestUser[], testGroups: readonly TestGroup[]) {
    for (const [n, u] of host.users) this.users.set(n, { ...u });
    for (const [n, g] of host.groups) this.groups.set(n, { gid: g.gid, members: new Set(g.members) });
    const ensure = (name: string) => {
      let g = this.groups.get(name);
      if (!g) this.groups.set(name, (g = { gid: this.fresh--, members: new Set() }));
      return g;
    };
    for (const g of testGroups) ensure(g.name);
    for (const u of testUsers) this.users.set(u.name, { gid: ensure(u.name).gid, shell: u.shell ?? "/bin/bash" });
    for (const u of testUsers) for (const g of u.groups ?? []) ensure(g).members.add(u.name);
    for (const g of testGroups) for (const m of g.members ?? []) ensure(g.name).members.add(m);
  }

  exists(user: string): boolean {
    return this.users.has(user);
  }

  shell(user: string): string | undefined {
    return this.users.get(user)?.shell;
  }

  /** pam_modutil_user_in_group_nam_nam: primary gid or member list; false when either is unknown. */
  inGroup(user: string, group: string): boolean {
    const u = this.users.get(user);
    const g = this.groups.get(group);
    if (!u || !g) return false;
    return u.gid === g.gid || g.members.has(user);
  }
}

// ---------------------------------------------------------------------------
// The account stack, evaluated
// ---------------------------------------------------------------------------

/** `ignored`: the module returned PAM_IGNORE (apply= does not name the user); it passes but decides nothing. */
type LineResult = { r: "pass" | "deny" | "error"; why: string; ignored?: true };

const stripDev = (s: string) => (s.startsWith("/dev/") ? s.slice(5) : s);

/** What one pam_listfile line returns for a case. */
export function listfile(acl: AclMeaning, c: PamCase, db: Accounts): LineResult {
  const onerr = (why: string): LineResult =>
    acl.onerr === "fail" ? { r: "error", why: `${why}, onerr=fail` } : { r: "pass", why: `${why}, onerr=succeed` };
  const where = `${acl.item} ${acl.sense} ${acl.file}`;
  if (acl.apply) {
    const target = acl.apply.kind === "user" ? c.user === acl.apply.name : db.inGroup(c.user, acl.apply.name);
    if (!target) return { r: "pass", why: `${where} does not apply to ${c.user}`, ignored: true };
  }
  let value: string | undefined;
  switch (acl.item) {
    case "user":
    case "group":
    case "shell":
      value = c.user;
      break;
    case "ruser":
      value = c.ruser;
      break;
    case "rhost":
      value = c.rhost;
      break;
    case "tty":
      value = c.tty === undefined ? undefined : stripDev(c.tty);
      break;
  }
  if (!value) {
    return acl.sense === "deny"
      ? { r: "pass", why: `${acl.item} unset never matches (${where})` }
      : { r: "deny", why: `${acl.item} unset never matches (${where})` };
  }
  if (acl.item === "shell") {
    const sh = db.shell(value);
    if (sh === undefined) return onerr(`${value} not in passwd for ${where}`);
    value = sh === "" ? "/bin/sh" : sh;
  }
  if (c.file && c.file.path === acl.file) {
    if (c.file.state === "missing") return onerr(`${acl.file} missing`);
    return { r: "deny", why: `${acl.file} ${c.file.state} is refused` };
  }
  const matched = acl.entries.some((e) =>
    acl.item === "group" ? db.inGroup(value!, e) : (acl.item === "tty" ? stripDev(e) : e) === value,
  );
  const shown = acl.item === "group" ? `${value}'s groups` : value;
  if (acl.sense === "allow") return matched ? { r: "pass", why: `${shown} listed` } : { r: "deny", why: `${shown} not in ${acl.file}` };
  return matched ? { r: "deny", why: `${shown} listed in ${acl.file}` } : { r: "pass", why: `${shown} not listed` };
}

/** The acct_mgmt outcome of a case: the first line that does not pass decides (all lines are required). */
export function evaluate(steps: readonly AccountStep[], c: PamCase, db: Accounts): { expect: PamResult; why: string } {
  const passed: string[] = [];
  let decided = false;
  for (const s of steps) {
    let res: LineResult;
    if (s.kind === "acl") res = listfile(s.acl, c, db);
    else if (s.kind === "unix") res = db.exists(c.user) ? { r: "pass", why: "in passwd" } : { r: "deny", why: `not in passwd (${s.why})` };
    else if (s.kind === "permit") res = { r: "pass", why: "pam_permit" };
    else res = { r: "deny", why: "pam_deny" };
    if (res.r !== "pass") return { expect: res.r, why: res.why };
    passed.push(res.why);
    if (!res.ignored) decided = true;
  }
  // Every line returned PAM_IGNORE: Linux-PAM has no result and answers PAM_PERM_DENIED
  // (measured with pamtester: "Permission denied", root included).
  if (!decided) return { expect: "deny", why: `every account line ignored the user (${passed.join("; ")}): PAM_PERM_DENIED` };
  return { expect: "allow", why: passed.filter((w) => !/^in passwd$|^pam_permit$/.test(w)).join("; ") || "passes every line" };
}

// ---------------------------------------------------------------------------
// PAM cases
// ---------------------------------------------------------------------------

/** Names for test users who are on no list (readable, and what the hand-written cookbook cases use). */
const NAME_POOL = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "oscar"];
const USER_RE = /^[a-z_][a-z0-9_.-]*$/;
const GROUP_RE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
/** A user that is in no passwd: pam_unix refuses it. */
export const GHOST = "e2e-ghost";

interface Profile {
  groups: string[];
  shell: string;
}

function pamExpectation(svc: ServiceMeaning, policy: PolicyMeaning, host: HostAccounts): PamExpectation {
  const acls = svc.account.flatMap((s) => (s.kind === "acl" ? [s.acl] : []));
  const of = (item: Item, sense?: "allow" | "deny") => acls.filter((a) => a.item === item && (!sense || a.sense === sense));
  const deniedBy = (item: Item, v: string) =>
    of(item, "deny").some((a) => a.entries.some((e) => (item === "tty" ? stripDev(e) === stripDev(v) : e === v)));

  const testUsers = new Map<string, TestUser>();
  const onHost = (n: string) => host.users.has(n);
  const used = new Set<string>([...policy.userNames, GHOST]);
  const freshName = (prefix?: string): string => {
    if (!prefix) {
      const n = NAME_POOL.find((p) => !used.has(p) && !onHost(p));
      if (n) {
        used.add(n);
        return n;
      }
      prefix = "e2e-user";
    }
    for (let i = 1; ; i++) {
      const n = i === 1 ? prefix : `${prefix}${i}`;
      if (!used.has(n) && !onHost(n)) {
        used.add(n);
        return n;
      }
    }
  };
  /** Register a test user (unless the host has it, or the name cannot be an account: then it stays absent). */
  const account = (name: string, p: Profile): string => {
    used.add(name);
    if (onHost(name) || !USER_RE.test(name) || name === GHOST) return name;
    const prev = testUsers.get(name);
    if (prev) {
      if (JSON.stringify(prev.groups) !== JSON.stringify(p.groups) || prev.shell !== p.shell) {
        throw new Error(`oracle bug: test user ${name} needed with two profiles`);
      }
      return name;
    }
    testUsers.set(name, { name, groups: [...p.groups], shell: p.shell });
    return name;
  };

  // Baseline: a user and items that pass every list when that is possible.
  const groupDenied = (g: string) => deniedBy("group", g);
  const baseGroups: string[] = [];
  for (const a of of("group", "allow")) {
    const g = a.entries.find((e) => GROUP_RE.test(e) && !groupDenied(e));
    if (g && !baseGroups.includes(g)) baseGroups.push(g);
  }
  for (const a of acls) {
    if (a.apply?.kind === "group" && GROUP_RE.test(a.apply.name) && !groupDenied(a.apply.name) && !baseGroups.includes(a.apply.name)) {
      baseGroups.push(a.apply.name);
    }
  }
  const shellAllow = of("shell", "allow");
  const shellOk = (s: string) => !deniedBy("shell", s) && shellAllow.every((a) => a.entries.includes(s));
  const baseShell = [...(shellAllow[0]?.entries ?? []), "/bin/bash", "/bin/sh"].find((s) => shellOk(s) && !s.includes(":")) ?? "/bin/bash";
  const base: Profile = { groups: baseGroups, shell: baseShell };
  const userAllow = of("user", "allow");
  let baseName: string;
  if (userAllow.length > 0) {
    const candidates = userAllow[0]!.entries.filter(
      (u) => userAllow.every((a) => a.entries.includes(u)) && !deniedBy("user", u) && USER_RE.test(u),
    );
    baseName = candidates.find((u) => !onHost(u)) ?? candidates[0] ?? freshName();
  } else {
    baseName = freshName();
  }
  account(baseName, base);
  const baseItem = (item: "rhost" | "tty" | "ruser"): string | undefined => of(item, "allow")[0]?.entries.find((e) => !deniedBy(item, e));
  const baseItems = { rhost: baseItem("rhost"), tty: baseItem("tty"), ruser: baseItem("ruser") };

  const cases: PamExpectation["cases"] = [];
  const seen = new Set<string>();
  const add = (c: PamCase, note: string) => {
    const clean: PamCase = { user: c.user };
    if (c.rhost !== undefined) clean.rhost = c.rhost;
    if (c.tty !== undefined) clean.tty = c.tty;
    if (c.ruser !== undefined) clean.ruser = c.ruser;
    if (c.file) clean.file = c.file;
    const key = JSON.stringify(clean);
    if (seen.has(key)) return;
    seen.add(key);
    cases.push({ ...clean, expect: "allow", why: note });
  };
  const withBase = (user: string, over: Partial<PamCase> = {}): PamCase => ({ user, ...baseItems, ...over });

  add(withBase(baseName), "baseline");
  add(withBase("root"), "system account");
  add(withBase(GHOST), "not in passwd");

  const unlistedUser = () => account(freshName(), base);
  let acln = 0;
  for (const a of acls) {
    acln++;
    const tag = `${a.item} ${a.sense}`;
    /** The user this list restricts (apply target), and one it does not. */
    let target = baseName;
    let nonTarget: string | undefined;
    if (a.apply?.kind === "user") {
      target = account(a.apply.name, base);
      nonTarget = target === baseName ? account(freshName(), base) : baseName;
    } else if (a.apply?.kind === "group") {
      const g = a.apply.name;
      nonTarget = account(freshName(`e2e-not-${g}`.slice(0, 30)), { ...base, groups: base.groups.filter((x) => x !== g) });
    }
    /** A value of the item that passes this list, and one that does not (for file breakage cases). */
    const unlisted = (cands: string[]) =>
      cands.find((v) => !a.entries.some((e) => (a.item === "tty" ? stripDev(e) === stripDev(v) : e === v)))!;
    let passing: PamCase | undefined;

    switch (a.item) {
      case "user": {
        const reps: string[] = [];
        for (const v of a.entries) {
          const u = account(v, base);
          add(withBase(u), `${tag}: listed`);
          reps.push(u);
        }
        const stranger = unlistedUser();
        add(withBase(stranger), `${tag}: not listed`);
        // File breakage: for an allow list, every listed user (they would pass); for a deny list, an unlisted one.
        const breakers = a.sense === "allow" ? reps : [stranger];
        for (const u of breakers) add(withBase(u, { file: { path: a.file, state: "missing" } }), `${tag}: list file missing`);
        passing = withBase(breakers[0] ?? baseName);
        break;
      }
      case "ruser": {
        for (const v of a.entries) add(withBase(baseName, { ruser: v }), `${tag}: listed`);
        const other = unlisted(["e2e-remote", "e2e-remote2", "nobody-else"]);
        add(withBase(baseName, { ruser: other }), `${tag}: not listed`);
        add({ ...withBase(baseName), ruser: undefined }, `${tag}: ruser unset`);
        passing = withBase(baseName, { ruser: a.sense === "allow" ? a.entries[0] : other });
        break;
      }
      case "group": {
        let i = 0;
        for (const g of a.entries) {
          if (!GROUP_RE.test(g)) continue;
          const groups = [...base.groups.filter((x) => !a.entries.includes(x)), g];
          add(withBase(account(freshName(`e2e-grp${acln}-${++i}`), { ...base, groups })), `${tag}: member of ${g}`);
        }
        const none = account(freshName(`e2e-grp${acln}-none`), { ...base, groups: base.groups.filter((x) => !a.entries.includes(x)) });
        add(withBase(none), `${tag}: member of no listed group`);
        passing = withBase(a.sense === "allow" ? baseName : none);
        break;
      }
      case "shell": {
        const tgtGroups = base.groups;
        const mk = (shell: string, label: string) => account(freshName(`e2e-sh${acln}-${label}`), { groups: tgtGroups, shell });
        let i = 0;
        let firstListed: string | undefined;
        for (const s of a.entries) {
          if (s.includes(":") || s.includes("\n")) continue;
          const u = a.apply?.kind === "user" ? target : mk(s, String(++i));
          firstListed ??= u;
          add(withBase(u), `${tag}: login shell ${s}`);
        }
        const other = unlisted(["/usr/sbin/nologin", "/bin/false", "/bin/e2e-shell"]);
        const otherUser = mk(other, "other");
        add(withBase(otherUser), `${tag}: login shell ${other} not listed`);
        // No case for an empty shell field: Linux-PAM >= 1.6 reads it as /bin/sh, 1.5 (Debian 12) as "" (matches nothing).
        if (nonTarget && a.apply?.kind === "group") {
          const out = account(freshName(`e2e-sh${acln}-out`), { groups: base.groups.filter((x) => x !== a.apply!.name), shell: other });
          add(withBase(out), `${tag}: not an apply target, unlisted shell`);
          add(withBase(out, { file: { path: a.file, state: "missing" } }), `${tag}: not an apply target, list file missing`);
        }
        passing = withBase(a.sense === "allow" ? (firstListed ?? target) : otherUser);
        break;
      }
      case "rhost":
      case "tty": {
        const item = a.item;
        const set = (user: string, v: string | undefined) => withBase(user, { [item]: v });
        for (const v of a.entries) {
          add(set(target, v), `${tag}: listed`);
          if (item === "tty") add(set(target, v.startsWith("/dev/") ? stripDev(v) : `/dev/${v}`), `${tag}: listed (/dev/ is stripped)`);
          if (item === "rhost" && /[a-z]/.test(v) && !a.entries.includes(v.toUpperCase())) {
            add(set(target, v.toUpperCase()), `${tag}: matching is exact (no case folding)`);
          }
        }
        const others = item === "tty" ? ["tty63", "pts/63", "ttyS9"] : ["e2e-elsewhere.example.test", "198.51.100.250", "2001:db8::250"];
        const other = unlisted(others);
        add(set(target, other), `${tag}: not listed`);
        add(set(target, undefined), `${tag}: ${item} unset`);
        if (nonTarget) {
          add(set(nonTarget, other), `${tag}: not an apply target`);
          add(set(nonTarget, undefined), `${tag}: not an apply target, ${item} unset`);
          add({ ...set(nonTarget, other), file: { path: a.file, state: "missing" } }, `${tag}: not an apply target, list file missing`);
        }
        passing = set(target, a.sense === "allow" ? a.entries[0] : other);
        // An unset item is decided before the list file is read.
        add({ ...set(target, undefined), file: { path: a.file, state: "missing" } }, `${tag}: ${item} unset, list file missing`);
        break;
      }
    }
    if (passing) {
      add({ ...passing, file: { path: a.file, state: "missing" } }, `${tag}: list file missing`);
      add({ ...passing, file: { path: a.file, state: "world-writable" } }, `${tag}: list file world-writable`);
      add({ ...passing, file: { path: a.file, state: "symlink" } }, `${tag}: list file is a symlink`);
    }
  }

  const users = [...testUsers.values()];
  const groupNames = new Set<string>();
  for (const a of acls) {
    if (a.item === "group") a.entries.filter((g) => GROUP_RE.test(g)).forEach((g) => groupNames.add(g));
    if (a.apply?.kind === "group" && GROUP_RE.test(a.apply.name)) groupNames.add(a.apply.name);
  }
  const groups: TestGroup[] = [...groupNames].map((name) => ({ name }));
  const db = new Accounts(host, users, groups);
  for (const c of cases) {
    const r = evaluate(svc.account, c, db);
    c.expect = r.expect;
    c.why = `${c.why}: ${r.why}`;
  }
  return { service: svc.pamService, users, groups, cases };
}

// ---------------------------------------------------------------------------
// SMTP
// ---------------------------------------------------------------------------

const PORTS: Record<string, number> = { smtp: 25, submission: 587, smtps: 465 };
const DEFAULT_NAMES: Record<string, string> = { smtp: "MTA", submission: "MSA", smtps: "SMTPS" };
/** Mechanisms swaks can authenticate with (DIGEST-MD5 needs Authen::SASL). */
const SWAKS_MECHS = new Set(["CRAM-MD5", "DIGEST-MD5", "PLAIN", "LOGIN", "CRAM-SHA1"]);
/** What confAUTH_OPTIONS `p` withholds without a security layer (Cyrus SASL: the mechanisms without SASL_SEC_NOPLAINTEXT). */
const PLAINTEXT_MECHS = new Set(["PLAIN", "LOGIN"]);
/** Mechanisms the raw SMTP client (stack.ts smtpSession) can authenticate with. */
const SESSION_MECHS = new Set(["PLAIN", "LOGIN"]);
export const FOREIGN = "foreign.example";
export const PASSWORD = "e2e-Secret-1";

function ipv4(s: string): number {
  const p = s.split(".").map(Number);
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) throw new Error(`oracle: not an IPv4 address: ${s}`);
  return ((p[0]! << 24) >>> 0) + (p[1]! << 16) + (p[2]! << 8) + p[3]!;
}
const dotted = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");

/** [first, last] of an IPv4 CIDR network. */
export function cidrRange(net: string): [number, number] {
  const [addr, bits = "32"] = net.split("/");
  const b = Number(bits);
  const size = 2 ** (32 - b);
  const first = Math.floor(ipv4(addr!) / size) * size;
  return [first, first + size - 1];
}

/** Client addresses inside each network (its first and last hosts) and just outside it, with what sendmail must do. */
export function relayNetworkClients(networks: readonly string[]): Array<{ address: string; expect: "relay" | "deny" }> {
  const ranges = networks.map(cidrRange);
  const inside = (n: number) => ranges.some(([a, b]) => n >= a && n <= b);
  const usable = (n: number) => n >= 0 && n <= 0xffffffff && n >>> 24 !== 0 && n >>> 24 < 224 && dotted(n) !== "127.0.0.1";
  const out: Array<{ address: string; expect: "relay" | "deny" }> = [];
  const seen = new Set<string>();
  for (const [a, b] of ranges) {
    const cands = b - a >= 2 ? [a + 1, b - 1, a - 2, b + 2] : [a, b, a - 2, b + 2];
    for (const n of cands) {
      if (!usable(n) || seen.has(dotted(n))) continue;
      seen.add(dotted(n));
      out.push({ address: dotted(n), expect: inside(n) ? "relay" : "deny" });
    }
  }
  return out;
}

function smtpExpectation(mail: MailMeaning): SmtpExpectation {
  const host = mail.domains[0]!;
  const daemonPortOptions = mail.listens.map((l) => {
    const name = l.name ?? DEFAULT_NAMES[l.port] ?? "*";
    const parts = [`Port=${l.port}`];
    if (l.address) parts.push(`Addr=${l.address}`);
    if (l.family) parts.push(`Family=${l.family}`);
    parts.push(`Name=${name}`);
    if (l.modifiers.length) parts.push(`M=${l.modifiers.join("")}`);
    return parts.join(", ");
  });
  const sockets = mail.listens
    .filter((l) => (l.family ?? "inet") === "inet")
    .map((l) => {
      const port = PORTS[l.port] ?? Number(l.port);
      if (!Number.isInteger(port) || port <= 0) throw new Error(`oracle: cannot resolve port ${l.port}`);
      const s: SmtpSocket & { mods: string[] } = { port, mods: l.modifiers };
      if (l.address && l.address !== "0.0.0.0") s.address = l.address;
      return s;
    })
    .filter((s) => !s.mods.includes("s")); // SMTPS needs certificates: only its cf line is checked
  const strip = ({ port, address }: SmtpSocket): SmtpSocket => (address ? { port, address } : { port });
  const open = sockets.find((s) => !s.mods.includes("a"));
  const authSocket = sockets.find((s) => !s.mods.includes("A"));
  if (!authSocket && mail.mechanisms.length) throw new Error("oracle: no socket offers AUTH");

  // EHLO. confAUTH_OPTIONS (sendmail's AuthOptions, cf/README): `p` "don't permit mechanisms
  // susceptible to simple passive attack (e.g., PLAIN, LOGIN), unless a security layer is active";
  // `y` "don't permit mechanisms that allow anonymous login". On a connection without STARTTLS no
  // security layer is active: with noplaintext, PLAIN and LOGIN are withheld (not offered, and an
  // AUTH with them is refused). After STARTTLS (only with `tls certificate` and `tls key`) every
  // usable mechanism is offered, and the trusted ones relay.
  const usable = mail.mechanisms.filter((m) => !(mail.options.includes("noanonymous") && m === "ANONYMOUS"));
  const withheld = mail.options.includes("noplaintext") ? usable.filter((m) => PLAINTEXT_MECHS.has(m)) : [];
  const offered = usable.filter((m) => !withheld.includes(m));
  const trusted = mail.relayAuthenticated ?? [];
  const relayMechanisms = offered.filter((m) => trusted.includes(m) && SWAKS_MECHS.has(m));
  const untrustedMechanisms = offered.filter((m) => !trusted.includes(m) && SWAKS_MECHS.has(m));

  const accountNames = mail.accounts.length ? mail.accounts : offered.length || withheld.length ? ["e2e-relay"] : [];
  const saslAccounts = accountNames.map((user) => ({ user, realm: host, password: PASSWORD }));

  // Recipient domains: local (class w, exact), relay domains (and their subdomains).
  const isLocal = (d: string) => mail.domains.includes(d);
  const isRelay = (d: string) => mail.relayDomains.some((r) => d === r || d.endsWith(`.${r}`));
  const refusedDomain = (d: string) => !isLocal(d) && !isRelay(d);
  const foreign = [FOREIGN, "foreign.e2e.test"].find(refusedDomain)!;
  const lookalikes = mail.relayDomains.map((r) => `e2e${r}`).filter(refusedDomain);

  const nets = mail.relayNetworks.filter((n) => !n.includes(":"));
  const netClients = relayNetworkClients(nets);
  // The ordinary client must be outside every relay network (127.0.0.2 unless a network holds it).
  const inNet = (a: string) =>
    nets.some((n) => {
      const [lo, hi] = cidrRange(n);
      return ipv4(a) >= lo && ipv4(a) <= hi;
    });
  const clientAddress = ["127.0.0.2", "198.18.0.2", "203.0.113.250", "100.64.0.2"].find((a) => !inNet(a));
  if (!clientAddress) throw new Error("oracle: no client address outside the relay networks");

  const exp: SmtpExpectation = {
    hostName: host,
    daemonPortOptions,
    saslAccounts,
    offeredMechanisms: offered,
    relayMechanisms,
    untrustedMechanisms,
    localRecipients: open ? mail.domains.map((d) => `postmaster@${d}`) : [],
    foreignRecipients: open ? [`someone@${foreign}`, ...lookalikes.map((d) => `someone@${d}`)] : [],
    relayTricks: open
      ? mail.domains.flatMap((d) => [`user%${foreign}@${d}`, `${foreign}!user@${d}`, `"user@${foreign}"@${d}`, `@${d}:user@${foreign}`])
      : [],
    relayDomainRecipients: open ? mail.relayDomains.flatMap((r) => [`someone@${r}`, `someone@e2e-sub.${r}`]) : [],
    relayNetworkClients: open ? netClients : [],
    relayTarget: `someone@${foreign}`,
    clientAddress,
    authRequired: sockets.filter((s) => s.mods.includes("a")).map(strip),
    serverAddresses: [...new Set(sockets.flatMap((s) => (s.address && !s.address.startsWith("127.") ? [s.address] : [])))],
    otherHostName: "e2e-host.harness.test",
  };
  if (withheld.length) {
    // Without a security layer an AUTH with them anyway is refused: 503 5.3.3 "AUTH not available"
    // when nothing is offered at all, else 504 5.3.3 "AUTH mechanism X not available".
    exp.withheldMechanisms = withheld.filter((m) => SESSION_MECHS.has(m));
    exp.withheldAuthReply = offered.length ? 504 : 503;
  }
  const { certificate, key, ca, caPath } = mail.tls;
  if (certificate && key) {
    // STARTTLS is offered; after it every usable mechanism is, and the trusted ones relay
    // (the raw TLS client speaks PLAIN and LOGIN).
    exp.tls = {
      files: { certificate, key, ...(ca ? { ca } : {}), ...(caPath ? { caPath } : {}) },
      offeredMechanisms: usable,
      relayMechanisms: usable.filter((m) => trusted.includes(m) && SESSION_MECHS.has(m)),
      untrustedMechanisms: usable.filter((m) => !trusted.includes(m) && SESSION_MECHS.has(m)),
    };
  }
  if (saslAccounts.length) exp.login = `${saslAccounts[0]!.user}@${saslAccounts[0]!.realm}`;
  if (open) exp.socket = strip(open);
  if (authSocket) exp.authSocket = strip(authSocket);
  return exp;
}

// ---------------------------------------------------------------------------
// Entry points
// ---------------------------------------------------------------------------

function expectationsOf(policy: PolicyMeaning, host: HostAccounts): StackExpectations {
  const exp: StackExpectations = { platform: policy.platform };
  if (policy.services.length) exp.pam = policy.services.map((s) => pamExpectation(s, policy, host));
  if (policy.mail) exp.smtp = smtpExpectation(policy.mail);
  return exp;
}

/**
 * The expectations for the policy at `path` (its compiled tree must behave like this on the real stack).
 * For a policy without host blocks; one with hosts: {@link expectationsByHost}.
 */
export function expectationsFor(
  path: string,
  host: HostAccounts = readHostAccounts(),
  bytes?: Uint8Array,
  read?: ReadFile,
): StackExpectations {
  return expectationsOf(readPolicy(path, bytes, undefined, read), host);
}

/** One tree of a build: `host` null for a policy without host blocks (the tree is OUT itself), else OUT/<host>. */
export interface TreeExpectations {
  host: string | null;
  expectations: StackExpectations;
}

/**
 * The expectations for every tree `build -o OUT` writes for the policy at
 * `path`: one per host block (the shared top level plus that block), in
 * policy order, or a single tree (host null) when there are none.
 */
export function expectationsByHost(
  path: string,
  host: HostAccounts = readHostAccounts(),
  bytes: Uint8Array = readFileSync(path),
  read?: ReadFile,
): TreeExpectations[] {
  const hosts = hostsOf(flattenIncludes(path, bytes, read)).map((h) => h.name.value);
  if (hosts.length === 0) return [{ host: null, expectations: expectationsOf(readPolicy(path, bytes, undefined, read), host) }];
  return hosts.map((name) => ({ host: name, expectations: expectationsOf(readPolicy(path, bytes, name, read), host) }));
}

/**
 * Only the PAM expectations of a policy without host blocks, one per service
 * (for trees whose mail half the SMTP expectations cannot model, e.g. a mail
 * block listening on IPv6 only; the PAM half does not depend on it).
 */
export function pamExpectationsFor(
  path: string,
  host: HostAccounts = readHostAccounts(),
  bytes?: Uint8Array,
  read?: ReadFile,
): PamExpectation[] {
  const policy = readPolicy(path, bytes, undefined, read);
  return policy.services.map((s) => pamExpectation(s, policy, host));
}
