import fc from "fast-check";
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { main } from "../src/cli/main.js";
import { captured, readTree, tempDir, TEMPLATES } from "./helpers.js";

/**
 * README "Command line", build --check: OUT/.policyc/checks.json (the policy's
 * expect assertions) is compared like a generated file: stale, missing or of
 * another mode, it is shown and counted, and --check exits 1; the manifest is
 * not compared. On generated policies (hosts or none, lists, assertions that
 * hold), each built, then OUT perturbed: checks.json removed, edited, given
 * mode 0600, replaced by a link to an exact copy or by a folder, or left from
 * a build of an earlier version of the policy (assertions added, removed,
 * reordered, re-aimed, lines shifted); the manifest edited or not. The oracle
 * reads OUT with lstat and compares with a fresh build of the policy into
 * another folder: checks.json is a change exactly when it is not a regular
 * file with those bytes and mode 0644 (a link is never followed: "new file");
 * nothing else is reported; the summary counts it; `build` then brings it back
 * and --check passes. Runs main() in-process (what bin/policyc.js calls).
 */
const USERS = ["alice", "bob", "carol", "dave", "erin"];

interface Assertion {
  host: string | null;
  user: string;
}
interface Gen {
  hosts: string[];
  entries: string[];
  asserts: Assertion[];
  edit: "add" | "remove" | "reorder" | "reaim" | "shift" | "space" | "none";
  perturb: "missing" | "edited" | "mode" | "link" | "folder" | "none";
  manifestEdited: boolean;
  jsonFormat: boolean;
}

const anyGen: fc.Arbitrary<Gen> = fc
  .record({
    hosts: fc.constantFrom<string[]>([], ["h1"], ["h1", "h2"], ["h1", "h2", "h3"]),
    entries: fc.subarray(USERS, { minLength: 1 }),
    raw: fc.array(fc.record({ host: fc.nat(3), user: fc.constantFrom(...USERS) }), { minLength: 1, maxLength: 6 }),
    edit: fc.constantFrom("add", "remove", "reorder", "reaim", "shift", "space", "none", "none"),
    perturb: fc.constantFrom("missing", "edited", "mode", "link", "folder", "none", "none"),
    manifestEdited: fc.boolean(),
    jsonFormat: fc.boolean(),
  })
  .map(({ raw, ...g }) => ({
    ...g,
    asserts: raw.map((a) => ({ host: g.hosts.length && a.host < g.hosts.length ? g.hosts[a.host]! : null, user: a.user })),
  }));

/** The policy: a list, one service, then the assertions (after everything else, so that editing them changes only checks.json). */
function policyOf(hosts: string[], entries: string[], asserts: Assertion[], shift = false, space = false): string {
  const lines = [
    "platform debian;",
    "service imapd {",
    "  pam imap;",
    `  acl user allow "/etc/imapd.acl" { entries ${entries.join(", ")}; }`,
    "}",
  ];
  const verdict = (u: string) => (entries.includes(u) ? "allow" : "deny");
  const text = (a: Assertion, i: number) => `expect ${space && i === 0 ? " " : ""}${verdict(a.user)} imapd user ${a.user};`;
  const top = asserts.filter((a) => a.host === null);
  lines.push(...top.map(text));
  if (shift) lines.push("# a comment between the assertions");
  for (const h of hosts) {
    const mine = asserts.filter((a) => a.host === h);
    // A host block holds only its assertions, so that they come after every line a generated file names.
    lines.push(`host ${h} {`, ...mine.map((a, i) => "  " + text(a, i + top.length)), "}");
  }
  return lines.join("\n") + "\n";
}

/** The older version of the policy whose build is in OUT. */
function olderOf(g: Gen): string {
  const a = g.asserts;
  switch (g.edit) {
    case "add":
      return policyOf(g.hosts, g.entries, a.slice(0, -1));
    case "remove":
      return policyOf(g.hosts, g.entries, [...a, { host: null, user: "mallory" }]);
    case "reorder":
      return policyOf(g.hosts, g.entries, [...a].reverse());
    case "reaim":
      return policyOf(g.hosts, g.entries, [{ ...a[0]!, user: a[0]!.user === "mallory" ? "alice" : "mallory" }, ...a.slice(1)]);
    case "shift":
      return policyOf(g.hosts, g.entries, a, true);
    case "space":
      return policyOf(g.hosts, g.entries, a, false, true);
    case "none":
      return policyOf(g.hosts, g.entries, a);
  }
}

let saved: NodeJS.ProcessEnv;
beforeEach(() => {
  saved = { ...process.env };
  process.env.NO_COLOR = "1";
});
afterEach(() => {
  process.env = saved;
});

// From src/, the templates are not where the bundle finds them: name them, as the in-process tests do.
const cli = (args: string[]) => captured(() => main([...args, "--templates", TEMPLATES]));

describe("build --check: .policyc/checks.json compared like a generated file, on generated policies", () => {
  it("reports exactly checks.json when it is missing, edited, of another mode, a link, a folder or stale; exit 1; build restores it", async () => {
    const runs = Number(process.env.POLICYC_PROPERTY_RUNS ?? 150);
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(anyGen, async (g) => {
        const dir = tempDir("policyc-checks-gen-");
        try {
          const outcome = await check(dir, g);
          seen.set(outcome, (seen.get(outcome) ?? 0) + 1);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: runs, seed: Number(process.env.POLICYC_PROPERTY_SEED ?? 20261207), endOnFailure: true },
    );
    console.log("build --check outcomes:", Object.fromEntries(seen));
    for (const o of ["up to date", "add", "modify", "mode"]) expect(seen.get(o) ?? 0, o).toBeGreaterThan(0);
  }, 300_000);
});

async function check(dir: string, g: Gen): Promise<string> {
  const policy = join(dir, "p.policy");
  const out = join(dir, "out");
  const ref = join(dir, "ref");
  const label = `${JSON.stringify(g)}\n--- old\n${olderOf(g)}--- new\n${policyOf(g.hosts, g.entries, g.asserts)}`;
  // OUT holds the build of the older version; ref the build of the policy as it is now.
  writeFileSync(policy, olderOf(g));
  let r = await cli(["build", policy, "-o", out, "-q"]);
  expect(r.status, `${r.stderr}\n${label}`).toBe(0);
  writeFileSync(policy, policyOf(g.hosts, g.entries, g.asserts));
  r = await cli(["build", policy, "-o", ref, "-q"]);
  expect(r.status, `${r.stderr}\n${label}`).toBe(0);
  const checks = join(out, ".policyc/checks.json");
  const built = readFileSync(checks, "utf8");
  switch (g.perturb) {
    case "missing":
      rmSync(checks);
      break;
    case "edited":
      writeFileSync(checks, built.replace('"version": 1', '"version": 2'));
      break;
    case "mode":
      chmodSync(checks, 0o600);
      break;
    case "link":
      writeFileSync(join(dir, "copy.json"), readFileSync(join(ref, ".policyc/checks.json")));
      rmSync(checks);
      symlinkSync(join(dir, "copy.json"), checks);
      break;
    case "folder":
      rmSync(checks);
      mkdirSync(checks);
      break;
  }
  if (g.manifestEdited)
    writeFileSync(join(out, ".policyc/manifest.json"), readFileSync(join(out, ".policyc/manifest.json"), "utf8") + "\n");

  // The oracle: the generated files are as ref has them (only assertions were edited); checks.json by lstat.
  const generated = (t: string) => new Map([...readTree(t)].filter(([p]) => !p.startsWith(".policyc/")));
  expect(generated(out), label).toEqual(generated(ref));
  const want = readFileSync(join(ref, ".policyc/checks.json"), "utf8");
  const st = lstatSync(checks, { throwIfNoEntry: false });
  const kind = !st?.isFile()
    ? "add"
    : readFileSync(checks, "utf8") !== want
      ? "modify"
      : (statSync(checks).mode & 0o7777) !== 0o644
        ? "mode"
        : "up to date";

  const before = existsSync(checks) && st?.isFile() ? readFileSync(checks, "utf8") : null;
  r = await cli(["build", policy, "-o", out, "--check", ...(g.jsonFormat ? ["--format", "json"] : [])]);
  const text = g.jsonFormat ? r.stderr : r.stdout;
  const seenLabel = `${label}\nstdout:\n${r.stdout.slice(0, 2000)}\nstderr:\n${r.stderr.slice(0, 2000)}`;
  if (kind === "up to date") {
    expect(r.status, seenLabel).toBe(0);
    expect(text, seenLabel).not.toContain("diff a/");
    expect(r.stderr, seenLabel).toMatch(/is up to date \(\d+ files\)/);
  } else {
    expect(r.status, seenLabel).toBe(1);
    // One file, checks.json, shown as git shows it.
    expect(
      [...text.matchAll(/^diff a\/(\S+) b\//gm)].map((m) => m[1]),
      seenLabel,
    ).toEqual([".policyc/checks.json"]);
    if (kind === "add") expect(text, seenLabel).toContain("diff a/.policyc/checks.json b/.policyc/checks.json\nnew file mode 100644\n");
    if (kind === "mode") expect(text, seenLabel).toContain("old mode 100600\nnew mode 100644\n");
    if (kind === "modify") expect(text, seenLabel).toContain("--- a/.policyc/checks.json\n+++ b/.policyc/checks.json\n@@ ");
    expect(r.stderr, seenLabel).toContain("1 file differs; run policyc build to update it.");
    if (g.jsonFormat) {
      const doc = JSON.parse(r.stdout) as { changes: { path: string; kind: string }[] };
      expect(
        doc.changes.map((c) => [c.path, c.kind]),
        seenLabel,
      ).toEqual([[".policyc/checks.json", kind]]);
    }
  }
  // --check wrote nothing.
  const after = lstatSync(checks, { throwIfNoEntry: false });
  expect(after?.isFile() ?? false, seenLabel).toBe(st?.isFile() ?? false);
  if (before !== null) expect(readFileSync(checks, "utf8"), seenLabel).toBe(before);

  // build brings it back (a folder in its place is not build's to remove: PC5003, as for any output).
  r = await cli(["build", policy, "-o", out, "-q"]);
  if (g.perturb === "folder") {
    expect(r.status, seenLabel).toBe(1);
    return kind;
  }
  expect(r.status, `${r.stderr}\n${seenLabel}`).toBe(0);
  expect(lstatSync(checks).isFile(), seenLabel).toBe(true);
  expect(readFileSync(checks, "utf8"), seenLabel).toBe(want);
  expect(statSync(checks).mode & 0o7777, seenLabel).toBe(0o644);
  expect((await cli(["build", policy, "-o", out, "--check"])).status, seenLabel).toBe(0);
  return kind;
}
