/**
 * README "Command line": man/policyc.1 is generated from the CLI's own help
 * text (scripts/man.js), ships with the package, and renders without warnings.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, runCli } from "./helpers.js";

const PAGE = join(ROOT, "man", "policyc.1");
const hasGroff = spawnSync("sh", ["-c", "command -v groff"]).status === 0;
const hasMan = spawnSync("sh", ["-c", "command -v man"]).status === 0;

describe("man page", () => {
  it("is what scripts/man.js makes from the current help (run node scripts/man.js --write after changing a help text)", () => {
    const r = spawnSync(process.execPath, [join(ROOT, "scripts", "man.js")], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(readFileSync(PAGE, "utf8"));
  });

  it("holds every command, its usage and each of its options, as the help prints them", () => {
    const page = readFileSync(PAGE, "utf8")
      .replace(/\\-/g, "-")
      .replace(/\\f[BIR]/g, "");
    const names = [...new Set([...runCli(["--help"]).stdout.matchAll(/^ {2}policyc ([a-z]+) /gm)].map((m) => m[1]!))];
    expect(names).toContain("completion");
    for (const name of names.filter((n) => n !== "help")) {
      expect(page, name).toContain(`.SS ${name}\n`);
      const help = runCli(["help", name]).stdout;
      for (const flag of help.matchAll(/^ {2}\s*(?:-\w, )?(--[a-z-]+)/gm)) expect(page, `${name} ${flag[1]}`).toContain(flag[1]!);
    }
  });

  it("is in the package's files", () => {
    expect(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).files).toContain("man");
  });

  // With CI=true groff is installed (scripts/install-e2e-deps.sh): a missing one fails.
  it.runIf(hasGroff || process.env.CI === "true")("renders with groff -man without a warning, and man -l shows it", () => {
    const r = spawnSync("groff", ["-man", "-Tutf8", "-ww", "-z", PAGE], { encoding: "utf8" });
    expect([r.status, r.stderr]).toEqual([0, ""]);
    const man = spawnSync("man", ["-l", PAGE], {
      encoding: "utf8",
      env: { ...process.env, MANWIDTH: "80", MANPAGER: "cat", PAGER: "cat" },
    });
    if (hasMan) {
      expect(man.status, man.stderr).toBe(0);
      expect(man.stdout).toMatch(/policyc build POLICY -o OUT/);
    }
  });
});
