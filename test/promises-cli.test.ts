/**
 * README "Command line": the options each command documents are the options
 * its parser takes. The help is read as a user reads it (`policyc help C`),
 * and every option it lists is tried on the command (followed by --help, so
 * nothing runs); every option of another command is refused with
 * `--X is not an option of C.` and exit 2. Runs main() in-process (what
 * bin/policyc.js calls) so that some 300 invocations take well under a second.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { main } from "../src/cli/main.js";
import { captured, runCli } from "./helpers.js";

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[]): Promise<Run> {
  return captured(() => main(args));
}

let saved: NodeJS.ProcessEnv;
beforeEach(() => {
  saved = { ...process.env };
  process.env.NO_COLOR = "1";
});
afterEach(() => {
  process.env = saved;
});

/** The commands `policyc --help` lists (help itself aside). */
async function commands(): Promise<string[]> {
  const { stdout } = await cli(["--help"]);
  const names = [...stdout.matchAll(/^ {2}policyc ([a-z][a-z-]*)/gm)].map((m) => m[1]!).filter((n) => n !== "help");
  return [...new Set(names)];
}

interface Listed {
  long: string;
  short?: string;
  value?: string;
}

/** The options under "Options:" in a command's help: `-o, --output DIR` rows. */
function listedOptions(help: string): Listed[] {
  const section = help.split("\nOptions:\n")[1]!.split("\n\n")[0]!;
  return [...section.matchAll(/^ {2}(?:-(\w), )? *--([a-z-]+)(?: ([A-Z]+))?/gm)].map((m) => ({
    short: m[1],
    long: m[2]!,
    value: m[3],
  }));
}

/** A value the option's parser takes without complaint (the command never runs: --help follows). */
function valueFor(o: Listed): string[] {
  if (!o.value) return [];
  return [o.long === "format" ? "json" : o.long === "max-warnings" || o.long === "jobs" ? "1" : "x"];
}

describe("README Command line: every command's options, as its help lists them", () => {
  it("`policyc COMMAND --help`, `-h` and `policyc help COMMAND` print the same help, exit 0", async () => {
    const names = await commands();
    expect(names).toEqual(
      expect.arrayContaining([
        "build",
        "check",
        "diff",
        "verify",
        "fmt",
        "explain",
        "test",
        "diff-access",
        "who",
        "report",
        "lsp",
        "import",
        "completion",
      ]),
    );
    for (const c of names) {
      const a = await cli([c, "--help"]);
      expect(a.status, c).toBe(0);
      expect(a.stderr, c).toBe("");
      expect(a.stdout, c).toMatch(/^Usage: policyc /);
      expect(a.stdout, c).toContain("Exit status: 0 success, 1 ");
      expect(await cli([c, "-h"]), c).toEqual(a);
      expect(await cli(["help", c]), c).toEqual(a);
    }
  });

  it("every command takes --format, -q/--quiet and -h/--help (completion, which prints a script, and lsp, whose stdout is the protocol's, no --format)", async () => {
    for (const c of await commands()) {
      const listed = listedOptions((await cli(["help", c])).stdout);
      const longs = listed.map((o) => o.long);
      expect(longs, c).toContain("help");
      expect(listed.find((o) => o.long === "help")!.short, c).toBe("h");
      expect(listed.find((o) => o.long === "quiet")?.short, c).toBe("q");
      if (c === "completion" || c === "lsp") expect(longs, c).not.toContain("format");
      else expect(longs, c).toContain("format");
    }
  });

  it("build, check, diff and import take --templates; build takes -v/--verbose", async () => {
    for (const c of ["build", "check", "diff", "import"]) {
      expect(
        listedOptions((await cli(["help", c])).stdout).map((o) => o.long),
        c,
      ).toContain("templates");
    }
    expect(listedOptions((await cli(["help", "build"])).stdout)).toContainEqual({ long: "verbose", short: "v", value: undefined });
  });

  it("--max-warnings: check, build, test, diff, explain, who, report and verify take it; diff-access, fmt and import do not", async () => {
    for (const c of ["check", "build", "test", "diff", "explain", "who", "report", "verify"]) {
      expect(
        listedOptions((await cli(["help", c])).stdout).map((o) => o.long),
        c,
      ).toContain("max-warnings");
    }
    for (const c of ["diff-access", "fmt", "import"]) {
      expect(
        listedOptions((await cli(["help", c])).stdout).map((o) => o.long),
        c,
      ).not.toContain("max-warnings");
      const r = await cli([c, "--max-warnings", "0"]);
      expect(r, c).toEqual({
        status: 2,
        stdout: "",
        stderr: `policyc: --max-warnings is not an option of ${c}.\nRun "policyc --help" for usage.\n`,
      });
    }
  });

  it("the parser takes every option the help lists, long and short (the help is made from its table)", async () => {
    for (const c of await commands()) {
      const help = (await cli(["help", c])).stdout;
      for (const o of listedOptions(help)) {
        if (o.long === "help") continue;
        for (const flag of [`--${o.long}`, ...(o.short ? [`-${o.short}`] : [])]) {
          const r = await cli([c, flag, ...valueFor(o), "--help"]);
          expect({ c, flag, status: r.status, stderr: r.stderr }).toEqual({ c, flag, status: 0, stderr: "" });
          expect(r.stdout).toBe(help);
        }
      }
    }
  });

  it("refuses an option of another command: `--X is not an option of C.`, exit 2, one line and the hint", async () => {
    const names = await commands();
    const own = new Map<string, Listed[]>();
    for (const c of names) own.set(c, listedOptions((await cli(["help", c])).stdout));
    const everyOption = new Map<string, Listed>();
    for (const list of own.values()) for (const o of list) everyOption.set(o.long, o);
    let refused = 0;
    for (const c of names) {
      const mine = new Set(own.get(c)!.map((o) => o.long));
      for (const o of everyOption.values()) {
        if (mine.has(o.long)) continue;
        const r = await cli([c, `--${o.long}`, ...valueFor(o)]);
        expect({ c, option: o.long, ...r }).toEqual({
          c,
          option: o.long,
          status: 2,
          stdout: "",
          stderr: `policyc: --${o.long} is not an option of ${c}.\nRun "policyc --help" for usage.\n`,
        });
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(50);
  });

  it("wrong usage under --format json or sarif prints no document, only the one line and the hint on stderr", async () => {
    for (const c of (await commands()).filter((n) => n !== "completion" && n !== "lsp")) {
      for (const format of ["json", "sarif"]) {
        const r = await cli([c, "--format", format, "--no-such-option"]);
        expect({ c, format, status: r.status, stdout: r.stdout }).toEqual({ c, format, status: 2, stdout: "" });
        expect(r.stderr, c).toMatch(/^policyc: unknown option "--no-such-option" for [a-z-]+; .*\nRun "policyc --help" for usage\.\n$/);
      }
    }
  });

  it("the README's own example: `--root is not an option of check.` (the real CLI, exit 2)", () => {
    const r = runCli(["check", "examples/site.policy", "--root", "/tmp"]);
    expect(r).toEqual({ status: 2, stdout: "", stderr: 'policyc: --root is not an option of check.\nRun "policyc --help" for usage.\n' });
  });

  it("completion takes no --format: refused as wrong usage, and no script is printed", () => {
    const r = runCli(["completion", "bash", "--format", "json"]);
    expect(r).toEqual({
      status: 2,
      stdout: "",
      stderr: 'policyc: --format is not an option of completion.\nRun "policyc --help" for usage.\n',
    });
  });
});
