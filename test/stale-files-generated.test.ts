import fc from "fast-check";
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, tempDir } from "./helpers.js";

/**
 * README "Command line", build: "Only files whose bytes or mode changed are
 * written (an unchanged file keeps its mtime)"; "Files an earlier build wrote
 * that the policy no longer produces are removed, but only those recorded in
 * the earlier build's manifest ... and unchanged since: a file someone put
 * there, or edited, is never removed (an edited one is reported)";
 * "`--verbose` lists every file written, unchanged or removed"; and
 * `build --check` exits 1 with one PC5030 per file the policy does not
 * produce and build leaves in place.
 *
 * Generated: two versions of a policy (lists from a pool of nested paths,
 * entries that may or may not change, with or without hosts); V1 built; then
 * some of its files edited by hand and files of someone else's put at random
 * places (beside the outputs, in new folders, at a path V2 will produce is
 * left out: that would be a conflict, another promise); then V2 built with
 * --verbose. The oracle follows the README's sentences.
 */
const POOL = ["etc/imapd.acl", "etc/acl/users.list", "etc/acl/sub/deny.list", "etc/acl/sub/more.list", "etc/security/ssh.groups"];
const FOREIGN = ["etc/notes.txt", "etc/acl/README", "etc/acl/sub/keep.me", "etc/pam.d/other-service", "srv/data/x.bin"];

function policyOf(lists: string[], entries: Record<string, string>, hosts: boolean): string {
  const acls = lists.map((p, i) => `  acl user ${i % 2 ? "deny" : "allow"} "/${p}" { entries root${entries[p] ?? ""}; }`);
  const body = `service imapd {\n  pam imap;\n${acls.join("\n")}\n}\n`;
  return hosts ? `platform debian;\nhost h1 {\n${body}}\nhost h2 {\n  service ftp { pam vsftpd; }\n}\n` : `platform debian;\n${body}`;
}

const entriesArb = fc.record(Object.fromEntries(POOL.map((p) => [p, fc.constantFrom("", ", alice", ", bob")]))) as fc.Arbitrary<
  Record<string, string>
>;
const anyCase = fc.record({
  hosts: fc.boolean(),
  v1: fc.subarray(POOL, { minLength: 1 }),
  v2: fc.subarray(POOL),
  e1: entriesArb,
  e2: entriesArb,
  edits: fc.array(fc.nat(100), { maxLength: 3 }),
  foreign: fc.subarray(FOREIGN, { maxLength: 3 }),
});
type Case = typeof anyCase extends fc.Arbitrary<infer T> ? T : never;

/** Every regular file below dir but .policyc/: path -> bytes. */
function files(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (r === ".policyc") continue;
      if (e.isDirectory()) walk(join(d, e.name), r);
      else out.set(r, readFileSync(join(d, e.name), "utf8"));
    }
  };
  walk(dir, "");
  return out;
}

describe("build over an earlier build, on generated versions", () => {
  it("removes exactly the recorded, unedited stale files, keeps edited and foreign ones (reported), rewrites only what changed", () => {
    const runs = Number(process.env.POLICYC_PROPERTY_RUNS ?? 40);
    const seen = { removed: 0, keptEdited: 0, foreign: 0, unchanged: 0 };
    fc.assert(
      fc.property(anyCase, (c) => {
        const dir = tempDir("policyc-stale-gen-");
        try {
          const o = check(dir, c);
          for (const k of Object.keys(seen) as (keyof typeof seen)[]) seen[k] += o[k];
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: runs, seed: Number(process.env.POLICYC_PROPERTY_SEED ?? 20261207), endOnFailure: true },
    );
    console.log("stale files seen:", seen);
    for (const [k, v] of Object.entries(seen)) expect(v, k).toBeGreaterThan(0);
  }, 600_000);
});

function check(dir: string, c: Case): { removed: number; keptEdited: number; foreign: number; unchanged: number } {
  writeFileSync(join(dir, "v1.policy"), policyOf(c.v1, c.e1, c.hosts));
  writeFileSync(join(dir, "v2.policy"), policyOf(c.v2, c.e2, c.hosts));
  const out = join(dir, "out");
  expect(runCli(["build", "v1.policy", "-o", "out", "-q"], { cwd: dir }).status).toBe(0);
  expect(runCli(["build", "v2.policy", "-o", "ref", "-q"], { cwd: dir }).status).toBe(0);
  const v1 = files(out);
  const v2 = files(join(dir, "ref"));
  // Hand edits to some of V1's files; someone else's files where V2 writes nothing.
  const v1paths = [...v1.keys()].sort();
  const edited = new Set(c.edits.map((n) => v1paths[n % v1paths.length]!));
  for (const p of edited) writeFileSync(join(out, p), v1.get(p)! + "# edited by hand\n");
  const prefix = c.hosts ? "h1/" : "";
  const foreign = c.foreign.map((f) => prefix + f).filter((f) => !v2.has(f) && !v1.has(f));
  for (const f of foreign) {
    mkdirSync(dirname(join(out, f)), { recursive: true });
    writeFileSync(join(out, f), `someone else's ${f}\n`);
  }
  const mtimes = new Map([...v1.keys()].map((p) => [p, statSync(join(out, p)).mtimeMs]));
  const before = files(out);

  const r = runCli(["build", "v2.policy", "-o", "out", "-v"], { cwd: dir });
  const label = `${JSON.stringify(c)}\nedited: ${[...edited].join(", ")}\nforeign: ${foreign.join(", ")}\nexit ${r.status}\n${r.stdout}\n${r.stderr}`;
  expect(r.status, label).toBe(0);
  const after = files(out);
  const stale = [...v1.keys()].filter((p) => !v2.has(p));
  const removed = stale.filter((p) => !edited.has(p));
  const keptEdited = stale.filter((p) => edited.has(p));
  // Every output has V2's bytes and mode 0644.
  for (const [p, bytes] of v2) {
    expect(after.get(p), `${p}\n${label}`).toBe(bytes);
    expect(statSync(join(out, p)).mode & 0o7777, `${p}\n${label}`).toBe(0o644);
  }
  for (const p of removed) expect(existsSync(join(out, p)), `${p} should be removed\n${label}`).toBe(false);
  for (const p of [...keptEdited, ...foreign]) expect(after.get(p), `${p} should be kept as it was\n${label}`).toBe(before.get(p));
  expect([...after.keys()].sort(), label).toEqual([...new Set([...v2.keys(), ...keptEdited, ...foreign])].sort());
  // An edited stale file is reported, by name; nothing else is warned about.
  const warned = [...r.stderr.matchAll(/warning: left out\/(\S+) in place/g)].map((m) => m[1]!).sort();
  expect(warned, label).toEqual([...keptEdited].sort());
  // Unchanged files keep their mtime; --verbose lists each file as wrote, unchanged or removed.
  const unchanged = [...v2.keys()].filter((p) => before.get(p) === v2.get(p) && lstatSync(join(out, p)).isFile());
  for (const p of unchanged) expect(statSync(join(out, p)).mtimeMs, `${p} rewritten\n${label}`).toBe(mtimes.get(p));
  const listed = (word: string) =>
    [...r.stderr.matchAll(new RegExp(`^ {2}${word} +out/(\\S+)$`, "gm"))]
      .map((m) => m[1]!)
      .filter((p) => !p.startsWith(".policyc/"))
      .sort();
  expect(listed("unchanged"), label).toEqual(unchanged.sort());
  expect(listed("wrote"), label).toEqual([...v2.keys()].filter((p) => !unchanged.includes(p)).sort());
  expect(listed("removed"), label).toEqual(removed.sort());

  // build --check: one PC5030 per file left in place, exit 1; otherwise up to date.
  const chk = runCli(["build", "v2.policy", "-o", "out", "--check"], { cwd: dir });
  const held = [...chk.stderr.matchAll(/error PC5030: out holds out\/(\S+?),/g)].map((m) => m[1]!).sort();
  expect(held, `${label}\n--check:\n${chk.stderr}`).toEqual([...keptEdited, ...foreign].sort());
  expect(chk.status, `${label}\n--check:\n${chk.stderr}`).toBe(held.length ? 1 : 0);
  return { removed: removed.length, keptEdited: keptEdited.length, foreign: foreign.length, unchanged: unchanged.length };
}
