/**
 * README "Performance" (a fleet's build): build keeps every file's text only
 * until its temporary is written or it is found unchanged, hashes each file
 * once (the manifest's hashes are the journal's), makes the manifest's text
 * only when it is staged and keeps no host's model past its emit. None of
 * that may weaken "Command line" > build: a fleet whose last host has an
 * error writes nothing; a staging failure after most texts were given up
 * leaves OUT as it was with no temporary; the manifest's hashes are the
 * files' on disk; a rebuild writes nothing; checks.json still has the
 * assertions' hosts.
 */
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findLeftovers, hasLeftovers } from "../src/output/journal.js";
import { OutputError } from "../src/output/write.js";
import type { OutputFile } from "../src/targets/Target.js";
import { streamFiles, temporaries } from "./fault/helpers.js";
import { ROOT, runCli, tempDir, treeState } from "./helpers.js";

/** A fleet of n hosts (scripts/fleet.js), in a fresh folder. */
function fleet(n: number): { dir: string; policy: string } {
  const dir = tempDir("policyc-fleetmem-");
  execFileSync(process.execPath, [join(ROOT, "scripts/fleet.js"), String(n), dir]);
  return { dir, policy: join(dir, "fleet.policy") };
}

const hex = (text: string | Buffer) => createHash("sha256").update(text).digest("hex");

describe("a fleet's build in bounded memory keeps build's promises", () => {
  it("the manifest's hashes are the files' on disk, a rebuild writes nothing, and the assertions' hosts reach checks.json", () => {
    const { dir, policy } = fleet(40);
    // An assertion about one host: its model must survive its emit, the others' need not.
    const text = readFileSync(policy, "utf8");
    const block = /^host (\S+) \{\n/m.exec(text)!;
    const host = block[1]!;
    const at = block.index + block[0].length;
    writeFileSync(policy, `${text.slice(0, at)}  expect allow login user root;\n${text.slice(at)}`);
    const out = join(dir, "out");
    const first = runCli(["build", policy, "-o", out, "-q"]);
    expect(first.status, first.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out, ".policyc/manifest.json"), "utf8")) as { files: { path: string; sha256: string }[] };
    expect(manifest.files.length).toBeGreaterThan(500);
    for (const f of manifest.files) expect(f.sha256, f.path).toBe(hex(readFileSync(join(out, f.path))));
    const checks = readFileSync(join(out, ".policyc/checks.json"), "utf8");
    expect(checks).toContain(`"host": "${host}"`);
    expect(hasLeftovers(findLeftovers(out))).toBe(false);
    const before = treeState(out, { folderTimes: false });
    const again = runCli(["build", policy, "-o", out, "-v"]);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toContain(`wrote 0 files to ${out} (${manifest.files.length} unchanged)`);
    // The manifest and checks.json are rewritten (renamed over) by every build: the tree's files are not.
    const keep = (m: Map<string, string>) => new Map([...m].filter(([p]) => !p.startsWith(".policyc")));
    expect(keep(treeState(out, { folderTimes: false }))).toEqual(keep(before));
  });

  it("an error in the fleet's last host writes nothing over an earlier build", () => {
    const { dir, policy } = fleet(40);
    const out = join(dir, "out");
    const first = runCli(["build", policy, "-o", out, "-q"]);
    expect(first.status, first.stderr).toBe(0);
    const before = treeState(out, { folderTimes: false });
    // Every file changes (a new blocked host), and the last host's block gets an error.
    const text = readFileSync(policy, "utf8").replace("badhost.example.com", "worsehost.example.com");
    const last = text.lastIndexOf("\n}");
    writeFileSync(
      policy,
      `${text.slice(0, last)}\n  users admins2 = root, root;\n  service zzz { acl user allow "/etc/zzz" { entries $nosuch; } }${text.slice(last)}`,
    );
    const r = runCli(["build", policy, "-o", out]);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/error PC\d{4}:/);
    expect(r.stderr).toMatch(/nothing written\.?\n/);
    expect(treeState(out, { folderTimes: false })).toEqual(before);
  });

  it("a staging failure in the last host, after the others were staged, leaves OUT as it was, with no temporary", () => {
    const out = tempDir("policyc-consume-");
    const hosts = Array.from({ length: 30 }, (_, h) => `h${h}`);
    const make = (v: string): OutputFile[] =>
      Array.from({ length: 300 }, (_, i) => ({
        path: `h${Math.floor(i / 10)}/etc/f${i}`,
        content: `${v} ${i}\n`,
        mode: 0o644,
        producer: "test",
        origins: [],
      }));
    const commit = (files: OutputFile[], fault?: (p: string) => void) => streamFiles(out, files, { hosts, faultBeforeWrite: fault });
    expect(commit(make("one")).written).toHaveLength(300);
    const before = treeState(out, { folderTimes: true });
    const manifest = readFileSync(join(out, ".policyc/manifest.json"), "utf8");
    let staged = 0;
    expect(() =>
      commit(make("two"), (p) => {
        if (p === "h29/etc/f299") {
          staged = temporaries(out).length;
          throw new Error("injected");
        }
      }),
    ).toThrow(OutputError);
    // The 299 files before it were staged (in the staging folder), and OUT is exactly as it was.
    expect(staged).toBeGreaterThan(0);
    expect(treeState(out, { folderTimes: true })).toEqual(before);
    expect(readFileSync(join(out, ".policyc/manifest.json"), "utf8")).toBe(manifest);
    expect(temporaries(out)).toEqual([]);
    expect(hasLeftovers(findLeftovers(out))).toBe(false);
    // And a whole build after it writes the new texts, its journal's work done.
    expect(commit(make("two")).written).toHaveLength(300);
    expect(readFileSync(join(out, "h29/etc/f299"), "utf8")).toBe("two 299\n");
    expect(hasLeftovers(findLeftovers(out))).toBe(false);
  });
});
