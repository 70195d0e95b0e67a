/**
 * Ansible inventories (README "Roles", "Hosts from an inventory"): the hosts
 * and the groups each belongs to, with where each is written. Variables are
 * not read. INI: `[group]` sections of host lines (`NAME key=value ...`),
 * `[group:children]` sections of group names, `[group:vars]` skipped. YAML:
 * groups with `hosts` (a map of host names) and `children` (a map of groups).
 * Host ranges (`www[01:50].example.com`) are expanded in both, as Ansible does.
 * The `yaml` package is loaded only when an inventory is YAML.
 */
import type { DiagnosticBag } from "../diagnostics/diagnostic.js";
import { Messages } from "../diagnostics/messages.js";
import type { SourceFile } from "../diagnostics/source.js";
import type { Loc } from "./ast.js";

/** A host of an inventory and every group it is in (directly or through children), in the order they are first written. */
export interface InventoryHost {
  name: string;
  loc: Loc;
  groups: { name: string; loc: Loc }[];
}

/** Ansible's implicit groups: every host is in `all`, and in `ungrouped` when in no other. They are no roles. */
const IMPLICIT = new Set(["all", "ungrouped"]);

class Graph {
  /** host -> its first location */
  hosts = new Map<string, Loc>();
  /** group -> its first location */
  groups = new Map<string, Loc>();
  /** group -> hosts directly in it */
  members = new Map<string, Set<string>>();
  /** group -> its child groups */
  children = new Map<string, Set<string>>();

  group(name: string, loc: Loc): void {
    if (!this.groups.has(name)) this.groups.set(name, loc);
  }
  host(group: string | null, name: string, loc: Loc): void {
    if (!this.hosts.has(name)) this.hosts.set(name, loc);
    if (group === null) return;
    let m = this.members.get(group);
    if (!m) this.members.set(group, (m = new Set()));
    m.add(name);
  }
  child(parent: string, child: string): void {
    let c = this.children.get(parent);
    if (!c) this.children.set(parent, (c = new Set()));
    c.add(child);
  }

  /** Each host with its groups: the groups in the order first written, each host in a group's children is in the group. */
  result(): InventoryHost[] {
    const of = new Map<string, Set<string>>();
    for (const h of this.hosts.keys()) of.set(h, new Set());
    for (const g of this.groups.keys()) {
      // The hosts of g and of its descendants, without recursion (a cycle of children is harmless).
      const seen = new Set<string>([g]);
      const todo = [g];
      while (todo.length > 0) {
        const cur = todo.pop()!;
        for (const h of this.members.get(cur) ?? []) of.get(h)!.add(g);
        for (const c of this.children.get(cur) ?? []) if (!seen.has(c)) (seen.add(c), todo.push(c));
      }
    }
    const order = [...this.groups.keys()];
    return [...this.hosts].map(([name, loc]) => ({
      name,
      loc,
      groups: order.filter((g) => of.get(name)!.has(g) && !IMPLICIT.has(g)).map((g) => ({ name: g, loc: this.groups.get(g)! })),
    }));
  }
}

// Ansible's host[:port] forms (parse_address in ansible/parsing/utils/addresses.py), ranges allowed.
const NUMERIC_RANGE = String.raw`\[(?:[0-9]+:[0-9]+)(?::[0-9]+)?\]`;
const HEX_RANGE = String.raw`\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\]`;
const ALNUM_RANGE = String.raw`\[(?:[a-z]:[a-z]|[0-9]+:[0-9]+)(?::[0-9]+)?\]`;
const V6 = `(?:[0-9a-f]{1,4}|${HEX_RANGE})`;
const V4 = `(?:[01]?[0-9]{1,2}|2[0-4][0-9]|25[0-5]|${NUMERIC_RANGE})`;
const LABEL = String.raw`(?:[\p{L}\p{N}_]|${ALNUM_RANGE})(?:[\p{L}\p{N}_-]|${ALNUM_RANGE})*(?<![_-])`;
const BRACKETED_HOSTPORT = /^\[(.+)\]:([0-9]+)$/;
const HOSTPORT = /^((?:[^:[\]]|\[[^\]]*\])*):([0-9]+)$/;
/**
 * The address forms, made on first use: a Unicode RegExp costs about half a
 * millisecond to make, which a build without an inventory need not pay
 * (README "Performance").
 */
let addressForms: { ipv4: RegExp; ipv6: RegExp; hostname: RegExp } | undefined;
function addresses(): { ipv4: RegExp; ipv6: RegExp; hostname: RegExp } {
  return (addressForms ??= {
    ipv4: new RegExp(`^(?:${V4}\\.){3}${V4}$`, "i"),
    // As Ansible's, whose alternatives are not grouped: each is anchored at the start, only the last at the end.
    ipv6: new RegExp(
      "^(?:" +
        [
          `(?:${V6}:){7}${V6}`,
          `(?:${V6}:){1,6}:`,
          `(?:${V6}:)(?::${V6}){1,6}`,
          `(?:${V6}:){2}(?::${V6}){1,5}`,
          `(?:${V6}:){3}(?::${V6}){1,4}`,
          `(?:${V6}:){4}(?::${V6}){1,3}`,
          `(?:${V6}:){5}(?::${V6}){1,2}`,
          `(?:${V6}:){6}(?::${V6})`,
          `:(?::${V6}){1,6}`,
          `${V6}?::`,
          `(?:0:){6}(?:${V6}\\.){3}${V6}`,
          `::(?:ffff:)?(?:${V6}\\.){3}${V6}`,
          `(?:0:){5}ffff:(?:${V6}\\.){3}${V6}$`,
        ].join("|") +
        ")",
      "i",
    ),
    hostname: new RegExp(`^${LABEL}(?:\\.${LABEL})*$`, "iu"),
  });
}

/**
 * The host pattern of an inventory's host entry without its port, as
 * Ansible reads it (InventoryModule._expand_hostpattern): `db1:2222` and
 * `[2001:db8::7]:2022` are hosts `db1` and `2001:db8::7` with a port, which
 * policyc ignores; a bare IPv6 address (`fe80::1`) has no port (only the
 * bracketed form gives one); what is no host name, IP address or
 * `[...]:PORT` is kept whole (`db1:abc`). The result may still hold ranges.
 */
export function withoutPort(pattern: string): { host: string; port?: number } {
  let address = pattern;
  let port: number | undefined;
  for (const re of [BRACKETED_HOSTPORT, HOSTPORT]) {
    const m = re.exec(address);
    if (m) {
      address = m[1]!;
      port = Number(m[2]);
    }
  }
  const { ipv4, ipv6, hostname } = addresses();
  if (ipv4.test(address) || ipv6.test(address) || hostname.test(address))
    return port === undefined ? { host: address } : { host: address, port };
  return { host: pattern };
}

/** The most host names one inventory may make from ranges: `web[0:99999999]` is a typo, not a fleet. */
export const MAX_RANGE_HOSTS = 1_000_000;

const LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/**
 * The host names a host pattern stands for, as Ansible expands them
 * (expand_hostname_range in ansible/plugins/inventory/__init__.py): the
 * first `[BEGIN:END]` or `[BEGIN:END:STEP]` is replaced by each value in
 * turn and the rest expanded again. BEGIN and END are integers (a BEGIN of
 * several digits with a leading zero sets the width, and END must have as
 * many) or letters (`[a:f]`, `[A:z]` in a-zA-Z order); an empty BEGIN is 0.
 * Returns the reason when it is malformed; where Ansible quietly makes no
 * host (END before BEGIN in numbers, a step below 1), that is a reason too.
 * `room` is how many names may still be made.
 */
export function expandHostPattern(pattern: string, room = MAX_RANGE_HOSTS): string[] | { reason: string } {
  if (!pattern.includes("[")) return [pattern];
  const out: string[] = [];
  const todo = [pattern];
  while (todo.length > 0) {
    const line = todo.pop()!;
    const open = line.indexOf("[");
    if (open === -1) {
      if (out.length >= room) return { reason: `its ranges make more than ${room.toLocaleString("en")} hosts` };
      out.push(line);
      continue;
    }
    const close = line.indexOf("]");
    if (close < open) return { reason: "a host range is [BEGIN:END] or [BEGIN:END:STEP]" };
    const head = line.slice(0, open);
    const tail = line.slice(close + 1);
    const bounds = line.slice(open + 1, close).split(":");
    if (bounds.length !== 2 && bounds.length !== 3) return { reason: "a host range must be BEGIN:END or BEGIN:END:STEP" };
    const beg = bounds[0] || "0";
    const end = bounds[1]!;
    if (end === "") return { reason: "a host range must give its end" };
    if (bounds.length === 3 && !/^[0-9]+$/.test(bounds[2]!))
      return { reason: `the step "${bounds[2]}" of a host range is not a whole number` };
    const step = bounds.length === 3 ? Number(bounds[2]) : 1;
    if (step < 1) return { reason: "the step of a host range must be at least 1" };
    const width = beg.length > 1 && beg.startsWith("0") ? beg.length : 0;
    if (width && end.length !== width) return { reason: "a host range with leading zeros must give its begin and end with as many digits" };
    const values: string[] = [];
    const a = LETTERS.indexOf(beg);
    const b = LETTERS.indexOf(end);
    if (a !== -1 && b !== -1) {
      if (a > b) return { reason: "a host range must have begin <= end" };
      for (let i = a; i <= b; i += step) values.push(LETTERS[i]!);
    } else {
      if (!/^[0-9]+$/.test(beg) || !/^[0-9]+$/.test(end)) return { reason: "a host range is of numbers or of letters" };
      const from = Number(beg);
      const to = Number(end);
      if (from > to) return { reason: "a host range must have begin <= end" };
      if ((to - from) / step + out.length + todo.length >= room)
        return { reason: `its ranges make more than ${room.toLocaleString("en")} hosts` };
      for (let i = from; i <= to; i += step) values.push(width ? String(i).padStart(width, "0") : String(i));
    }
    // In reverse onto the stack, so the names come out in Ansible's order.
    for (let i = values.length - 1; i >= 0; i--) todo.push(head + values[i]! + tail);
  }
  return out;
}

/** Reads an inventory: YAML when its name ends in .yml or .yaml, else INI. Undefined after reporting a malformed one. */
export function readInventory(file: SourceFile, diagnostics: DiagnosticBag): InventoryHost[] | undefined {
  return /\.ya?ml$/i.test(file.path) ? readYaml(file, diagnostics) : readIni(file, diagnostics);
}

function readIni(file: SourceFile, diagnostics: DiagnosticBag): InventoryHost[] | undefined {
  const g = new Graph();
  const text = file.text;
  let section: { group: string; kind: "hosts" | "children" | "vars" } | null = null;
  let ok = true;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf("\n", start);
    if (end === -1) end = text.length;
    const line = text.slice(start, end);
    const lead = line.length - line.trimStart().length;
    const body = line.trim();
    const at = start + lead;
    start = end + 1;
    if (body === "" || body.startsWith("#") || body.startsWith(";")) continue;
    // `[2001:db8::7]:2022` is a host with a port, not a section (Ansible's section pattern does not match it).
    if (body.startsWith("[") && !/^\[[^\]]+\]:[0-9]+(?:\s|$)/.test(body)) {
      const m = /^\[([^\]:\s]+)(?::(children|vars))?\]$/.exec(body);
      if (!m) {
        diagnostics.report(
          Messages.InventoryMalformed,
          { file, start: at, end: at + body.length },
          {
            reason: "a section header is [GROUP], [GROUP:children] or [GROUP:vars]",
          },
        );
        ok = false;
        continue;
      }
      section = { group: m[1]!, kind: (m[2] as "children" | "vars" | undefined) ?? "hosts" };
      if (section.kind !== "vars") g.group(section.group, { start: at + 1, end: at + 1 + m[1]!.length });
      continue;
    }
    if (section?.kind === "vars") continue;
    const name = body.split(/\s/, 1)[0]!;
    const loc = { start: at, end: at + name.length };
    if (section?.kind === "children") {
      g.group(name, loc);
      g.child(section.group, name);
    } else {
      const { host, port } = withoutPort(name);
      if (port === undefined && name.endsWith(":")) {
        diagnostics.report(
          Messages.InventoryMalformed,
          { file, ...loc },
          { reason: 'a host may not end in ":": it is reserved for a port' },
        );
        ok = false;
        continue;
      }
      const names = expandHostPattern(host, MAX_RANGE_HOSTS - g.hosts.size);
      if (!Array.isArray(names)) {
        diagnostics.report(Messages.InventoryMalformed, { file, ...loc }, names);
        ok = false;
        continue;
      }
      for (const n of names) g.host(section ? section.group : null, n, loc);
    }
  }
  return ok ? g.result() : undefined;
}

interface YamlNode {
  range?: [number, number, number] | null;
}

/** require() beside this module; node:module is loaded here, not at start-up (README "Performance"). */
function requireHere(id: string): unknown {
  const { createRequire } = process.getBuiltinModule("node:module") as typeof import("node:module");
  return createRequire(import.meta.url)(id);
}

function readYaml(file: SourceFile, diagnostics: DiagnosticBag): InventoryHost[] | undefined {
  const yaml = requireHere("yaml") as typeof import("yaml");
  const doc = yaml.parseDocument(file.text);
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    diagnostics.report(Messages.InventoryMalformed, { file, start: e.pos[0], end: e.pos[1] }, { reason: e.message.split("\n")[0]! });
    return undefined;
  }
  const g = new Graph();
  const locOf = (n: unknown): Loc => {
    const r = (n as YamlNode | null)?.range;
    return r ? { start: r[0], end: r[1] } : { start: 0, end: 0 };
  };
  let ok = true;
  const bad = (n: unknown, reason: string) => {
    diagnostics.report(Messages.InventoryMalformed, { file, ...locOf(n) }, { reason });
    ok = false;
  };
  /** The pairs of a map, or [] for null (`hosts:` with nothing under it); anything else is reported. */
  const pairs = (n: unknown, what: string): { key: unknown; value: unknown; name: string }[] => {
    if (n === null || n === undefined || (yaml.isScalar(n) && n.value === null)) return [];
    if (!yaml.isMap(n)) {
      bad(n, `${what} must be a map of names`);
      return [];
    }
    return n.items.map((p) => ({ key: p.key, value: p.value, name: yaml.isScalar(p.key) ? String(p.key.value) : "" }));
  };
  // Groups to read, without recursion: [group name, its map node].
  const todo: { name: string; node: unknown }[] = [];
  const read = new Set<unknown>();
  for (const top of pairs(doc.contents, "an inventory")) {
    g.group(top.name, locOf(top.key));
    todo.push({ name: top.name, node: top.value });
  }
  while (todo.length > 0) {
    const { name, node } = todo.shift()!;
    if (read.has(node)) continue;
    read.add(node);
    for (const p of pairs(node, `group "${name}"`)) {
      if (p.name === "hosts") {
        for (const h of pairs(p.value, `the hosts of group "${name}"`)) {
          const names = expandHostPattern(withoutPort(h.name).host, MAX_RANGE_HOSTS - g.hosts.size);
          if (!Array.isArray(names)) bad(h.key, names.reason);
          else for (const n of names) g.host(name, n, locOf(h.key));
        }
      } else if (p.name === "children") {
        for (const c of pairs(p.value, `the children of group "${name}"`)) {
          g.group(c.name, locOf(c.key));
          g.child(name, c.name);
          todo.push({ name: c.name, node: c.value });
        }
      } else if (p.name !== "vars") bad(p.key, `a group holds hosts, children and vars, not "${p.name}"`);
    }
  }
  return ok ? g.result() : undefined;
}
