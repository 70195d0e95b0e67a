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
    // Each command's own formats: the parser takes markdown and csv from report, markdown from diff-access.
    expect(complete("policyc report site.policy --format ", dir)).toEqual(["csv", "human", "json", "markdown", "sarif"]);
    expect(complete("policyc diff-access site.policy --format ", dir)).toEqual(["human", "json", "markdown", "sarif"]);
    expect(complete("policyc check site.policy --format m", dir)).toEqual([]);
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

/** A folder whose names have spaces: a policy, a folder, and a text file. */
function spacedWorkspace(): string {
  const dir = tempDir("policyc-completion-spaces-");
  writeFileSync(join(dir, "my policy.policy"), "platform debian;\n");
  writeFileSync(join(dir, "site.policy"), "platform debian;\n");
  writeFileSync(join(dir, "notes.txt"), "");
  mkdirSync(join(dir, "out dir"));
  return dir;
}

/** The terminal's text without escape sequences, bells and carriage returns. */
const screen = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").replace(/[\r\x07\b]/g, "");

describe("completion: file names with spaces, in the real interactive shells", () => {
  const hasScript = spawnSync("sh", ["-c", "command -v script"]).status === 0;

  /** The command line after TAB in an interactive bash (in a pseudo-terminal) with the completion loaded. */
  function bashTab(line: string, cwd: string): string {
    const file = join(tempDir("policyc-bash-"), "policyc.bash");
    writeFileSync(file, runCli(["completion", "bash"]).stdout);
    const r = spawnSync("bash", [join(ROOT, "test/completion/bdrive.sh"), file, cwd, line], { encoding: "utf8", timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    const shown = screen(r.stdout)
      .split("\n")
      .find((l) => l.startsWith(">> policyc"));
    expect(shown, r.stdout).toBeDefined();
    return shown!.slice(">> ".length).replace(/exit$/, "");
  }

  it.runIf((hasShell("bash") && hasScript) || process.env.CI === "true")(
    'bash completes "my policy.policy" as one name, quoted as typed',
    () => {
      const dir = spacedWorkspace();
      expect(bashTab("policyc check my", dir)).toBe("policyc check my\\ policy.policy ");
      expect(bashTab("policyc check 'my", dir)).toBe("policyc check 'my policy.policy' ");
      expect(bashTab('policyc check "my', dir)).toBe('policyc check "my policy.policy" ');
      expect(bashTab("policyc check my\\ p", dir)).toBe("policyc check my\\ policy.policy ");
      expect(bashTab("policyc build site.policy -o o", dir)).toBe("policyc build site.policy -o out\\ dir/");
      expect(bashTab("policyc fmt n", dir)).toBe("policyc fmt notes.txt ");
    },
    60_000,
  );

  it.runIf(runs("zsh"))(
    'zsh completes "my policy.policy" as one name, quoted as typed',
    () => {
      const dir = spacedWorkspace();
      const fpath = tempDir("policyc-zsh-");
      writeFileSync(join(fpath, "_policyc"), runCli(["completion", "zsh"]).stdout);
      const bin = tempDir("policyc-bin-");
      writeFileSync(join(bin, "policyc"), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`, { mode: 0o755 });
      const tab = (line: string) => {
        const r = spawnSync("zsh", ["-f", join(ROOT, "test/completion/zdrive.zsh"), fpath, dir, line], {
          encoding: "utf8",
          env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
          timeout: 30_000,
        });
        expect(r.status, r.stderr).toBe(0);
        return screen(r.stdout).trimEnd();
      };
      expect(tab("policyc check my")).toMatch(/policyc check my\\ policy\.policy$/);
      expect(tab("policyc check 'my")).toMatch(/policyc check 'my policy\.policy'$/);
      expect(tab("policyc build site.policy -o o")).toMatch(/policyc build site\.policy -o out\\ dir\/$/);
    },
    60_000,
  );
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

  it.runIf(runs("zsh"))("completes each command's own --format words", () => {
    const dir = workspace();
    const report = complete("policyc report site.policy --format ", dir);
    for (const word of ["human", "json", "sarif", "markdown", "csv"]) expect(report).toContain(word);
    const access = complete("policyc diff-access site.policy --format m", dir);
    expect(access).toContain("policyc diff-access site.policy --format markdown");
    const check = complete("policyc check site.policy --format ", dir);
    expect(check).toContain("sarif");
    expect(check).not.toContain("markdown");
  });
});

describe("completion: --format in the help", () => {
  it("names the extra formats of report and diff-access", () => {
    expect(runCli(["report", "--help"]).stdout).toMatch(
      /--format FORMAT +human \(the default, on stderr\), json, sarif, markdown\n +or csv/,
    );
    expect(runCli(["diff-access", "--help"]).stdout).toMatch(
      /--format FORMAT +human \(the default, on stderr\), json, sarif\n +or markdown/,
    );
    expect(runCli(["check", "--help"]).stdout).not.toMatch(/markdown/);
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
