/**
 * README "Performance": a build with many files writes them in worker
 * threads (--jobs), and its result is the serial build's, byte for byte:
 * the same files, bytes, modes and manifest, the same output on stdout and
 * stderr, and nothing written when the policy has an error. A failure in a
 * worker leaves the tree as it was.
 */
import { spawnSync } from "node:child_process";
import { cpSync, readdirSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PARALLEL_MIN_FILES, stageInWorkers } from "../src/output/stage.js";
import { OutputError } from "../src/output/write.js";
import type { OutputFile } from "../src/targets/Target.js";
import { readTree, ROOT, runCli, tempDir } from "./helpers.js";
import { streamFiles, temporaries } from "./fault/helpers.js";

/** Every path under dir (folders too) with its mode, and each file's bytes. */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const name of readdirSync(d).sort()) {
      const st = statSync(join(d, name));
      out.push(`${rel}${name} ${(st.mode & 0o7777).toString(8)}${st.isDirectory() ? "/" : ""}`);
      if (st.isDirectory()) walk(join(d, name), `${rel}${name}/`);
    }
  };
  walk(dir, "");
  return out;
}

/** A fleet: roles of services, hosts taking some of them, each with its own admins; `broken` names a list nobody defines. */
function fleet(hosts: number, roles: number, services: number, taken: number[], broken: boolean): string {
  const lines = ["platform debian;", "users staff = root, alice, bob;"];
  for (let r = 0; r < roles; r++) {
    lines.push(`role r${r} {`);
    for (let s = 0; s < services; s++) {
      lines.push(`  service s${r}x${s} {`, `    acl user allow "/etc/security/s${r}x${s}.users" { entries $staff, $admins; }`, "  }");
    }
    lines.push("}");
  }
  for (let h = 0; h < hosts; h++) {
    const mine = taken.map((t) => (t + h) % roles).filter((r, i, all) => all.indexOf(r) === i);
    const extra = broken && h === hosts - 1 ? ", $nosuch" : "";
    lines.push(`host h${h} {`, `  role ${mine.map((r) => `r${r}`).join(", ")};`, `  users admins = adm${h}${extra};`, "}");
  }
  return lines.join("\n") + "\n";
}

/** Builds the policy in a fresh folder with --jobs N; the output folder has the same name in every run. */
function buildWith(text: string, jobs: number) {
  const cwd = tempDir("policyc-jobs-");
  writeFileSync(join(cwd, "fleet.policy"), text);
  const run = runCli(["build", "fleet.policy", "-o", "out", "--jobs", String(jobs)], { cwd });
  let tree: string[] = [];
  let files = new Map<string, { content: string; mode: number }>();
  try {
    tree = snapshot(join(cwd, "out"));
    files = readTree(join(cwd, "out"));
  } catch {
    // no output folder: compared as empty
  }
  return { run, tree, files };
}

describe("build --jobs: worker threads give the serial build's result", () => {
  it("writes the same tree and prints the same with --jobs 1 and --jobs 2, errors included", () => {
    fc.assert(
      fc.property(
        // At least 40 hosts x 4 services x 2 files: above PARALLEL_MIN_FILES, so --jobs 2 uses workers.
        fc.integer({ min: 40, max: 70 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 4, max: 6 }),
        fc.array(fc.nat(3), { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        (hosts, roles, services, taken, broken) => {
          const text = fleet(hosts, roles, services, taken, broken);
          const serial = buildWith(text, 1);
          const parallel = buildWith(text, 2);
          expect(parallel.run).toEqual(serial.run);
          expect(parallel.tree).toEqual(serial.tree);
          expect(parallel.files).toEqual(serial.files);
          if (broken) {
            expect(serial.run.status).toBe(1);
            expect(serial.tree).toEqual([]);
          } else expect(serial.run.status).toBe(0);
        },
      ),
      { numRuns: 6 },
    );
  }, 600_000);

  it("compares fleets large enough for the workers (the smallest generated)", () => {
    const text = fleet(40, 1, 4, [0], false);
    const { run, files } = buildWith(text, 2);
    expect(run.status).toBe(0);
    expect(files.size - 1).toBeGreaterThanOrEqual(PARALLEL_MIN_FILES);
  }, 120_000);

  it("refuses a --jobs that is not a whole number from 1", () => {
    for (const bad of ["0", "x", "-1", "1.5"]) {
      const r = runCli(["build", "examples/cookbook.policy", "-o", tempDir(), `--jobs=${bad}`], { cwd: ROOT });
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(`--jobs takes a whole number of threads from 1 to 9999, not "${bad}".`);
    }
  });
});

describe("build --jobs: a failure in a worker", () => {
  const file = (path: string, content: string): OutputFile => ({ path, content, mode: 0o644, producer: "test", origins: [] });
  const WORKER = join(ROOT, "dist", "stage-worker.cjs");
  const many = (tag: string) => Array.from({ length: PARALLEL_MIN_FILES + 50 }, (_, i) => file(`h${i % 7}/etc/f${i}`, `${tag} ${i}\n`));

  it("leaves the tree as it was: no file changed, no temporary, no new folder", () => {
    const dir = tempDir("policyc-worker-fail-");
    const old = many("old");
    streamFiles(dir, old, { per: 64 });
    const before = snapshot(dir);
    const next = [...many("new"), file("h9/etc/new", "new\n")];
    const failAt = join(dir, next[200]!.path);
    expect(() => streamFiles(dir, next, { per: 64, jobs: 2, stageWorker: WORKER, faultInWorker: failAt })).toThrow(OutputError);
    try {
      streamFiles(dir, next, { per: 64, jobs: 2, stageWorker: WORKER, faultInWorker: failAt });
    } catch (e) {
      expect((e as OutputError).path).toBe(failAt);
    }
    expect(snapshot(dir)).toEqual(before);
    expect(temporaries(dir)).toEqual([]);
  });

  it("a worker that dies after writing a temporary: the build fails, the tree is as it was, no temporary left", () => {
    const dir = tempDir("policyc-worker-die-");
    const old = many("old");
    streamFiles(dir, old, { per: 64 });
    const before = snapshot(dir);
    const script = join(tempDir("policyc-worker-script-"), "dies.cjs");
    writeFileSync(
      script,
      'const { workerData } = require("node:worker_threads"); const j = workerData.jobs[0];\n' +
        'require("node:fs").writeFileSync(j.tmp, j.content); process.exit(7);\n',
    );
    const next = many("new");
    expect(() => streamFiles(dir, next, { per: 64, jobs: 2, stageWorker: script })).toThrow(/staging worker stopped before it finished/);
    expect(snapshot(dir)).toEqual(before);
    expect(temporaries(dir)).toEqual([]);
  });

  it("writes what the serial writer writes when nothing fails", () => {
    const a = tempDir("policyc-worker-a-");
    const b = tempDir("policyc-worker-b-");
    const files = many("x");
    const ra = streamFiles(a, files, { per: 64, jobs: 1 });
    const rb = streamFiles(b, files, { per: 64, jobs: 2, stageWorker: WORKER });
    expect(rb).toEqual(ra);
    expect(snapshot(b)).toEqual(snapshot(a));
    expect(readTree(b)).toEqual(readTree(a));
  });
});

describe("build --jobs: a worker that fails to load, dies or hangs fails the build, never hangs it", () => {
  /** A copy of dist/ whose stage-worker.cjs is `worker`; runs its CLI on a fleet large enough for the workers. */
  function buildWithWorker(worker: string | null) {
    const root = tempDir("policyc-dist-");
    const dist = join(root, "dist");
    cpSync(join(ROOT, "dist"), dist, { recursive: true });
    for (const beside of ["templates", "package.json"]) symlinkSync(join(ROOT, beside), join(root, beside));
    const script = join(dist, "stage-worker.cjs");
    if (worker !== null) writeFileSync(script, worker);
    else spawnSync("rm", ["-f", script]);
    const cwd = tempDir("policyc-jobs-broken-");
    writeFileSync(join(cwd, "fleet.policy"), fleet(40, 1, 4, [0], false));
    const r = spawnSync(process.execPath, [join(dist, "policyc.cjs"), "build", "fleet.policy", "-o", "out", "--jobs", "2"], {
      cwd,
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1" },
      timeout: 60_000,
    });
    let left: string[] = [];
    try {
      left = readdirSync(join(cwd, "out"));
    } catch {
      // no output folder
    }
    return { status: r.status, signal: r.signal, stderr: r.stderr, script, left };
  }

  it.each([
    ["a bundle that does not parse", "this is not javascript {{{"],
    ["a worker that throws while loading", 'throw new Error("boom");'],
    ["a worker that exits at once", "process.exit(3);"],
    ["a missing bundle", null],
  ])(
    "%s: exit 1 with the write error, nothing written",
    (_name, worker) => {
      const r = buildWithWorker(worker);
      expect(r.signal).toBeNull();
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(r.script);
      expect(r.stderr).toContain("staging worker");
      expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
      expect(r.left).toEqual([]);
    },
    90_000,
  );

  const jobsIn = (dir: string) =>
    Array.from({ length: 40 }, (_, i) => ({ tmp: join(dir, `t${i}`), target: join(dir, `f${i}`), content: "x\n", mode: 0o644 }));

  it("a worker that dies after it started is counted, its death reported", () => {
    const dir = tempDir("policyc-stage-die-");
    const script = join(dir, "die.cjs");
    writeFileSync(script, 'setImmediate(() => {}); require("node:worker_threads"); process.exit(5);');
    expect(() => stageInWorkers(jobsIn(dir), 2, { script })).toThrow(/staging worker (stopped before it finished|failed)/);
  });

  it("a worker that hangs fails the build after the stall limit", () => {
    const dir = tempDir("policyc-stage-hang-");
    const script = join(dir, "hang.cjs");
    writeFileSync(script, "for (;;) {}");
    expect(() => stageInWorkers(jobsIn(dir), 2, { script, stallMs: 1500 })).toThrow(OutputError);
    expect(() => stageInWorkers(jobsIn(dir), 2, { script, stallMs: 1500 })).toThrow(/made no progress for 2 s/);
  }, 30_000);
});
