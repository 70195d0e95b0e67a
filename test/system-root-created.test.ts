import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI, runCli, tempDir } from "./helpers.js";

/**
 * README "Command line": "`build` refuses an OUT that is this machine's own
 * root folder (...; exit 2), `--check` included". Two spellings of the root
 * that get through today, found by test/system-root-spellings-generated.test.ts:
 *
 * - `//` (and `///`): build answers "Cannot write : no such file." (exit 1),
 *   and `build --check` compares the current folder instead ("policyc:  is
 *   not what ... produces");
 * - a path that is not there yet but becomes `/` once build has made its
 *   folders (`/tmp/X/missing/../../..`): the check runs before the folders
 *   are made, then build makes `missing` and writes into `/` (run as nobody
 *   here, it stops at "Cannot write /.policyc: permission denied"; as root it
 *   would write the tree over the running system).
 *
 * Both are safe to run: `build` gets a policy with an error where that is
 * enough (refused: 2; not refused: 1, nothing written), and the second case
 * runs as nobody, who cannot write into `/`.
 */
const GOOD = 'platform debian;\nservice imapd { pam imap; acl user allow "/etc/imapd.acl" { entries alice; } }\n';
const BAD = "platform debian;\nservice imapd { bogus; }\n";
const root = process.getuid?.() === 0;
const asRoot = process.env.CI === "true" ? it : it.skipIf(!root);

describe("build: the system root spelt in ways that get through", () => {
  it.each(["//", "///"])("refuses -o %s (exit 2), --check included", (spelling) => {
    const dir = tempDir("policyc-sysroot-");
    try {
      writeFileSync(join(dir, "good.policy"), GOOD);
      writeFileSync(join(dir, "bad.policy"), BAD);
      const build = runCli(["build", "bad.policy", "-o", spelling], { cwd: dir });
      expect(build.status, build.stderr).toBe(2);
      expect(build.stderr).toContain("own root folder");
      const check = runCli(["build", "good.policy", "-o", spelling, "--check"], { cwd: dir });
      expect(check.status, check.stderr).toBe(2);
      expect(check.stderr).toContain("own root folder");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("diff --root refuses the same spellings (exit 2), and a missing path that would lead back to / once made", () => {
    const dir = tempDir("policyc-sysroot-");
    try {
      writeFileSync(join(dir, "good.policy"), GOOD);
      const depth = dir.split("/").filter(Boolean).length;
      for (const spelling of ["//", "///", `${dir}/missing${"/..".repeat(depth + 1)}`]) {
        const r = runCli(["diff", "good.policy", "--root", spelling], { cwd: dir });
        expect(r.status, `${spelling}: ${r.stderr}`).toBe(2);
        expect(r.stderr).toContain("own root folder");
      }
      const allowed = runCli(["diff", "good.policy", "--root", "//", "--allow-system-root"], { cwd: dir });
      expect(allowed.stderr).not.toContain("own root folder");
      expect([0, 1]).toContain(allowed.status);
      expect(existsSync(join(dir, "missing"))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  asRoot("refuses an OUT that becomes / once its folders are made, and makes none of them (run as nobody)", () => {
    const dir = tempDir("policyc-sysroot-");
    try {
      chmodSync(dir, 0o777);
      writeFileSync(join(dir, "good.policy"), GOOD);
      chmodSync(join(dir, "good.policy"), 0o644);
      const depth = dir.split("/").filter(Boolean).length;
      const spelling = `${dir}/missing${"/..".repeat(depth + 1)}`;
      const r = spawnSync(
        "setpriv",
        ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, CLI, "build", "good.policy", "-o", spelling],
        { cwd: dir, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } },
      );
      expect(r.stderr).toContain("own root folder");
      expect(r.status, r.stderr).toBe(2);
      expect(existsSync(join(dir, "missing"))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
