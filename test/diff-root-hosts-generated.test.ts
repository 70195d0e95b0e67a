import fc from "fast-check";
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { propertyRuns, readTree, runCli, tempDir } from "./helpers.js";

/**
 * README "Command line", diff --root with hosts: "A policy with hosts needs
 * `--host NAME`", and the files policyc deployed earlier that the policy no
 * longer produces are "those recorded for the host (or `--host`) in
 * `DIR/var/lib/policyc/manifest.json`". Generated fleets (2-3 hosts, lists
 * per host from a pool): an older version is deployed for one host (its files
 * and the whole record, every host's entries in it), then diff --root --host
 * of the new version. The oracle compares the two builds of that host: new
 * files missing, changed files edited, the host's old files no longer made
 * deleted, and nothing of another host's record ever reported. Without
 * --host: wrong usage, exit 2.
 */
const POOL = ["etc/a.acl", "etc/lists/b.acl", "etc/lists/deep/c.acl", "etc/d.acl"];
const hostArb = fc.record({ lists: fc.subarray(POOL), extra: fc.constantFrom("", ", bob") });
const caseArb = fc.record({
  old: fc.array(hostArb, { minLength: 2, maxLength: 3 }),
  now: fc.array(hostArb, { minLength: 3, maxLength: 3 }),
  pick: fc.nat(2),
});

function policyOf(hosts: { lists: string[]; extra: string }[]): string {
  const blocks = hosts.map(
    (h, i) =>
      `host h${i + 1} {\n  service imapd {\n    pam imap;\n${h.lists.map((p) => `    acl user allow "/${p}" { entries root${h.extra}; }`).join("\n")}\n  }\n}`,
  );
  return `platform debian;\n${blocks.join("\n")}\n`;
}

describe("diff --root --host on generated fleets", () => {
  it("reports the host's drift and its own recorded stale files, never another host's", () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const dir = tempDir("policyc-diffhosts-gen-");
        try {
          const host = `h${(c.pick % c.old.length) + 1}`;
          writeFileSync(join(dir, "old.policy"), policyOf(c.old));
          writeFileSync(join(dir, "p.policy"), policyOf(c.now));
          expect(runCli(["build", "old.policy", "-o", "old", "-q"], { cwd: dir }).status).toBe(0);
          expect(runCli(["build", "p.policy", "-o", "now", "-q"], { cwd: dir }).status).toBe(0);
          // Deploy the old version's files of that host, and the whole record.
          const root = join(dir, "root");
          mkdirSync(join(root, "var/lib/policyc"), { recursive: true });
          cpSync(join(dir, "old", host), root, { recursive: true });
          writeFileSync(join(root, "var/lib/policyc/manifest.json"), readFileSync(join(dir, "old/.policyc/manifest.json")));
          const oldFiles = readTree(join(dir, "old", host));
          const newFiles = readTree(join(dir, "now", host));
          const expected: [string, string][] = [];
          for (const [p, f] of newFiles) {
            const o = oldFiles.get(p);
            if (!o) expected.push([p, "add"]);
            else if (o.content !== f.content) expected.push([p, "modify"]);
          }
          for (const p of oldFiles.keys()) if (!newFiles.has(p)) expected.push([p, "remove"]);
          expected.sort((a, b) => (a[0] < b[0] ? -1 : 1));
          const r = runCli(["diff", "p.policy", "--root", "root", "--host", host, "--format", "json"], { cwd: dir });
          const label = `${JSON.stringify(c)} host ${host}\nexit ${r.status}\n${r.stdout.slice(0, 1500)}\n${r.stderr.slice(0, 500)}`;
          const doc = JSON.parse(r.stdout) as { changes?: { path: string; kind: string }[] };
          expect(
            (doc.changes ?? []).map((x) => [x.path, x.kind]),
            label,
          ).toEqual(expected);
          expect(r.status, label).toBe(expected.length ? 1 : 0);
          const without = runCli(["diff", "p.policy", "--root", "root"], { cwd: dir });
          expect(without.status).toBe(2);
          expect(without.stderr).toContain("--host");
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      propertyRuns(30),
    );
  }, 600_000);
});
