/**
 * What a change to a policy does to access (README "Access diff"): the two
 * builds' models compared per host and service as sets, so that reordered
 * entries, renamed or split lists and reformatting change nothing, and every
 * change is said in words with its direction: gain (someone or something is
 * let in that was not), loss, or change (the direction depends on the host:
 * a new service, another stack).
 */
import type { AclModel, Build, EntryList, MailModel, Model, ServiceModel } from "../check/model.js";

export type Effect = "gain" | "loss" | "change";

export interface AccessChange {
  host: string | null;
  /** The service's name, or "mail". */
  scope: string;
  effect: Effect;
  text: string;
}

const WHO: Record<AclModel["item"], (v: string) => string> = {
  user: (v) => v,
  ruser: (v) => `remote user ${v}`,
  group: (v) => `members of ${v}`,
  rhost: (v) => `clients from ${v}`,
  tty: (v) => `logins on ${v}`,
  shell: (v) => `users with shell ${v}`,
};

const aclKey = (a: AclModel) => `${a.item} ${a.sense} ${a.file}`;

function stackKey(s: ServiceModel): string {
  if (!s.stack) return `template ${s.templateSet ? s.template : "(stock)"}`;
  return JSON.stringify(s.stack.map((l) => (l.kind === "acls" ? "acls" : [l.type, l.control, l.module, ...l.args])));
}

/** The changes in access from one model to another of the same host (null: the host has none). */
function diffModel(host: string | null, a: Model | null, b: Model | null, out: AccessChange[]): void {
  const on = host === null ? "" : ` on ${host}`;
  const push = (scope: string, effect: Effect, text: string) => out.push({ host, scope, effect, text });
  const olds = new Map((a?.services ?? []).map((s) => [s.name, s]));
  const news = new Map((b?.services ?? []).map((s) => [s.name, s]));
  for (const [name, s] of olds)
    if (!news.has(name))
      push(name, "change", `service ${name} is no longer in the policy${on}: /etc/pam.d/${s.pamService} is the host's again`);
  for (const [name, s] of news) {
    const o = olds.get(name);
    if (!o) {
      push(
        name,
        "change",
        `service ${name} is new${on} (PAM service ${s.pamService}, ${s.acls.length} access list${s.acls.length === 1 ? "" : "s"})`,
      );
      continue;
    }
    if (o.pamService !== s.pamService) push(name, "change", `${name} moves from PAM service ${o.pamService} to ${s.pamService}${on}`);
    if (stackKey(o) !== stackKey(s)) push(name, "change", `the PAM stack of ${name} changes${on}`);
    diffAcls(name, on, o.acls, s.acls, push);
  }
  diffMail(on, a?.mail ?? null, b?.mail ?? null, (effect, text) => push("mail", effect, text));
}

function diffAcls(
  name: string,
  on: string,
  olds: AclModel[],
  news: AclModel[],
  push: (scope: string, effect: Effect, text: string) => void,
): void {
  const left = new Map(olds.map((a) => [aclKey(a), a]));
  for (const n of news) {
    const o = left.get(aclKey(n));
    const what = `${n.item} ${n.sense} ${n.file}`;
    if (!o) {
      push(
        name,
        "loss",
        `${name}${on} gets the ${what} list: ${n.sense === "allow" ? "only its entries pass" : `its ${n.entries.length} entr${n.entries.length === 1 ? "y is" : "ies are"} refused`}`,
      );
      continue;
    }
    left.delete(aclKey(n));
    const added = missingFrom(o.entries, n.entries);
    const removed = missingFrom(n.entries, o.entries);
    const who = WHO[n.item];
    for (const v of added)
      push(
        name,
        n.sense === "allow" ? "gain" : "loss",
        `${who(v)} ${n.sense === "allow" ? "gain" : "lose"}${n.item === "user" || n.item === "ruser" ? "s" : ""} ${name}${on} (${what})`,
      );
    for (const v of removed)
      push(
        name,
        n.sense === "allow" ? "loss" : "gain",
        `${who(v)} ${n.sense === "allow" ? "lose" : "gain"}${n.item === "user" || n.item === "ruser" ? "s" : ""} ${name}${on} (${what})`,
      );
    if (o.onerr !== n.onerr)
      push(
        name,
        n.onerr === "succeed" ? "gain" : "loss",
        `onerr ${o.onerr} -> ${n.onerr} on ${name}${on} (${what}): ${n.onerr === "succeed" ? "fails open" : "fails closed"}`,
      );
    if (o.apply !== n.apply)
      push(name, "change", `apply ${o.apply ?? "(everyone)"} -> ${n.apply ?? "(everyone)"} on ${name}${on} (${what})`);
  }
  for (const o of left.values()) push(name, "gain", `${name}${on} drops the ${o.item} ${o.sense} ${o.file} list`);
}

/**
 * The values of `b` that `a` does not hold, each once, in b's order. Entries
 * are compared through their hashes in a typed open-addressing table (a Set
 * of a million strings sliced from the policy text costs seconds), and by
 * value only where the hashes agree.
 */
export function missingFrom(a: EntryList, b: EntryList): string[] {
  const size = 1 << Math.max(4, Math.ceil(Math.log2(a.length * 2 + 1)));
  const mask = size - 1;
  const slots = new Int32Array(size).fill(-1);
  const hashes = new Uint32Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const h = a.hash(i) >>> 0;
    hashes[i] = h;
    let k = h & mask;
    while (slots[k] !== -1) k = (k + 1) & mask;
    slots[k] = i;
  }
  const out: string[] = [];
  const seen = new Set<string>();
  for (let j = 0; j < b.length; j++) {
    const h = b.hash(j) >>> 0;
    let found = false;
    let value: string | null = null;
    for (let k = h & mask; slots[k] !== -1; k = (k + 1) & mask) {
      const i = slots[k]!;
      if (hashes[i] !== h) continue;
      value ??= b.value(j);
      if (a.value(i) === value) {
        found = true;
        break;
      }
    }
    if (found) continue;
    value ??= b.value(j);
    if (!seen.has(value)) {
      seen.add(value);
      out.push(value);
    }
  }
  return out;
}

/** IPv4 addresses covered by CIDR networks, each counted once. */
export function addressCount(networks: readonly string[]): number {
  const ranges = networks
    .filter((n) => !n.includes(":"))
    .map((n) => {
      const [addr, bits = "32"] = n.split("/");
      const p = addr!.split(".").map(Number);
      const v = ((p[0]! << 24) >>> 0) + (p[1]! << 16) + (p[2]! << 8) + p[3]!;
      const size = 2 ** (32 - Number(bits));
      const first = Math.floor(v / size) * size;
      return [first, first + size - 1] as [number, number];
    })
    .sort((x, y) => x[0] - y[0]);
  let total = 0;
  let end = -1;
  for (const [s, e] of ranges) {
    if (e <= end) continue;
    total += e - Math.max(s, end + 1) + 1;
    end = e;
  }
  return total;
}

function diffMail(on: string, a: MailModel | null, b: MailModel | null, push: (effect: Effect, text: string) => void): void {
  if (!a && !b) return;
  if (!a || !b) {
    push("change", `the mail block is ${a ? "removed" : "new"}${on}`);
    return;
  }
  const set = (xs: { value: string }[]) => new Set(xs.map((x) => x.value.toLowerCase()));
  const diffSet = (o: Set<string>, n: Set<string>) => [[...n].filter((x) => !o.has(x)), [...o].filter((x) => !n.has(x))] as const;
  const [relAdd, relDel] = diffSet(set(a.relayDomains), set(b.relayDomains));
  for (const d of relAdd) push("gain", `mail to ${d} (and under it) is relayed for anyone${on}`);
  for (const d of relDel) push("loss", `mail to ${d} is no longer relayed for anyone${on}`);
  const [locAdd, locDel] = diffSet(set(a.localDomains), set(b.localDomains));
  for (const d of locAdd) push("gain", `mail for ${d} is accepted as local${on}`);
  for (const d of locDel) push("loss", `mail for ${d} is no longer accepted as local${on}`);
  const [tAdd, tDel] = diffSet(set(a.trusted), set(b.trusted));
  for (const m of tAdd) push("gain", `clients authenticated with ${m.toUpperCase()} may relay${on}`);
  for (const m of tDel) push("loss", `clients authenticated with ${m.toUpperCase()} may no longer relay${on}`);
  const oldNets = [...new Set(a.relayNetworks.map((n) => n.network))];
  const newNets = [...new Set(b.relayNetworks.map((n) => n.network))];
  const both = addressCount([...oldNets, ...newNets]);
  const before = addressCount(oldNets);
  const after = addressCount(newNets);
  const [nAdd, nDel] = diffSet(new Set(oldNets), new Set(newNets));
  const fmt = (n: number) => n.toLocaleString("en-US");
  if (both > before)
    push(
      "gain",
      `relay networks widen by ${fmt(both - before)} address${both - before === 1 ? "" : "es"}${nAdd.length ? ` (${nAdd.join(", ")})` : ""}${on}`,
    );
  if (both > after)
    push(
      "loss",
      `relay networks narrow by ${fmt(both - after)} address${both - after === 1 ? "" : "es"}${nDel.length ? ` (${nDel.join(", ")})` : ""}${on}`,
    );
  const socks = (m: MailModel) => JSON.stringify(m.listen.map((l) => [l.port, l.address, l.family, l.modifiers]).sort());
  if (socks(a) !== socks(b)) push("change", `the listening sockets change${on}`);
  if (set(a.mechanisms).size !== set(b.mechanisms).size || [...set(b.mechanisms)].some((m) => !set(a.mechanisms).has(m)))
    push("change", `the offered AUTH mechanisms change${on}`);
}

/** Every change in access from one build to another, per host (hosts paired by name). */
export function diffAccess(a: Build, b: Build): AccessChange[] {
  const out: AccessChange[] = [];
  const olds = new Map(a.hosts.map((h) => [h.name, h.model]));
  const news = new Map(b.hosts.map((h) => [h.name, h.model]));
  const names = [...new Set([...olds.keys(), ...news.keys()])];
  for (const name of names) diffModel(name, olds.get(name) ?? null, news.get(name) ?? null, out);
  return out;
}
