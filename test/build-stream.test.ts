/**
 * README "Architecture" and "Build's memory": build streams each host's
 * files to the writer as compile emits them (output/stream.ts): compared
 * with OUT, staged in OUT/.policyc when changed, their texts dropped. The
 * transaction's promises stay: whatever fails (an error in host K, a write
 * failing at file K, a staging worker failing at file K, a lock held, more
 * warnings than allowed), OUT is exactly as it was: tree, bytes, modes, no
 * temporary or staging folder, and folder times (treeState); a following
 * good build equals a fresh one. A failure while renaming leaves each file
 * old or new and the journal, and the next build repairs it.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { makeChecks } from "../src/cli/checks.js";
import { compileHosts } from "../src/cli/hosts.js";
import { compile } from "../src/compile.js";
import { findLeftovers, hasLeftovers, JOURNAL_PATH } from "../src/output/journal.js";
import { LockBusy } from "../src/output/lock.js";
import { makeManifest } from "../src/output/manifest.js";
import { sha256 } from "../src/output/sha256.js";
import { BuildStream, type StreamOptions } from "../src/output/stream.js";
import { OutputError } from "../src/output/write.js";
import type { OutputFile } from "../src/targets/Target.js";
import { readTree, ROOT, runCli, tempDir, TEMPLATES, treeState } from "./helpers.js";
import { temporaries } from "./fault/helpers.js";

const WORKER = join(ROOT, "dist", "stage-worker.cjs");

/** A fleet: roles of services with access lists, hosts taking two roles each with admins of their own; `broken` gives host K an undefined list. */
function fleet(hosts: number, version: "a" | "b", broken = -1): string {
  const roles = 4;
  const lines = ["platform debian;", `users staff = root, ${version === "a" ? "alice" : "carol"}, bob;`];
  for (let r = 0; r < roles; r++) {
    lines.push(`role r${r} {`);
    // Version b drops one service of r0: its files become stale and are removed.
    for (let s = 0; s < 4; s++) {
      if (version === "b" && r === 0 && s === 3) continue;
      // One list that warns (onerr succeed), so that --max-warnings 0 refuses every version.
      const warn = r === 1 && s === 0 ? " onerr succeed;" : "";
      lines.push(
        `  service s${r}x${s} {`,
        `    acl user allow "/etc/security/s${r}x${s}.users" { entries $staff, $admins;${warn} }`,
        "  }",
      );
    }
    lines.push("}");
  }
  for (let h = 0; h < hosts; h++) {
    const extra = h === broken ? ", $nosuch" : "";
    lines.push(`host h${h} {`, `  role r${h % roles}, r${(h + 1) % roles};`, `  users admins = adm${h}${extra};`, "}");
  }
  return lines.join("\n") + "\n";
}

/** build.ts's streamed build, in process, with the writer's test hooks: true when it committed. */
function streamBuild(policy: string, out: string, hooks: StreamOptions = {}): boolean {
  const stream = new BuildStream(out, hooks);
  try {
    const r = compile(policy, readFileSync(policy), { templates: TEMPLATES, keepModels: false, sink: (f, h) => stream.add(f, h) });
    if (r.diagnostics.hasErrors || r.fileCount === undefined) return false;
    if (stream.failure !== undefined) throw stream.failure;
    const hosts = r.hosts!.some((h) => h !== null) ? (r.hosts as string[]) : null;
    const checks = JSON.stringify(makeChecks(policy, hosts, r.build!, r.assertions ?? []), null, 2) + "\n";
    stream.commit({ policy, hosts, extra: [{ path: join(out, ".policyc/checks.json"), content: checks }] });
    return true;
  } finally {
    stream.abort();
  }
}

/**
 * build --jobs 2's streamed build, in process, on hosts threads forced by
 * POLICYC_PARALLEL_MIN_HOSTS=2, with POLICYC_TEST_HOSTS_WORKER=`how` making
 * each worker fail after some hosts, and a short stall limit (a hung worker
 * fails the build after 1.5 s, not 60 s). Returns the diagnostics' codes
 * and how many files the stream had taken when it was aborted.
 */
function threadsBuild(policy: string, out: string, how: string): { codes: string[]; added: number } {
  const saved = { min: process.env.POLICYC_PARALLEL_MIN_HOSTS, how: process.env.POLICYC_TEST_HOSTS_WORKER };
  process.env.POLICYC_PARALLEL_MIN_HOSTS = "2";
  process.env.POLICYC_TEST_HOSTS_WORKER = how;
  const stream = new BuildStream(out, { jobs: 2, stageWorker: WORKER });
  try {
    const r = compileHosts(policy, readFileSync(policy), {
      templates: TEMPLATES,
      keepModels: false,
      keepFiles: false,
      jobs: 2,
      script: join(ROOT, "dist", "hosts-worker.cjs"),
      stallMs: 1500,
      sink: (f, h) => stream.add(f, h),
    });
    expect(stream.failure).toBeUndefined();
    return { codes: r.diagnostics.items.map((d) => d.code), added: stream.paths.size };
  } finally {
    stream.abort();
    for (const [k, v] of [
      ["POLICYC_PARALLEL_MIN_HOSTS", saved.min],
      ["POLICYC_TEST_HOSTS_WORKER", saved.how],
    ] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** OUT as build leaves it for good: every file with bytes and mode, nothing of an unfinished build. */
function expectClean(out: string): void {
  expect(temporaries(out)).toEqual([]);
  expect(hasLeftovers(findLeftovers(out))).toBe(false);
}

describe("a streamed build keeps the transaction's promises", () => {
  const HOSTS = 24;
  const dir = tempDir("policyc-stream-");
  const a = join(dir, "a.policy");
  const b = join(dir, "b.policy");
  writeFileSync(a, fleet(HOSTS, "a"));
  writeFileSync(b, fleet(HOSTS, "b"));
  // A fresh build of b, by the CLI: what any good build of b must leave.
  const fresh = join(dir, "fresh");
  expect(runCli(["build", b, "-o", fresh, "-q"]).status).toBe(0);
  const want = readTree(fresh);
  // Every file of b differs from a's (a's staff, and b's header names another policy file).
  const files = [...want.keys()].filter((p) => !p.startsWith(".policyc/")).length;
  let trial = 0;

  it("the in-process build above is the CLI's, byte for byte", () => {
    const out = join(dir, "same");
    expect(streamBuild(b, out)).toBe(true);
    expect(readTree(out)).toEqual(want);
    expectClean(out);
  });

  type Fault = { kind: "host" | "write" | "worker" | "lock" | "warnings" | "throw" | "exit" | "hang"; k: number };
  /** One fault: OUT exactly as it was after it, then a good build equals a fresh one. */
  const tryFault = ({ kind, k }: Fault) => {
    const out = join(dir, `out${trial++}`);
    expect(runCli(["build", a, "-o", out, "-q"]).status).toBe(0);
    const before = treeState(out, { folderTimes: true });
    const bytes = readTree(out);
    if (kind === "host") {
      const broken = join(dir, "b.policy");
      writeFileSync(broken, fleet(HOSTS, "b", k));
      const r = runCli(["build", broken, "-o", out]);
      writeFileSync(b, fleet(HOSTS, "b"));
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/nothing written\.?\n/);
    } else if (kind === "warnings") {
      const r = runCli(["build", b, "-o", out, "--max-warnings", "0"]);
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toContain("PC5050");
    } else if (kind === "lock") {
      // A live holder: this very process.
      const stat = readFileSync(`/proc/${process.pid}/stat`, "latin1");
      const start = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
      writeFileSync(join(out, ".policyc/lock"), `${process.pid} ${start}\n`);
      const locked = treeState(out, { folderTimes: true });
      expect(() => streamBuild(b, out)).toThrow(LockBusy);
      expect(treeState(out, { folderTimes: true })).toEqual(locked);
      return;
    } else if (kind === "throw" || kind === "exit") {
      const r = runCli(["build", b, "-o", out, "--jobs", "2"], {
        env: { POLICYC_PARALLEL_MIN_HOSTS: "2", POLICYC_TEST_HOSTS_WORKER: `${kind}:${k}` },
      });
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toContain("PC5080");
      expect(r.stderr).not.toMatch(/\n\s+at /);
    } else if (kind === "hang") {
      const r = threadsBuild(b, out, `hang:${k}`);
      expect(r.codes).toEqual(["PC5080"]);
      // The hosts the workers sent before hanging were staged: the abort had something to undo.
      if (k > 0) expect(r.added).toBeGreaterThan(0);
    } else if (kind === "write") {
      let calls = 0;
      const hook = () => {
        if (calls++ === k) throw new Error("injected");
      };
      expect(() => streamBuild(b, out, { faultBeforeWrite: hook })).toThrow(OutputError);
    } else {
      // The k-th file (in the build's order) fails in a staging worker.
      const target = join(out, [...want.keys()].filter((p) => !p.startsWith(".policyc/")).sort()[k]!);
      expect(() => streamBuild(b, out, { jobs: 2, stageWorker: WORKER, faultInWorker: target })).toThrow(OutputError);
    }
    expect(treeState(out, { folderTimes: true })).toEqual(before);
    expect(readTree(out)).toEqual(bytes);
    expectClean(out);
    const good = runCli(["build", b, "-o", out, "-q"]);
    expect(good.status, good.stderr).toBe(0);
    expect(readTree(out)).toEqual(want);
    expectClean(out);
  };

  it("a random fault anywhere: OUT exactly as it was, then a good build equals a fresh one", () => {
    const fault = fc.oneof(
      fc.record({ kind: fc.constant("host" as const), k: fc.integer({ min: 0, max: HOSTS - 1 }) }),
      // Each changed file's temporary, then checks.json, the manifest and the journal.
      fc.record({ kind: fc.constant("write" as const), k: fc.integer({ min: 0, max: files + 2 }) }),
      fc.record({ kind: fc.constant("worker" as const), k: fc.integer({ min: 0, max: files - 1 }) }),
      fc.record({ kind: fc.constant("lock" as const), k: fc.constant(0) }),
      fc.record({ kind: fc.constant("warnings" as const), k: fc.constant(0) }),
      // A hosts thread of --jobs 2 (12 hosts each) that throws, exits or hangs after k hosts, while the stream has staged the hosts before.
      fc.record({
        kind: fc.constantFrom("throw" as const, "exit" as const, "hang" as const),
        k: fc.integer({ min: 0, max: HOSTS / 2 - 1 }),
      }),
    );
    fc.assert(fc.property(fault, tryFault), { numRuns: 12, seed: 20261207 });
  }, 300_000);

  it("a hosts thread of build --jobs 2 that throws, exits or hangs while hosts are streamed: OUT exactly as it was", () => {
    for (const kind of ["throw", "exit", "hang"] as const) for (const k of [0, 5]) tryFault({ kind, k });
  }, 300_000);

  it("a failure at the k-th rename: each file old or new, the journal says so, the next build repairs it", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: files + 1 }), (k) => {
        const out = join(dir, `out${trial++}`);
        expect(runCli(["build", a, "-o", out, "-q"]).status).toBe(0);
        const old = readTree(out);
        let calls = 0;
        const hook = () => {
          if (calls++ === k) throw new Error("injected");
        };
        expect(() => streamBuild(b, out, { faultBeforeRename: hook })).toThrow(/incomplete until the next build/);
        const disk = readTree(out);
        for (const [path, f] of disk) {
          if (path.startsWith(".policyc/")) continue;
          expect([old.get(path)?.content, want.get(path)?.content], path).toContain(f.content);
        }
        expect(disk.has(JOURNAL_PATH)).toBe(true);
        expect(temporaries(out)).toEqual([]);
        const good = runCli(["build", b, "-o", out, "-q"]);
        expect(good.status, good.stderr).toBe(0);
        expect(readTree(out)).toEqual(want);
        expectClean(out);
      }),
      { numRuns: 4, seed: 20261208 },
    );
  }, 120_000);

  it("into a missing OUT, an error after the first hosts were staged leaves no OUT at all", () => {
    const out = join(dir, "never", "out");
    writeFileSync(join(dir, "late.policy"), fleet(HOSTS, "b", HOSTS - 1));
    const parent = treeState(dir, { folderTimes: true });
    const r = runCli(["build", join(dir, "late.policy"), "-o", out]);
    expect(r.status, r.stderr).toBe(1);
    const after = treeState(dir, { folderTimes: true });
    expect(after).toEqual(parent);
  });
});

describe("a streamed build over an earlier tree", () => {
  it("replaces a stale file by a folder and a folder of stale files by a file, as a fresh build would", () => {
    const dir = tempDir("policyc-stream-swap-");
    const v1 = `platform debian;
service sshd { acl user allow "/etc/x" { entries root; } }
service login { acl user allow "/etc/d/one" { entries root; } }
`;
    const v2 = v1.replace('"/etc/x"', '"/etc/x/y"').replace('"/etc/d/one"', '"/etc/d"');
    const policy = join(dir, "site.policy");
    writeFileSync(policy, v1);
    const out = join(dir, "out");
    expect(runCli(["build", policy, "-o", out, "-q"]).status).toBe(0);
    writeFileSync(policy, v2);
    const r = runCli(["build", policy, "-o", out, "-q"]);
    expect(r.status, r.stderr).toBe(0);
    const fresh = join(dir, "fresh");
    expect(runCli(["build", policy, "-o", fresh, "-q"]).status).toBe(0);
    expect(readTree(out)).toEqual(readTree(fresh));
    expectClean(out);
  });
});

describe("the streamed manifest", () => {
  // Its entries wait in memory (a small build), go to the staging folder from the first (0), or spill there mid-way (300, 600: after the first entries).
  it.each([undefined, 0, 300, 600])(
    "is JSON.stringify(makeManifest(...), null, 2) byte for byte: hosts or none, sources or none, any characters (entries in memory up to %s)",
    (bodyInMemory) => {
      const out = tempDir("policyc-stream-manifest-");
      const mk = (path: string, content: string): OutputFile => ({
        path,
        content,
        mode: 0o644,
        producer: 'service "ä\u2028"',
        origins: [],
      });
      for (const hosts of [null, ["h\u00e9", "x"]]) {
        const files = hosts
          ? [mk("h\u00e9/etc/a", "a\n"), mk("h\u00e9/etc/b", "é\n"), mk("x/etc/a", '"quoted"\n')]
          : [mk("etc/a", "a\n"), mk("etc/\u00fc", "b\n")];
        const stream = new BuildStream(join(out, String(hosts !== null)), { bodyInMemory });
        if (hosts) {
          stream.add(files.slice(0, 2), hosts[0]!);
          stream.add(files.slice(2), hosts[1]!);
        } else stream.add(files, null);
        stream.commit({ policy: "p.policy", hosts });
        const want =
          JSON.stringify(
            makeManifest(
              "p.policy",
              hosts,
              files,
              files.map((f) => sha256(f.content)),
            ),
            null,
            2,
          ) + "\n";
        expect(readFileSync(join(out, String(hosts !== null), ".policyc/manifest.json"), "utf8")).toBe(want);
      }
      // A compiled policy's files: sources with lines and columns, several per file.
      const site = join(ROOT, "examples", "site.policy");
      const compiled = compile(site, readFileSync(site), { templates: TEMPLATES });
      const files = compiled.files!;
      expect(files.some((f) => f.origins.length > 1)).toBe(true);
      const hashes = files.map((f) => sha256(f.content));
      const stream = new BuildStream(join(out, "site"), { bodyInMemory });
      stream.add(files, null);
      stream.commit({ policy: site, hosts: null });
      expect(readFileSync(join(out, "site", ".policyc/manifest.json"), "utf8")).toBe(
        JSON.stringify(makeManifest(site, null, files, hashes), null, 2) + "\n",
      );
      const empty = new BuildStream(join(out, "empty"), { bodyInMemory });
      empty.commit({ policy: "p.policy", hosts: null });
      expect(readFileSync(join(out, "empty", ".policyc/manifest.json"), "utf8")).toBe(
        JSON.stringify(makeManifest("p.policy", null, []), null, 2) + "\n",
      );
    },
  );
});
