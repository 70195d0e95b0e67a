/**
 * README "The policy language", canonical hosts: on the REAL pam_listfile
 * (pamtester -I rhost=...), an rhost entry written with capitals, a trailing
 * dot or a long IPv6 spelling matches the remote host as sshd reports it
 * (lowercase name, glibc inet_ntop address), because policyc writes the
 * canonical form. The same entries written as is by hand never match: the
 * module compares bytes. Hosts are generated (fast-check, fixed seed).
 */
import { spawnSync } from "node:child_process";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers.js";
import { makeTempDir, pamCases, PAM_TOOLS, type PamCase, type PamCaseResult, requireTools, skipBanner } from "./stack.js";

const missing = requireTools([...PAM_TOOLS, "python3"]);
if (missing.length) console.warn(skipBanner("canonical hosts on the real pam_listfile", missing));

const label = fc.stringMatching(/^[a-z]([a-z0-9-]{0,6}[a-z0-9])?$/);
/** A host name as someone may write it: random capitals, maybe a trailing dot. */
const hostName = fc
  .tuple(fc.array(label, { minLength: 2, maxLength: 3 }), fc.array(fc.boolean(), { minLength: 30, maxLength: 30 }), fc.boolean())
  .map(([labels, caps, dot]) => {
    const lower = labels.join(".") + ".example";
    const written = [...lower].map((c, i) => (caps[i % caps.length] ? c.toUpperCase() : c)).join("") + (dot ? "." : "");
    return { lower, written: /[A-Z]/.test(written) || dot ? written : written.toUpperCase() };
  });
/** An IPv6 address in a long spelling: capitals, leading zeros, no "::". */
const ipv6 = fc
  .array(fc.oneof({ arbitrary: fc.constant(0), weight: 2 }, { arbitrary: fc.integer({ min: 1, max: 0xffff }), weight: 3 }), {
    minLength: 6,
    maxLength: 6,
  })
  .map((g) => ["2001", "0DB8", ...g.map((x) => x.toString(16).toUpperCase().padStart(4, "0"))].join(":"));

/** glibc's inet_ntop form of each address (python3's socket module calls glibc). */
function glibcNtop(addresses: string[]): string[] {
  const r = spawnSync(
    "python3",
    [
      "-c",
      "import socket,sys\nfor a in sys.stdin.read().split():\n print(socket.inet_ntop(socket.AF_INET6, socket.inet_pton(socket.AF_INET6, a)))",
    ],
    {
      input: addresses.join("\n"),
      encoding: "utf8",
    },
  );
  if (r.status !== 0) throw new Error(`python3: ${r.stderr}`);
  return r.stdout.trim().split("\n");
}

const hosts = fc.sample(hostName, { numRuns: 12, seed: 4242 }).filter((h, i, all) => all.findIndex((o) => o.lower === h.lower) === i);
const addresses = [...new Set(fc.sample(ipv6, { numRuns: 8, seed: 4243 }))];

describe.skipIf(missing.length > 0)("canonical hosts on the real pam_listfile (pamtester -I rhost=...)", () => {
  let dir = "";
  let results: PamCaseResult[] = [];
  let canonical: string[] = [];
  const cases: Array<PamCase & { expect: "allow" | "deny"; service: string; why: string }> = [];

  beforeAll(async () => {
    canonical = glibcNtop(addresses);
    dir = await makeTempDir("policyc-canonical-");
    const entries = [...hosts.map((h) => h.written), ...addresses].map((e) => `"${e}"`).join(", ");
    const policy = join(dir, "p.policy");
    await writeFile(
      policy,
      "platform debian;\n" +
        `service sshd {\n  stack { account acls; account required pam_permit.so; }\n  acl rhost allow "/etc/rhosts.acl" { entries ${entries}; }\n}\n`,
    );
    const out = join(dir, "out");
    const r = runCli(["build", policy, "-o", out, "-q"]);
    if (r.status !== 0) throw new Error(`policyc build failed:\n${r.stderr}`);
    // The world before: the same entries written by hand, as written in the policy.
    await mkdir(join(out, "etc/pam.d"), { recursive: true });
    await writeFile(join(out, "etc/legacy.acl"), [...hosts.map((h) => h.written), ...addresses].join("\n") + "\n", { mode: 0o644 });
    await writeFile(
      join(out, "etc/pam.d/legacy"),
      "account required pam_listfile.so item=rhost sense=allow file=/etc/legacy.acl onerr=fail\naccount required pam_permit.so\n",
      { mode: 0o644 },
    );
    for (const h of hosts) {
      cases.push({ service: "sshd", user: "root", rhost: h.lower, expect: "allow", why: `listed as ${h.written}` });
      cases.push({ service: "legacy", user: "root", rhost: h.lower, expect: "deny", why: `a hand-written ${h.written} never matches` });
    }
    addresses.forEach((a, i) => {
      cases.push({ service: "sshd", user: "root", rhost: canonical[i]!, expect: "allow", why: `listed as ${a}` });
      cases.push({ service: "legacy", user: "root", rhost: canonical[i]!, expect: "deny", why: `a hand-written ${a} never matches` });
    });
    cases.push({ service: "sshd", user: "root", rhost: "unlisted.example", expect: "deny", why: "not listed" });
    const run = async (service: string) =>
      pamCases(
        out,
        service,
        cases.filter((c) => c.service === service),
      );
    const sshd = await run("sshd");
    const legacy = await run("legacy");
    results = cases.map((c) => (c.service === "sshd" ? sshd : legacy).shift()!);
  }, 180_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("generated hosts with capitals and trailing dots, IPv6 in long spellings", () => {
    expect(hosts.length).toBeGreaterThan(5);
    expect(hosts.some((h) => h.written.endsWith("."))).toBe(true);
    expect(addresses.length).toBeGreaterThan(4);
    expect(canonical.every((c, i) => c !== addresses[i])).toBe(true);
  });

  it("every listed host is let in as sshd reports it; by hand, none is; an unlisted host is refused", () => {
    expect(results.length).toBe(cases.length);
    const wrong = cases
      .map((c, i) => ({ c, r: results[i]! }))
      .filter(({ c, r }) => r.result !== c.expect)
      .map(({ c, r }) => `${c.service} rhost=${c.rhost} (${c.why}): expected ${c.expect}, pamtester said ${r.output}`);
    expect(wrong).toEqual([]);
  });
});
