import fc from "fast-check";
import { lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, tempDir } from "./helpers.js";

/**
 * README "Safety checks", output safe by construction: "No symbolic link below
 * OUT is followed, for writing or removing (PC5004), OUT/.policyc included",
 * "All or nothing before the commit", and `build --check` writes nothing.
 * Generated: a policy (lists from a pool of nested paths, with or without
 * hosts) built into OUT; then links planted at random places below OUT (a
 * folder moved out to a victim folder and linked back, a file copied out and
 * linked, dangling links at .policyc/lock and .policyc/journal), each victim
 * holding the very bytes OUT had there (a removal that followed a link would
 * find its hash matching); then `build --check` and `build` of another
 * version of the policy. Whatever the outcome: the victim folder is exactly as
 * it was (bytes, modes, times; nothing added); `build --check` changes nothing
 * below OUT; a failed build (exit 1) says PC5004, names a planted link, and
 * leaves OUT exactly as it was; a build that succeeds wrote every output as a
 * regular file with the policy's bytes on a path with no link on it.
 */
const POOL = ["etc/imapd.acl", "etc/acl/users.list", "etc/acl/sub/deny.list", "etc/acl/sub/more.list", "etc/security/ssh.groups"];

function policyOf(lists: string[], hosts: boolean, extra: string): string {
  const acls = lists.map((p, i) => `  acl user ${i % 2 ? "deny" : "allow"} "/${p}" { entries root, u${i}${extra}; }`);
  const body = `service imapd {\n  pam imap;\n${acls.join("\n")}\n}\n`;
  return hosts ? `platform debian;\nhost h1 {\n${body}}\nhost h2 {\nservice imapd { pam imap; }\n}\n` : `platform debian;\n${body}`;
}

const anyCase = fc.record({
  hosts: fc.boolean(),
  v1: fc.subarray(POOL, { minLength: 1 }),
  v2: fc.subarray(POOL),
  v2extra: fc.constantFrom("", ", alice"),
  picks: fc.array(fc.nat(1000), { minLength: 1, maxLength: 3 }),
  dangling: fc.subarray([".policyc/lock", ".policyc/journal"]),
});

/** Every entry below dir, by lstat (links not followed): path -> kind, mode, size, mtime, link target. */
function lstatTree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      const r = rel ? `${rel}/${e.name}` : e.name;
      const st = lstatSync(p);
      if (st.isSymbolicLink()) out.set(r, `link ${readlinkSync(p)}`);
      else if (st.isDirectory()) {
        // .policyc's time aside: every build takes and drops its lock there.
        out.set(r, `dir ${st.mode.toString(8)} ${r === ".policyc" ? "" : st.mtimeMs}`);
        walk(p, r);
      } else out.set(r, `file ${st.mode.toString(8)} ${st.size} ${st.mtimeMs} ${readFileSync(p, "latin1")}`);
    }
  };
  walk(dir, "");
  return out;
}

/** Whether any component of rel below root is a symbolic link (or missing). */
function linkOnPath(root: string, rel: string): boolean {
  const parts = rel.split("/");
  for (let i = 1; i <= parts.length; i++) {
    const st = lstatSync(join(root, ...parts.slice(0, i)), { throwIfNoEntry: false });
    if (!st || st.isSymbolicLink()) return true;
  }
  return false;
}

describe("symbolic links planted anywhere below OUT, on generated trees", () => {
  it("are never written or removed through: the victim is untouched, --check writes nothing, a refused build leaves OUT as it was", () => {
    const runs = Number(process.env.POLICYC_PROPERTY_RUNS ?? 25);
    const seen = new Map<string, number>();
    fc.assert(
      fc.property(anyCase, (c) => {
        const dir = tempDir("policyc-links-gen-");
        try {
          const o = check(dir, c);
          seen.set(o, (seen.get(o) ?? 0) + 1);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: runs, seed: Number(process.env.POLICYC_PROPERTY_SEED ?? 20261207), endOnFailure: true },
    );
    console.log("links below OUT outcomes:", Object.fromEntries(seen));
    for (const o of ["refused", "built"]) expect(seen.get(o) ?? 0, o).toBeGreaterThan(0);
  }, 600_000);
});

type Case = typeof anyCase extends fc.Arbitrary<infer T> ? T : never;

function check(dir: string, c: Case): string {
  writeFileSync(join(dir, "v1.policy"), policyOf(c.v1, c.hosts, ""));
  writeFileSync(join(dir, "v2.policy"), policyOf(c.v2, c.hosts, c.v2extra));
  const out = join(dir, "out");
  const victim = join(dir, "victim");
  mkdirSync(victim);
  expect(runCli(["build", "v1.policy", "-o", "out", "-q"], { cwd: dir }).status).toBe(0);
  expect(runCli(["build", "v2.policy", "-o", "ref", "-q"], { cwd: dir }).status).toBe(0);
  // Plant the links: entries picked from OUT as it is (deepest first, so that a pick inside a moved folder is skipped).
  const entries = [...lstatTree(out).keys()].sort();
  const picked = [...new Set(c.picks.map((n) => entries[n % entries.length]!))].sort((a, b) => b.length - a.length);
  const planted: string[] = [];
  picked.forEach((rel, i) => {
    if (linkOnPath(out, rel)) return;
    const abs = join(out, rel);
    const away = join(victim, `v${i}`);
    renameSync(abs, away);
    symlinkSync(away, abs);
    planted.push(rel);
  });
  for (const rel of c.dangling) {
    if (linkOnPath(out, ".policyc")) continue;
    symlinkSync(join(victim, `dangling-${rel.split("/").pop()}`), join(out, rel));
    planted.push(rel);
  }
  const victimBefore = lstatTree(victim);
  const outBefore = lstatTree(out);
  const label = `${JSON.stringify(c)}\nplanted: ${planted.join(", ")}`;

  const chk = runCli(["build", "v2.policy", "-o", "out", "--check"], { cwd: dir });
  expect([0, 1], `${label}\n${chk.stderr}`).toContain(chk.status);
  expect(chk.stderr, label).not.toContain("internal error");
  expect(lstatTree(out), `--check changed OUT\n${label}`).toEqual(outBefore);
  expect(lstatTree(victim), `--check touched the victim\n${label}`).toEqual(victimBefore);

  const r = runCli(["build", "v2.policy", "-o", "out"], { cwd: dir });
  const l2 = `${label}\nexit ${r.status}\n${r.stderr}`;
  expect(lstatTree(victim), `build touched the victim\n${l2}`).toEqual(victimBefore);
  expect(r.stderr, l2).not.toContain("internal error");
  if (r.status !== 0) {
    expect(r.status, l2).toBe(1);
    const named = [...r.stderr.matchAll(/error PC5004: Refusing to \w+ through the symbolic link out\/(\S+?) in the output tree/g)].map(
      (m) => m[1]!,
    );
    expect(named.length, l2).toBeGreaterThan(0);
    for (const n of named) expect(planted, l2).toContain(n);
    expect(lstatTree(out), `a refused build changed OUT\n${l2}`).toEqual(outBefore);
    return "refused";
  }
  const want = [...lstatTree(join(dir, "ref")).entries()].filter(([p, v]) => v.startsWith("file") && !p.startsWith(".policyc/"));
  for (const [p] of want) {
    expect(linkOnPath(out, p), `${p} written with a link on its path\n${l2}`).toBe(false);
    expect(readFileSync(join(out, p), "utf8"), l2).toBe(readFileSync(join(dir, "ref", p), "utf8"));
  }
  return "built";
}
