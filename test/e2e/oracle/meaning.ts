import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { dirname, isAbsolute, relative, resolve as resolvePath } from "node:path";
import { DiagnosticBag } from "../../../src/diagnostics/diagnostic.js";
import type * as Ast from "../../../src/syntax/ast.js";
import { decodeSource, parse } from "../../../src/syntax/parser.js";

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
  const top = all.filter(
    (s): s is Ast.HostItem => s.kind !== "Host" && s.kind !== "Include" && s.kind !== "Role" && s.kind !== "Inventory",
  );
  const groups = inventoryGroups(path, all, read);
  let statements: Ast.HostItem[];
  if (host === undefined) {
    if (hosts.length || groups.size)
      throw new Error(
        `oracle: ${path} has host blocks or inventory hosts (${[...hosts.map((h) => h.name.value), ...groups.keys()].join(", ")}): name the host`,
      );
    statements = top;
  } else {
    const block = hosts.find((h) => h.name.value === host);
    if (!block && !groups.has(host)) throw new Error(`oracle: ${path} has no host ${host}`);
    // README "Roles": the top level, then each role the host takes (its inventory groups, then its own `role` lines), then its own statements.
    const taken = [...(groups.get(host) ?? [])];
    for (const item of block?.items ?? []) if (item.kind === "RoleUse") for (const v of item.values) taken.push((v as Ast.Word).value);
    const roles = all.filter((s): s is Ast.Role => s.kind === "Role");
    const fromRoles = [...new Set(taken)].flatMap((name) => roles.find((r) => r.name.value === name)?.items ?? []);
    statements = [...top, ...fromRoles, ...((block?.items ?? []).filter((i) => i.kind !== "RoleUse") as Ast.HostItem[])];
  }
  return meaningOf(path, statements);
}

/**
 * README "Hosts from an inventory": every host of an Ansible inventory (INI,
 * or YAML by its file ending) and the groups it is in, directly or through
 * children, in the order the groups are first written; `all` and
 * `ungrouped` are no roles. Read here on its own, not with src/.
 */
export function inventoryGroups(
  path: string,
  statements: readonly Ast.Statement[],
  read: ReadFile = (p) => readFileSync(p),
): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const s of statements) {
    if (s.kind !== "Inventory") continue;
    const file = resolvePath(dirname(resolvePath(path)), s.path.value);
    const text = new TextDecoder().decode(read(file));
    const order: string[] = [];
    const direct = new Map<string, string[]>(); // group -> hosts
    const children = new Map<string, string[]>(); // group -> child groups
    const seen = (g: string) => {
      if (!order.includes(g)) order.push(g);
    };
    if (/\.ya?ml$/.test(file)) {
      const walk = (name: string, node: Record<string, unknown> | null | undefined) => {
        seen(name);
        for (const h of Object.keys((node?.hosts as Record<string, unknown> | undefined) ?? {}))
          direct.set(name, [...(direct.get(name) ?? []), h]);
        for (const [c, sub] of Object.entries((node?.children as Record<string, Record<string, unknown>> | undefined) ?? {})) {
          children.set(name, [...(children.get(name) ?? []), c]);
          walk(c, sub);
        }
      };
      for (const [name, node] of Object.entries((parseYaml(text) as Record<string, Record<string, unknown>>) ?? {})) walk(name, node);
    } else {
      let section: { group: string; kind: "hosts" | "children" | "vars" } | null = null;
      for (const raw of text.split("\n")) {
        const line = raw.trim();
        if (!line || line.startsWith("#") || line.startsWith(";")) continue;
        const m = /^\[([^\]:]+)(?::(children|vars))?\]$/.exec(line);
        if (m) {
          section = { group: m[1]!, kind: (m[2] as "children" | "vars" | undefined) ?? "hosts" };
          seen(m[1]!);
          continue;
        }
        const word = line.split(/\s+/)[0]!;
        if (!section || section.kind === "vars") continue;
        const map = section.kind === "hosts" ? direct : children;
        map.set(section.group, [...(map.get(section.group) ?? []), word]);
        if (section.kind === "children") seen(word);
      }
    }
    const hostsIn = (g: string, path: string[] = []): string[] =>
      path.includes(g) ? [] : [...(direct.get(g) ?? []), ...(children.get(g) ?? []).flatMap((c) => hostsIn(c, [...path, g]))];
    for (const g of order) {
      for (const h of hostsIn(g)) {
        const list = out.get(h) ?? [];
        if (g !== "all" && g !== "ungrouped" && !list.includes(g)) list.push(g);
        out.set(h, list);
      }
    }
  }
  return out;
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
