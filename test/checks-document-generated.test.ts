import fc from "fast-check";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { schemaErrors } from "./documents.js";
import { propertyRuns, runCli, tempDir } from "./helpers.js";

/**
 * README "Deploying a fleet with Ansible": "`policyc build` writes every
 * `expect` assertion, once per host it concerns, to `OUT/.policyc/checks.json`
 * (schema `schemas/checks.schema.json`)", PAM checks by PAM service name with
 * the assertion's items, relay checks with client, rcpt and auth; "skipped:
 * the assertions sendmail's address test mode cannot be asked (`sender`,
 * `socket`), with `reason`". These are the break-glass checks the Ansible role
 * runs after a deploy: one missing is a lockout nobody is told about.
 * Generated: fleets of 0-3 hosts, each with or without sshd (an allow list)
 * and a mail block, assertions that hold at the top level and in host blocks,
 * PAM ones with rhost/tty/ruser and relay ones with from/auth, some with a
 * sender or socket. The oracle: for each assertion and each host that has its
 * service (or a mail block), exactly one check or skipped entry, with the
 * host, the text as written, its line, and the PAM service or relay fields.
 */
const USERS = ["root", "alice", "bob", "carol"];

interface PamA {
  kind: "pam";
  user: string;
  rhost: boolean;
  tty: boolean;
  ruser: boolean;
}
interface RelayA {
  kind: "relay";
  local: boolean;
  auth: boolean;
  skip: "" | "sender" | "socket";
}
type A = PamA | RelayA;

const assertionArb: fc.Arbitrary<A> = fc.oneof(
  fc.record({
    kind: fc.constant("pam" as const),
    user: fc.constantFrom(...USERS),
    rhost: fc.boolean(),
    tty: fc.boolean(),
    ruser: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant("relay" as const),
    local: fc.boolean(),
    auth: fc.boolean(),
    skip: fc.constantFrom("" as const, "" as const, "sender" as const, "socket" as const),
  }),
);
const hostArb = fc.record({ ssh: fc.boolean(), mail: fc.boolean(), own: fc.array(assertionArb, { maxLength: 2 }) });
const caseArb = fc.record({
  hosts: fc.array(hostArb, { minLength: 0, maxLength: 3 }),
  single: fc.record({ ssh: fc.constant(true), mail: fc.boolean(), own: fc.constant([] as A[]) }),
  top: fc.array(assertionArb, { minLength: 1, maxLength: 4 }),
  allowed: fc.subarray(USERS, { minLength: 1 }),
});
type Case = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

const MAIL = (h: string) => `mail {
    domain ${h}.example.net;
    listen smtp;
    listen submission { modifiers E, a; }
    auth mechanisms PLAIN;
    relay authenticated;
    accounts alice;
  }`;

function text(a: A, allowed: string[], host: string): string {
  if (a.kind === "pam") {
    const clauses = [
      `user ${a.user}`,
      a.user === "root" ? "" : `groups ${a.user}`,
      a.rhost ? "from 10.0.0.5" : "",
      a.tty ? "tty pts/1" : "",
      a.ruser ? "ruser admin" : "",
    ].filter(Boolean);
    return `expect ${allowed.includes(a.user) ? "allow" : "deny"} sshd ${clauses.join(" ")};`;
  }
  const rcpt = a.local ? `postmaster@${host}.example.net` : "victim@elsewhere.example";
  const verdict = a.local || a.auth ? "accept" : "refuse";
  const extra = a.skip === "sender" ? " sender a@elsewhere.example" : a.skip === "socket" ? " socket smtp" : "";
  return `expect ${verdict} relay from 203.0.113.9 to ${rcpt}${a.auth ? " auth PLAIN" : ""}${extra};`;
}

/** The policy, and for each assertion line: the hosts it must reach. */
function policyOf(c: Case): {
  text: string;
  expected: { host: string | null; text: string; line: number; kind: string; skipped: boolean }[];
} {
  const lines: string[] = ["platform debian;"];
  const expected: { host: string | null; text: string; line: number; kind: string; skipped: boolean }[] = [];
  const names = c.hosts.map((_, i) => `h${i + 1}`);
  const fleet = c.hosts.length ? c.hosts : [c.single];
  const hostName = (i: number) => (c.hosts.length ? names[i]! : null);
  const ssh = `service sshd {\n    acl user allow "/etc/ssh.users" { entries ${c.allowed.join(", ")}; }\n  }`;
  if (!c.hosts.length) {
    lines.push(ssh);
    if (c.single.mail) lines.push(MAIL("solo"));
  }
  fleet.forEach((h, i) => {
    if (!c.hosts.length) return;
    lines.push(`host ${names[i]} {`);
    if (h.ssh) lines.push("  " + ssh);
    if (h.mail) lines.push("  " + MAIL(names[i]!));
    for (const a of h.own) {
      // A host's own assertion about what it has; about what it lacks it would be an error.
      if ((a.kind === "pam" && !h.ssh) || (a.kind === "relay" && !h.mail)) continue;
      const t = text(a, c.allowed, names[i]!);
      lines.push("  " + t);
      expected.push({
        host: names[i]!,
        text: t,
        line: lines.join("\n").split("\n").length,
        kind: a.kind,
        skipped: a.kind === "relay" && a.skip !== "",
      });
    }
    lines.push("}");
  });
  for (const a of c.top) {
    // At the top level, the relay recipient names no host's domain: elsewhere only.
    const b: A = a.kind === "relay" ? { ...a, local: false } : a;
    // With no host that has its service (or mail), a top-level assertion is an error (PC2106): not generated.
    if (!fleet.some((h) => (b.kind === "pam" ? h.ssh : h.mail))) continue;
    const t = text(b, c.allowed, "x");
    lines.push(t);
    const line = lines.join("\n").split("\n").length;
    fleet.forEach((h, i) => {
      if ((b.kind === "pam" && h.ssh) || (b.kind === "relay" && h.mail))
        expected.push({ host: hostName(i), text: t, line, kind: b.kind, skipped: b.kind === "relay" && b.skip !== "" });
    });
  }
  return { text: lines.join("\n") + "\n", expected };
}

interface Check {
  host: string | null;
  text: string;
  source: { line: number };
  kind: string;
  service?: string;
}

describe("checks.json on generated fleets with assertions", () => {
  it("one check (or skipped entry) per assertion and host it concerns, valid against the schema", () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const { text: policy, expected } = policyOf(c);
        const dir = tempDir("policyc-checksdoc-gen-");
        try {
          writeFileSync(join(dir, "p.policy"), policy);
          const r = runCli(["build", "p.policy", "-o", "out", "-q"], { cwd: dir });
          const label = `${policy}\n${r.stderr}`;
          expect(r.status, label).toBe(0);
          const doc = JSON.parse(readFileSync(join(dir, "out/.policyc/checks.json"), "utf8")) as { checks: Check[]; skipped: Check[] };
          expect(schemaErrors("checks", doc), label).toEqual([]);
          const got = (xs: Check[], skipped: boolean) =>
            xs.map((x) => ({ host: x.host, text: x.text, line: x.source.line, kind: skipped ? "relay" : x.kind, skipped }));
          const sort = <T>(xs: T[]) => xs.map((x) => JSON.stringify(x)).sort();
          expect(sort([...got(doc.checks, false), ...got(doc.skipped, true)]), label).toEqual(sort(expected));
          for (const ch of doc.checks) if (ch.kind === "pam") expect(ch.service, label).toBe("sshd");
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      propertyRuns(40),
    );
  }, 600_000);
});
