/**
 * Requests for the decision procedure's end-to-end test: a PAM case of the
 * stack helpers (user, items, a broken list file) turned into the decision
 * procedure's PamRequest, with the account facts (groups, shell, whether the
 * user exists) read from the same account database the sandbox gets.
 */
import fc from "fast-check";
import type { MailModel } from "../../src/check/model.js";
import type { MailRequest, PamRequest } from "../../src/decide/index.js";
import { VALUES } from "./arbitrary-policy.js";
import { relayNetworkClients, type Accounts, type HostAccounts, type PolicyMeaning } from "./oracle.js";
import type { PamCase, TestUser } from "./stack.js";

/** Every group name a request's user could be in: the host's, the generator's, and the policy's entries. */
export function groupNames(host: HostAccounts, meaning: PolicyMeaning, extra: readonly string[] = []): string[] {
  const names = new Set<string>([...host.groups.keys(), ...VALUES.groups, ...extra]);
  for (const s of meaning.services)
    for (const step of s.account) {
      if (step.kind !== "acl") continue;
      if (step.acl.item === "group") step.acl.entries.forEach((e) => names.add(e));
      if (step.acl.apply?.kind === "group") names.add(step.acl.apply.name);
    }
  return [...names];
}

/** A PamCase as the decision procedure's request, the account facts taken from `db`. */
export function requestOf(service: string, c: PamCase, db: Accounts, groups: readonly string[]): PamRequest {
  const r: PamRequest = { service, user: c.user, exists: db.exists(c.user), groups: groups.filter((g) => db.inGroup(c.user, g)) };
  const shell = db.shell(c.user);
  if (shell !== undefined) r.shell = shell === "" ? "/bin/sh" : shell;
  if (c.rhost !== undefined) r.rhost = c.rhost;
  if (c.tty !== undefined) r.tty = c.tty;
  if (c.ruser !== undefined) r.ruser = c.ruser;
  if (c.file) r.files = { [c.file.path]: c.file.state };
  return r;
}

const USER_POOL = [...VALUES.users.filter((u) => /^[a-z_][a-z0-9_.-]*$/.test(u)), "root", "e2e-ghost", "daemon", "nobody"];

/** Generated test accounts: a few users with groups and a login shell. */
export const testUsers: fc.Arbitrary<TestUser[]> = fc
  .uniqueArray(
    fc.record({
      name: fc.constantFrom(...USER_POOL.filter((u) => u !== "root" && u !== "e2e-ghost" && u !== "daemon" && u !== "nobody")),
      groups: fc.subarray([...VALUES.groups]),
      shell: fc.constantFrom(...VALUES.shells),
    }),
    { selector: (u) => u.name, maxLength: 4 },
  )
  .map((us) => us.map((u) => ({ name: u.name, groups: u.groups, shell: u.shell })));

/** Generated PAM cases: a user (listed or not, in passwd or not) and items set or unset, sometimes a broken list file. */
export function pamCases(files: readonly string[]): fc.Arbitrary<PamCase[]> {
  const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
  return fc.array(
    fc
      .record({
        user: fc.constantFrom(...USER_POOL),
        rhost: opt(fc.constantFrom(...VALUES.hosts.map((h) => h.toLowerCase().replace(/\.$/, "")), "198.51.100.77")),
        tty: opt(fc.constantFrom(...VALUES.ttys, "tty9")),
        ruser: opt(fc.constantFrom(...USER_POOL)),
        file: files.length
          ? opt(
              fc.record({
                path: fc.constantFrom(...files),
                state: fc.constantFrom("missing" as const, "world-writable" as const, "symlink" as const),
              }),
            )
          : fc.constant(undefined),
      })
      .map((c) => {
        const out: PamCase = { user: c.user };
        if (c.rhost !== undefined) out.rhost = c.rhost;
        if (c.tty !== undefined) out.tty = c.tty;
        if (c.ruser !== undefined) out.ruser = c.ruser;
        if (c.file !== undefined) out.file = c.file;
        return out;
      }),
    { minLength: 1, maxLength: 30 },
  );
}

/**
 * Generated relay requests for a mail block: recipients in its local and relay
 * domains (and under them, and look-alikes), foreign ones and the tricks that
 * hide a foreign domain behind a local one; clients inside and just outside
 * each relay network, this host, and others; no AUTH, each offered
 * mechanism, and one that is not offered.
 */
export function mailRequests(mail: MailModel, seed: number): MailRequest[] {
  const local = mail.localDomains.map((d) => d.value);
  const relay = mail.relayDomains.map((d) => d.value);
  const foreign = "foreign.example";
  const l0 = local[0]!;
  const recipients = [
    ...local.map((d) => `postmaster@${d}`),
    ...local.map((d) => `Someone@${d.toUpperCase()}`),
    ...relay.flatMap((d) => [`someone@${d}`, `a@sub.${d}`, `someone@e2e${d}`]),
    `someone@${foreign}`,
    `user%${foreign}@${l0}`,
    `${foreign}!user@${l0}`,
    `"user@${foreign}"@${l0}`,
    `@${l0}:user@${foreign}`,
  ];
  const nets = mail.relayNetworks.map((n) => n.network).filter((n) => !n.includes(":"));
  const clients = [...relayNetworkClients(nets).map((c) => c.address), "203.0.113.250", "198.18.0.2", "127.0.0.1"];
  const auths = [undefined, ...mail.mechanisms.map((m) => m.value), "GSSAPI"];
  const open = mail.listen.find((l) => !l.modifiers.includes("a"));
  return fc.sample(
    fc
      .record({ recipient: fc.constantFrom(...recipients), client: fc.constantFrom(...clients), auth: fc.constantFrom(...auths) })
      .map((r) => {
        const req: MailRequest = { recipient: r.recipient, clientAddr: r.client };
        if (r.auth !== undefined) req.auth = r.auth;
        if (open) req.socket = open.name;
        return req;
      }),
    { seed, numRuns: 40 },
  );
}
