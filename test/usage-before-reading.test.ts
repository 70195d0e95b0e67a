/**
 * README "Command line": wrong usage (a bad option value, an empty file or
 * folder name, an unknown option, build without -o) is reported before any
 * file is read: one usage line and the hint, exit 2, even when the policy
 * (or the tree, or the root) named beside it does not exist. Generated over
 * every command and every option of its table that takes a value.
 */
import { describe, expect, it } from "vitest";
import type { OptionSpec } from "../src/cli/command.js";
import { optionsOf } from "../src/cli/help.js";
import { COMMANDS } from "../src/cli/main.js";
import { runCli, tempDir } from "./helpers.js";

/** Each command's arguments naming files that do not exist (run in an empty folder); null: it reads no file. */
const MISSING: Record<string, string[] | null> = {
  build: ["missing.policy", "-o", "out"],
  check: ["missing.policy"],
  diff: ["missing.policy", "--root", "missing-root"],
  verify: ["missing-out"],
  fmt: ["missing.policy"],
  explain: ["missing.policy", "sshd", "alice"],
  test: ["missing.policy"],
  "diff-access": ["missing-old.policy", "missing-new.policy"],
  who: ["missing.policy"],
  report: ["missing.policy"],
  lsp: null,
  import: ["--root", "missing-root"],
  completion: null,
};

/** Words no option's value may be: whatever its row's problem refuses, and "" for a file, folder or revision. */
function badValues(o: OptionSpec): string[] {
  const tries = ["x", "-1", "0", "", "xml", "nosuch"];
  const bad = tries.filter((v) => o.problem?.(v) !== undefined);
  if (o.value && ["DIR", "OUT", "FILE", "POLICY", "REV"].includes(o.value) && !bad.includes("")) bad.push("");
  if (o.name === "format" && !bad.includes("xml")) bad.push("xml");
  return bad;
}

const cases = COMMANDS.flatMap((c) =>
  optionsOf(c)
    .filter((o) => o.value)
    .flatMap((o) => badValues(o).map((v) => [c.name, o.name, v] as const)),
);

describe("usage errors come before any file is read", () => {
  const cwd = tempDir();
  const run = (args: string[]) => runCli(args, { cwd, input: "" });
  const usageOnly = (r: ReturnType<typeof run>, what: RegExp) => {
    expect(r.status, r.stderr).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^policyc: [^\n]*\nRun "policyc --help" for usage\.\n$/);
    expect(r.stderr).toMatch(what);
  };

  it("every command has its missing files in the table", () => {
    expect(Object.keys(MISSING).sort()).toEqual(COMMANDS.map((c) => c.name).sort());
  });

  it("the table's missing files are read and reported when the usage is right (else this test could not fail)", () => {
    for (const [name, args] of Object.entries(MISSING)) {
      if (!args) continue;
      const r = run([name, ...args]);
      expect(r.status, `${name}: ${r.stderr}`).toBe(2);
      expect(r.stderr, name).not.toContain('Run "policyc --help" for usage.');
      expect(r.stderr, name).toMatch(/missing/);
    }
  });

  it("there are cases for --max-warnings, --jobs, --format, --fail-on, --platform and the file options", () => {
    const names = new Set(cases.map(([, o]) => o));
    for (const o of ["max-warnings", "jobs", "format", "fail-on", "platform", "output", "depfile", "templates", "junit", "git", "root"])
      expect(names, o).toContain(o);
    expect(cases.length).toBeGreaterThan(40);
  });

  it.each(cases)("%s --%s %j: a usage line naming the option, exit 2", (command, option, value) => {
    const r = run([command, ...(MISSING[command] ?? []), `--${option}=${value}`]);
    usageOnly(r, new RegExp(option === "format" ? `format "${value}"|--format does not apply` : `--${option}\\b`));
  });

  it.each(COMMANDS.map((c) => c.name))("%s with an unknown option, beside a missing file: a usage line, exit 2", (command) => {
    usageOnly(run([command, ...(MISSING[command] ?? []), "--no-such-option"]), /unknown option "--no-such-option"/);
  });

  it("build with a missing policy and no -o: the missing -o, exit 2", () => {
    usageOnly(run(["build", "missing.policy", "--max-warnings", "3"]), /build needs an output folder: -o OUT\./);
  });

  it("build --max-warnings x with a missing policy: the option, not the missing file (the case users met)", () => {
    usageOnly(
      run(["build", "x.policy", "--max-warnings", "x", "-o", "out"]),
      /--max-warnings takes a whole number of warnings from 0, not "x"\./,
    );
  });
});
