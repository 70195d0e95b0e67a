/**
 * README "Formatting": `policyc fmt DIR` and `prettier DIR` (with the policyc
 * plugin) agree on which files are policies to format: the same ignore files
 * (.gitignore and .prettierignore of the current folder), the same folders
 * skipped (node_modules, .git, ...), hidden folders walked.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, runCli, tempDir } from "../helpers.js";

const UGLY = "platform   debian ;\n";

/** A repository with policies everywhere prettier and fmt could disagree; all of them need formatting. */
function repository(): string {
  const dir = tempDir("policyc-ignore-");
  const files = [
    "site.policy",
    "sub/lab.policy",
    "sub/notes.draft.policy", // .prettierignore: *.draft.policy
    "vendor/theirs.policy", // .prettierignore: /vendor/
    "vendor-keep/mine.policy",
    "gen/out.policy", // .gitignore: gen/
    "gen/keep.policy", // .gitignore: !gen/keep.policy does not bring back a file in an ignored folder
    "build.policy", // .gitignore: /build.policy
    "sub/build.policy",
    ".config/hidden.policy",
    "node_modules/pkg/dep.policy",
    ".git/info.policy",
  ];
  for (const f of files) {
    mkdirSync(join(dir, dirname(f)), { recursive: true });
    writeFileSync(join(dir, f), UGLY);
  }
  writeFileSync(join(dir, ".prettierignore"), "*.draft.policy\n/vendor/\n");
  writeFileSync(join(dir, ".gitignore"), "gen/\n!gen/keep.policy\n/build.policy\n");
  return dir;
}

/** The files `prettier --check` reports as unformatted, relative to cwd, sorted. */
function prettierCheck(cwd: string, target: string): string[] {
  const r = spawnSync(
    process.execPath,
    [join(ROOT, "node_modules", "prettier", "bin", "prettier.cjs"), "--check", "--plugin", join(ROOT, "dist", "prettier.js"), target],
    { cwd, encoding: "utf8" },
  );
  expect(r.status, r.stderr).toBe(1);
  // Under CI=true prettier colours its output even into a pipe: compare the words.
  return `${r.stdout}${r.stderr}`
    .replace(/\x1b\[[0-9;]*m/g, "")
    .split("\n")
    .map((l) => /^\[warn\] (.*\.policy)$/.exec(l)?.[1])
    .filter((l): l is string => l !== undefined)
    .sort();
}

/** The files `policyc fmt --check` lists, sorted. */
function fmtCheck(cwd: string, target: string): string[] {
  const r = runCli(["fmt", "--check", target], { cwd });
  expect(r.status, r.stderr).toBe(1);
  return r.stdout.split("\n").filter(Boolean).sort();
}

describe("fmt: the files it formats are the files prettier formats", () => {
  it("honours .gitignore and .prettierignore of the current folder, like prettier", () => {
    const dir = repository();
    const fmt = fmtCheck(dir, ".");
    expect(fmt).toEqual([".config/hidden.policy", "site.policy", "sub/build.policy", "sub/lab.policy", "vendor-keep/mine.policy"]);
    expect(fmt).toEqual(prettierCheck(dir, "."));
  });

  it("reads the ignore files of the current folder only, like prettier, when given a folder from outside", () => {
    const dir = repository();
    const fmt = fmtCheck(join(dir, ".."), dir.split("/").pop()!);
    expect(fmt.length).toBe(10); // everything but node_modules and .git: the repository's ignore files are not read
    expect(fmt).toEqual(prettierCheck(join(dir, ".."), dir.split("/").pop()!));
  });

  it("leaves an ignored file alone when it is named on the command line, like prettier", () => {
    const dir = repository();
    const r = runCli(["fmt", "vendor/theirs.policy", "gen/out.policy", "site.policy"], { cwd: dir });
    expect(r.status, r.stderr).toBe(0);
    expect(runCli(["fmt", "--check", "."], { cwd: dir }).stdout).not.toContain("site.policy");
    expect(spawnSync("cat", ["vendor/theirs.policy", "gen/out.policy"], { cwd: dir, encoding: "utf8" }).stdout).toBe(UGLY + UGLY);
  });
});
