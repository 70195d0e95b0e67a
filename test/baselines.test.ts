/**
 * Error baselines, TypeScript-style: test/baselines/<CODE>-<slug>/ holds a
 * policy (main.policy, and any files it needs) that makes the compiler report
 * CODE, and expected.txt, the CLI's whole output for it: exit status, stderr
 * with its code frames, stdout. The CLI runs in the case's folder with the
 * arguments in its `args` file (default: check main.policy), so every path
 * shown is relative and the output is the same on any machine. A case whose
 * input cannot be committed (a 70 MB file) has a `setup.sh`; it then runs in
 * a copy of its folder, where setup.sh makes the input first. A case that
 * needs a test hook (a worker thread made to fail) names its environment
 * variables in an `env` file, NAME=VALUE a line.
 *
 * A new code is one catalogue line, one README row and one folder here;
 * `UPDATE_BASELINES=1 npx vitest run test/baselines.test.ts` writes the
 * expected.txt files: review them like code.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Messages } from "../src/diagnostics/messages.js";
import { CLI, ROOT, runCli, tempDir } from "./helpers.js";

const DIR = join(ROOT, "test", "baselines");
const cases = readdirSync(DIR, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

function run(name: string): string {
  let dir = join(DIR, name);
  const argsFile = join(dir, "args");
  const args = existsSync(argsFile) ? readFileSync(argsFile, "utf8").trim().split(/\s+/) : ["check", "main.policy"];
  const setup = existsSync(join(dir, "setup.sh"));
  if (setup) {
    const copy = join(tempDir("policyc-baseline-"), name);
    cpSync(dir, copy, { recursive: true, verbatimSymlinks: true });
    // $POLICYC is the CLI, for a setup that builds a tree first.
    const s = spawnSync("sh", ["setup.sh"], { cwd: copy, encoding: "utf8", env: { ...process.env, POLICYC: CLI } });
    if (s.status !== 0) throw new Error(`${name}/setup.sh failed: ${s.stderr}`);
    dir = copy;
  }
  try {
    const envFile = join(dir, "env");
    const env = existsSync(envFile)
      ? Object.fromEntries(
          readFileSync(envFile, "utf8")
            .trim()
            .split("\n")
            .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
        )
      : {};
    const r = runCli(args, { cwd: dir, env });
    return `$ policyc ${args.join(" ")}\nexit ${r.status}\n--- stderr\n${r.stderr}--- stdout\n${r.stdout}`;
  } finally {
    if (setup) rmSync(join(dir, ".."), { recursive: true, force: true });
  }
}

describe("error baselines: one policy per diagnostic code and its rendered output", () => {
  it.each(cases)("%s", (name) => {
    const code = name.slice(0, 6);
    const output = run(name);
    const expectedFile = join(DIR, name, "expected.txt");
    if (process.env.UPDATE_BASELINES) writeFileSync(expectedFile, output);
    expect(output).toBe(readFileSync(expectedFile, "utf8"));
    // The case really reports its code, as an error or a warning of the catalogue's severity.
    const def = Object.values(Messages).find((d) => d.code === code);
    expect(def, `${code} is not in the catalogue`).toBeDefined();
    expect(output).toContain(`${def!.severity} ${code}: `);
  });

  it("has a case for every code in the catalogue", () => {
    const covered = new Set(cases.map((c) => c.slice(0, 6)));
    const missing = Object.values(Messages)
      .map((d) => d.code)
      .filter((c) => !covered.has(c));
    expect(missing).toEqual([]);
  });
});
