import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI, runCli, tempDir, treeState } from "./helpers.js";

/**
 * README "Safe output" and "Command line": policyc's own files under OUT
 * (`.policyc/journal`, `.policyc/manifest.json`, `.policyc/lock`) and a
 * deployed root are data someone else may have put there. Whatever stands in
 * their place (a FIFO, a link to one, a folder), `build`, `build --check` and
 * `diff --root` finish with exit 0, 1 or 2 and a message in words: never hang
 * (a FIFO opened for reading blocks until a writer comes), never an internal
 * error. Every combination is tried (27 runs, side by side: a hung run costs no
 * CPU); a run still going after 30 s counts as hung.
 *
 * Written against bugs found by test/e2e/diff-root-generated.e2e.test.ts:
 * src/output/journal.ts reads the journal by name without O_NOFOLLOW or a
 * regular-file check (journalTemporaries), src/output/tree.ts's readManifest
 * and src/output/lock.ts's read() open a FIFO, and findTemporaries lets
 * ENOTDIR escape when a folder on a policy file's path is a file, and
 * findLeftovers takes the journal's absolute temporaries as they are written.
 */
const POLICY = `platform debian;
service imapd {
  pam imap;
  acl user allow "/etc/acl/sub/imapd.acl" { entries alice, bob; }
}
`;

interface Run {
  status: number | null;
  stderr: string;
}

function run(args: readonly string[], cwd: string): Promise<Run> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("close", (status) => {
      clearTimeout(timer);
      done({ status, stderr });
    });
  });
}

const PLACES = [".policyc/journal", ".policyc/manifest.json", ".policyc/lock"] as const;
const KINDS = ["fifo", "link to a fifo", "folder"] as const;
const COMMANDS = [
  ["build", "p.policy", "-o", "out"],
  ["build", "p.policy", "-o", "out", "--check"],
  ["diff", "p.policy", "--root", "out"],
] as const;

describe("policyc's own files replaced by a FIFO, a link or a folder", () => {
  it("build, build --check and diff --root finish with 0, 1 or 2 and words, never hang or crash", async () => {
    const base = tempDir("policyc-leftover-reads-");
    try {
      writeFileSync(join(base, "p.policy"), POLICY);
      expect(runCli(["build", "p.policy", "-o", "built", "-q"], { cwd: base }).status).toBe(0);
      const cases: { label: string; dir: string; args: readonly string[] }[] = [];
      for (const place of PLACES)
        for (const kind of KINDS)
          for (const args of COMMANDS) {
            const dir = join(base, `${cases.length}`);
            mkdirSync(dir);
            writeFileSync(join(dir, "p.policy"), POLICY);
            cpSync(join(base, "built"), join(dir, "out"), { recursive: true });
            const abs = join(dir, "out", place);
            rmSync(abs, { force: true });
            if (kind === "folder") mkdirSync(abs);
            else {
              const fifo = kind === "fifo" ? abs : join(dir, "fifo");
              expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
              if (kind !== "fifo") symlinkSync(fifo, abs);
            }
            cases.push({ label: `${place} as a ${kind}, policyc ${args.join(" ")}`, dir, args });
          }
      const results = await Promise.all(cases.map((c) => run(c.args, c.dir)));
      const wrong = cases.flatMap((c, i) => {
        const r = results[i]!;
        if (r.status === null) return [`${c.label}: hung (killed after 30 s)`];
        if (![0, 1, 2].includes(r.status)) return [`${c.label}: exit ${r.status}: ${r.stderr.trim()}`];
        if (/internal error|\bE[A-Z]{3,}\b/.test(r.stderr)) return [`${c.label}: ${r.stderr.trim()}`];
        return [];
      });
      expect(wrong).toEqual([]);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  }, 120_000);

  it("a journal naming a temporary outside OUT does not make build remove it (only temporaries below OUT)", () => {
    // README "Interrupted builds": "The next build removes the temporaries (only regular files named
    // `.policyc-tmp-` and 32 hex digits, anywhere below OUT)". journalTemporaries takes absolute paths
    // (a depfile's temporary outside the tree) from the journal as written: today a journal put in OUT
    // makes build delete such a file anywhere, another build's temporary included.
    const dir = tempDir("policyc-leftover-reads-");
    try {
      writeFileSync(join(dir, "p.policy"), POLICY);
      expect(runCli(["build", "p.policy", "-o", "out", "-q"], { cwd: dir }).status).toBe(0);
      mkdirSync(join(dir, "elsewhere"));
      const victim = join(dir, "elsewhere", ".policyc-tmp-0123456789abcdef0123456789abcdef");
      writeFileSync(victim, "another build's temporary\n");
      writeFileSync(join(dir, "out/.policyc/journal"), JSON.stringify({ pid: 1, files: [], temporaries: [victim] }) + "\n");
      const r = runCli(["build", "p.policy", "-o", "out"], { cwd: dir });
      expect(r.stderr).not.toContain("internal error");
      expect(existsSync(victim), r.stderr).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("diff --root reports a file where a folder of the policy's files should be as drift, not an internal error", () => {
    const dir = tempDir("policyc-leftover-reads-");
    try {
      writeFileSync(join(dir, "p.policy"), POLICY);
      expect(runCli(["build", "p.policy", "-o", "root", "-q"], { cwd: dir }).status).toBe(0);
      rmSync(join(dir, "root/etc/acl"), { recursive: true });
      writeFileSync(join(dir, "root/etc/acl"), "a file where a folder should be\n");
      const r = runCli(["diff", "p.policy", "--root", "root"], { cwd: dir });
      expect(r.stderr).not.toContain("internal error");
      expect(r.status, r.stderr).toBe(1);
      expect(r.stdout).toContain("diff deployed/etc/acl/sub/imapd.acl policy/etc/acl/sub/imapd.acl\nnew file mode 100644\n");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a folder at OUT/.policyc/journal: build refuses before writing anything and says to remove it, not that the tree is incomplete", () => {
    const dir = tempDir("policyc-leftover-reads-");
    try {
      writeFileSync(join(dir, "p.policy"), POLICY);
      expect(runCli(["build", "p.policy", "-o", "out", "-q"], { cwd: dir }).status).toBe(0);
      writeFileSync(join(dir, "p.policy"), POLICY.replace("alice, bob", "alice, carol"));
      mkdirSync(join(dir, "out/.policyc/journal"));
      const before = treeState(join(dir, "out"), { folderTimes: true });
      const r = runCli(["build", "p.policy", "-o", "out", "-q"], { cwd: dir });
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toContain("out/.policyc/journal: it is a folder where build keeps its journal; remove it (nothing was written)");
      expect(r.stderr).not.toContain("incomplete");
      expect(treeState(join(dir, "out"), { folderTimes: true })).toEqual(before);
      rmSync(join(dir, "out/.policyc/journal"), { recursive: true });
      expect(runCli(["build", "p.policy", "-o", "out", "-q"], { cwd: dir }).status).toBe(0);
      expect(readFileSync(join(dir, "out/etc/acl/sub/imapd.acl"), "utf8")).toContain("carol");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
