/**
 * README "Command line", shell completions: `policyc completion bash|zsh`
 * prints scripts made from the same tables as the help; the real bash and the
 * real zsh complete with them.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { optionsOf } from "../src/cli/help.js";
import { COMMANDS } from "../src/cli/main.js";
import { CLI, ROOT, runCli, tempDir } from "./helpers.js";

/** A folder to complete in: two policies, a text file, a sub-folder. */
function workspace(): string {
  const dir = tempDir("policyc-completion-");
  writeFileSync(join(dir, "site.policy"), "platform debian;\n");
  writeFileSync(join(dir, "lab.policy"), "platform debian;\n");
  writeFileSync(join(dir, "notes.txt"), "");
  mkdirSync(join(dir, "out"));
  return dir;
}

const hasShell = (shell: string) => spawnSync("sh", ["-c", `command -v ${shell}`]).status === 0;
// With CI=true the tools are installed (scripts/install-e2e-deps.sh): a missing one fails.
const runs = (shell: string) => hasShell(shell) || process.env.CI === "true";

describe("completion: bash", () => {
  const script = runCli(["completion", "bash"]).stdout;

  /** What bash's completion function offers for a command line (the last word is the one completed). */
  function complete(line: string, cwd: string): string[] {
    const words = line.split(" ");
    const program = `
      eval "$(cat)"
      complete -p policyc || exit 3
      COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}
      _policyc
      printf '%s\\n' "\${COMPREPLY[@]}"`;
    const r = spawnSync("bash", ["--norc", "--noprofile", "-c", program], { cwd, input: script, encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe("complete -F _policyc policyc");
    return r.stdout.split("\n").slice(1).filter(Boolean).sort();
  }

  it.runIf(runs("bash"))("completes commands, options, option values and operands", () => {
    const dir = workspace();
    expect(complete("policyc ", dir)).toEqual([
      "build",
      "check",
      "completion",
      "diff",
      "diff-access",
      "explain",
      "fmt",
      "help",
      "import",
      "lsp",
      "report",
      "test",
      "verify",
      "who",
    ]);
    expect(complete("policyc bu", dir)).toEqual(["build"]);
    expect(complete("policyc build --o", dir)).toEqual(["--output"]);
    expect(complete("policyc check ", dir)).toEqual(["lab.policy", "out", "site.policy"]);
    expect(complete("policyc build site.policy -o ", dir)).toEqual(["out"]);
    expect(complete("policyc check site.policy --format ", dir)).toEqual(["human", "json", "sarif"]);
    expect(complete("policyc -q check --format j", dir)).toEqual(["json"]);
    expect(complete("policyc diff site.policy --root ", dir)).toEqual(["out"]);
    expect(complete("policyc fmt ", dir)).toEqual(["lab.policy", "notes.txt", "out", "site.policy"]);
    expect(complete("policyc verify ", dir)).toEqual(["out"]);
    expect(complete("policyc help ", dir)).toEqual([
      "build",
      "check",
      "completion",
      "diff",
      "diff-access",
      "explain",
      "fmt",
      "import",
      "lsp",
      "report",
      "test",
      "verify",
      "who",
    ]);
    expect(complete("policyc completion ", dir)).toEqual(["bash", "zsh"]);
    expect(complete("policyc --v", dir)).toEqual(["--version"]);
  });

  it.runIf(runs("bash"))("offers exactly each command's options, the rows its help prints", () => {
    const dir = workspace();
    for (const c of COMMANDS) {
      const flags = optionsOf(c).flatMap((o) => [`--${o.name}`, ...(o.short ? [`-${o.short}`] : [])]);
      expect(complete(`policyc ${c.name} -`, dir), c.name).toEqual(flags.sort());
      const help = runCli(["help", c.name]).stdout;
      for (const o of optionsOf(c)) expect(help, `${c.name} --${o.name}`).toContain(`--${o.name}`);
    }
  });
});

describe("completion: zsh", () => {
  /** What zsh's real completion lists for a line, typed with TAB in an interactive zsh in a pseudo-terminal. */
  function complete(line: string, cwd: string): string {
    const fpath = tempDir("policyc-zsh-");
    writeFileSync(join(fpath, "_policyc"), runCli(["completion", "zsh"]).stdout);
    // The harness's own PATH finds the built CLI as `policyc` for the completion function (it runs nothing, but compdef needs a command).
    const bin = tempDir("policyc-bin-");
    writeFileSync(join(bin, "policyc"), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`, { mode: 0o755 });
    const r = spawnSync("zsh", ["-f", join(ROOT, "test/completion/zdrive.zsh"), fpath, cwd, line], {
      encoding: "utf8",
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
      timeout: 30_000,
    });
    expect(r.status, r.stderr).toBe(0);
    // Drop the terminal's escape sequences.
    return r.stdout.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").replace(/[\r\x07\b]/g, "");
  }

  it.runIf(runs("zsh"))("is valid zsh", () => {
    const r = spawnSync("zsh", ["-n"], { input: runCli(["completion", "zsh"]).stdout, encoding: "utf8" });
    expect([r.status, r.stderr]).toEqual([0, ""]);
  });

  it.runIf(runs("zsh"))("completes commands, options and policy files in a real interactive zsh", () => {
    const dir = workspace();
    expect(complete("policyc check --f", dir)).toContain("policyc check --format");
    const files = complete("policyc check ", dir);
    expect(files).toContain("site.policy");
    expect(files).toContain("lab.policy");
    expect(files).not.toContain("notes.txt");
  });
});

describe("completion: usage", () => {
  it("takes one shell, bash or zsh", () => {
    expect(runCli(["completion"]).status).toBe(2);
    const r = runCli(["completion", "fish"]);
    expect([r.status, r.stderr]).toEqual([
      2,
      'policyc: completion takes one shell: bash or zsh, not fish.\nRun "policyc --help" for usage.\n',
    ]);
  });
});
