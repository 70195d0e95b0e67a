/**
 * The real CLI under faults it cannot catch: kill -9 at random points of
 * large builds, two builds into one OUT at once, and a full disk (a small
 * tmpfs in a private mount namespace). After each, every file is entirely
 * old or entirely new, the manifest is whole and describes a complete tree
 * (or OUT is reported as unfinished), and the next build leaves no
 * temporaries and equals a clean build.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI, readTree, runCli, tempDir } from "../helpers.js";
import { temporaries } from "./helpers.js";

/** A policy with n services, each with its own access list; `tag` changes a third of the lists, and "b" moves some. */
function bigPolicy(n: number, tag: string): string {
  let s = "platform debian;\n";
  for (let i = 0; i < n; i++) {
    const name = tag === "b" && i % 10 === 0 ? `moved${i}` : `s${i}`;
    s += `service s${i} { acl user allow "/etc/acl/${name}.acl" { entries root, ${i % 3 === 0 ? tag : "x"}${i}; } }\n`;
  }
  return s;
}

/** mulberry32: a fixed seed gives the same kill points on every run. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Tree = Map<string, { content: string; mode: number }>;
const withoutState = (t: Tree) => new Map([...t].filter(([p]) => !p.startsWith(".policyc/")));

/**
 * OUT after a fault: each file old or new, the manifest whole and one of the
 * two; a new manifest means the whole new tree is there; a tree that is
 * neither whole old nor whole new must carry the journal.
 */
function expectWholeOrReported(out: string, old: Tree, next: Tree): "old" | "new" | "mixed" {
  const disk = readTree(out);
  for (const [path, { content }] of withoutState(disk)) {
    if (path.includes(".policyc-tmp-")) continue; // temporaries: checked by the next build
    expect([old.get(path)?.content, next.get(path)?.content], path).toContain(content);
  }
  const manifest = disk.get(".policyc/manifest.json")?.content;
  expect(() => JSON.parse(manifest!)).not.toThrow();
  expect([old.get(".policyc/manifest.json")!.content, next.get(".policyc/manifest.json")!.content]).toContain(manifest);
  const files = withoutState(disk);
  for (const p of [...files.keys()]) if (p.includes(".policyc-tmp-")) files.delete(p);
  const same = (t: Tree) => JSON.stringify([...files]) === JSON.stringify([...withoutState(t)]);
  if (manifest === next.get(".policyc/manifest.json")!.content) {
    expect(same(next), "a new manifest describes a complete new tree").toBe(true);
    return "new";
  }
  if (same(old)) return "old";
  expect(existsSync(join(out, ".policyc/journal")), "a mixed tree carries the journal").toBe(true);
  return "mixed";
}

function build(policy: string, out: string, extra: string[] = []) {
  return runCli(["build", policy, "-o", out, "-q", ...extra]);
}

// 40 services (80 files and the manifest) keep the suite short on a shared machine; POLICYC_FAULT_SERVICES=3000 for a long run.
const services = Number(process.env.POLICYC_FAULT_SERVICES ?? 40);

describe("fault: kill -9 at random points of a large build", () => {
  it(
    "20 kills: files old or new, a whole manifest, and the next build repairs the tree",
    async () => {
      const dir = tempDir("policyc-kill-");
      const policies = { a: join(dir, "a.policy"), b: join(dir, "b.policy") };
      writeFileSync(policies.a, bigPolicy(services, "a"));
      writeFileSync(policies.b, bigPolicy(services, "b"));
      const clean: Record<string, Tree> = {};
      for (const k of ["a", "b"] as const) {
        expect(build(policies[k], join(dir, `clean-${k}`)).status).toBe(0);
        clean[k] = readTree(join(dir, `clean-${k}`));
      }
      const out = join(dir, "out");
      const start = Date.now();
      expect(build(policies.a, out).status).toBe(0);
      const duration = Date.now() - start;
      const rand = random(20261125);
      const seen = { old: 0, new: 0, mixed: 0 };
      let current: "a" | "b" = "a";
      let checked = false;
      for (let trial = 0; trial < 20; trial++) {
        const next: "a" | "b" = current === "a" ? "b" : "a";
        const child = spawn(process.execPath, [CLI, "build", policies[next], "-o", out, "-q"], { stdio: "ignore" });
        const exited = new Promise((r) => child.on("exit", r));
        if (trial % 2 === 0) {
          // Anywhere in the build: start-up, compiling, staging, committing.
          await new Promise((r) => setTimeout(r, rand() * duration));
        } else {
          // In the commit: once the journal appears, the renames begin.
          const delay = rand() * 15;
          while (!existsSync(join(out, ".policyc/journal")) && child.exitCode === null) await new Promise((r) => setImmediate(r));
          await new Promise((r) => setTimeout(r, delay));
        }
        child.kill("SIGKILL");
        await exited;
        const state = expectWholeOrReported(out, clean[current]!, clean[next]!);
        seen[state]++;
        if (state === "mixed" && !checked) {
          // Meanwhile, --check says the tree is unfinished.
          const r = runCli(["build", policies[next], "-o", out, "--check"]);
          expect(r.status).toBe(1);
          expect(r.stderr).toContain("error PC5012:");
          checked = true;
        }
        const repair = runCli(["build", policies[next], "-o", out]);
        expect(repair.status, repair.stderr).toBe(0);
        if (state === "mixed") expect(repair.stderr).toMatch(/warning: .* held the journal of an unfinished build/);
        expect(temporaries(out)).toEqual([]);
        expect(readTree(out)).toEqual(clean[next]);
        current = next;
      }
      // The seed spreads the kills: some land in the commit, some before it.
      expect(seen.mixed, JSON.stringify(seen)).toBeGreaterThan(0);
      expect(seen.old + seen.new, JSON.stringify(seen)).toBeGreaterThan(0);
    },
    Math.max(240_000, services * 1500),
  );
});

describe("fault: builds at the same time", () => {
  it("16 trials of two builds into one OUT: never a mixed tree; the loser fails at once naming the other pid", async () => {
    const dir = tempDir("policyc-race-");
    const policies = { a: join(dir, "a.policy"), b: join(dir, "b.policy") };
    writeFileSync(policies.a, bigPolicy(12, "a"));
    writeFileSync(policies.b, bigPolicy(12, "b"));
    const clean: Record<string, Tree> = {};
    for (const k of ["a", "b"] as const) {
      build(policies[k], join(dir, `clean-${k}`));
      clean[k] = readTree(join(dir, `clean-${k}`));
    }
    let refused = 0;
    for (let trial = 0; trial < 16; trial++) {
      const out = join(dir, `out${trial}`);
      const run = (k: "a" | "b") =>
        new Promise<{ k: string; status: number | null; stderr: string; end: number }>((resolve) => {
          const child = spawn(process.execPath, [CLI, "build", policies[k], "-o", out, "-q"], { env: { ...process.env, NO_COLOR: "1" } });
          let stderr = "";
          child.stderr.on("data", (d) => (stderr += d));
          child.on("exit", (status) => resolve({ k, status, stderr, end: Date.now() }));
        });
      const results = await Promise.all([run("a"), run("b")]);
      const ok = results.filter((r) => r.status === 0);
      expect(ok.length).toBeGreaterThan(0);
      for (const r of results.filter((r) => r.status !== 0)) {
        refused++;
        expect(r.status).toBe(1);
        expect(r.stderr).toMatch(/^policyc: error PC5010: Another policyc build \(pid \d+\) is writing .*; nothing was written\./);
      }
      const tree = readTree(out);
      const last = ok.sort((x, y) => x.end - y.end).at(-1)!;
      // Both succeeded only one after the other; either way the tree is one whole build.
      expect([clean.a, clean.b].some((c) => c !== undefined && JSON.stringify([...c]) === JSON.stringify([...tree]))).toBe(true);
      if (ok.length === 1) expect(tree).toEqual(clean[last.k]!);
      expect(temporaries(out)).toEqual([]);
      expect(existsSync(join(out, ".policyc/lock"))).toBe(false);
    }
    expect(refused, "the trials really overlapped").toBeGreaterThan(0);
  }, 180_000);
});

const canUnshare = process.getuid?.() === 0 && spawnSync("unshare", ["-m", "--propagation", "private", "true"]).status === 0;
const needRoot = process.env.CI === "true" ? it : it.skipIf(!canUnshare);

describe("fault: a full disk (a small tmpfs in a private mount namespace)", () => {
  needRoot(
    "at every size from the old tree's to the new one's: old tree and exit 1, or the new tree and exit 0",
    () => {
      const dir = tempDir("policyc-enospc-");
      const policies = { a: join(dir, "a.policy"), b: join(dir, "b.policy") };
      writeFileSync(policies.a, bigPolicy(40, "a"));
      // b's lists are long: the new tree needs far more room than the old one.
      writeFileSync(
        policies.b,
        bigPolicy(40, "b").replace(/entries root, /g, `entries root, ${Array.from({ length: 300 }, (_, i) => `u${i}`).join(", ")}, `),
      );
      const clean: Record<string, Tree> = {};
      for (const k of ["a", "b"] as const) {
        build(policies[k], join(dir, `clean-${k}`));
        clean[k] = readTree(join(dir, `clean-${k}`));
      }
      const sizes = [200, 240, 280, 320, 400, 520, 700, 1000]; // KiB; tmpfs counts whole 4 KiB pages
      const outcomes: string[] = [];
      for (const kb of sizes) {
        const mnt = join(dir, `mnt${kb}`);
        const result = join(dir, `result${kb}`);
        mkdirSync(mnt);
        mkdirSync(result);
        const script = [
          `mount -t tmpfs -o size=${kb}k tmpfs "$1" || exit 99`,
          `"$2" "$3" build "$4" -o "$1/out" -q 2>/dev/null || exit 98`,
          `"$2" "$3" build "$5" -o "$1/out" -q 2>"$6/stderr"; echo $? > "$6/status"`,
          `cp -a "$1/out" "$6/out"`,
        ].join("\n");
        const r = spawnSync(
          "unshare",
          ["-m", "--propagation", "private", "sh", "-c", script, "sh", mnt, process.execPath, CLI, policies.a, policies.b, result],
          {
            encoding: "utf8",
            env: { ...process.env, NO_COLOR: "1" },
          },
        );
        if (r.status === 98) {
          outcomes.push(`${kb}: old tree does not fit`);
          continue;
        }
        expect(r.status, r.stderr).toBe(0);
        const status = Number(readTree(result).get("status")!.content.trim());
        const tree = readTree(join(result, "out"));
        expect(temporaries(join(result, "out"))).toEqual([]);
        if (status === 0) {
          expect(tree).toEqual(clean.b);
          outcomes.push(`${kb}: new`);
        } else {
          expect(status).toBe(1);
          expect(readTree(result).get("stderr")!.content).toMatch(/error PC5003: Cannot write .*: no space left on device\./);
          expect(tree).toEqual(clean.a);
          outcomes.push(`${kb}: old`);
        }
      }
      // The sizes really cross the point where the new tree stops fitting.
      expect(
        outcomes.some((o) => o.endsWith(": old")),
        outcomes.join("; "),
      ).toBe(true);
      expect(
        outcomes.some((o) => o.endsWith(": new")),
        outcomes.join("; "),
      ).toBe(true);
    },
    180_000,
  );
});
