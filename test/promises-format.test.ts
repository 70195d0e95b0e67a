/**
 * README "Formatting", at the user's level: `policyc fmt DIR` and
 * `prettier --plugin policyc/prettier --write DIR` format the same files to
 * the same bytes (with a .prettierrc's print width too); formatting again
 * changes nothing (`fmt --check` and `prettier --check` pass); every comment
 * of the input is still there, once.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { ROOT, runCli, tempDir } from "./helpers.js";

const api: typeof import("../src/api.js") = await import(pathToFileURL(join(ROOT, "dist", "api.js")).href);

const SAMPLES = join(ROOT, "test", "format", "samples");

function prettier(cwd: string, args: string[]) {
  const bin = join(ROOT, "node_modules", "prettier", "bin", "prettier.cjs");
  return spawnSync(process.execPath, [bin, "--plugin", join(ROOT, "dist", "prettier.js"), ...args], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
  });
}

/** The samples' unformatted inputs and the examples, as one folder of *.policy files. */
function inputs(dir: string): void {
  mkdirSync(dir, { recursive: true });
  for (const name of readdirSync(SAMPLES)) cpSync(join(SAMPLES, name, "input.policy"), join(dir, `${name}.policy`));
  for (const name of readdirSync(join(ROOT, "examples")).filter((n) => n.endsWith(".policy"))) {
    cpSync(join(ROOT, "examples", name), join(dir, `example-${name}`));
  }
}

const files = (dir: string) =>
  Object.fromEntries(
    readdirSync(dir)
      .filter((n) => n.endsWith(".policy"))
      .sort()
      .map((n) => [n, readFileSync(join(dir, n), "utf8")]),
  );

/** `# ...` comments, outside strings, in order. */
function comments(text: string): string[] {
  return [...text.matchAll(/"(?:[^"\\\n]|\\.)*"|(#[^\n]*)/g)].flatMap((m) => (m[1] ? [m[1].trimEnd()] : []));
}

describe.each([
  ["prettier's defaults", undefined],
  ["a .prettierrc with printWidth 40", '{ "printWidth": 40 }\n'],
])('README "Formatting": policyc fmt and the prettier plugin, %s', (_label, rc) => {
  const base = tempDir("policyc-promises-fmt-");
  const viaFmt = join(base, "fmt");
  const viaPrettier = join(base, "prettier");
  for (const d of [viaFmt, viaPrettier]) {
    inputs(d);
    if (rc) writeFileSync(join(d, ".prettierrc"), rc);
  }
  const original = files(viaFmt);

  it("format every file to the same bytes", () => {
    const f = runCli(["fmt", "."], { cwd: viaFmt });
    expect(f.status, f.stderr).toBe(0);
    const p = prettier(viaPrettier, ["--write", "."]);
    expect(p.status, p.stderr).toBe(0);
    expect(files(viaFmt)).toEqual(files(viaPrettier));
    expect(files(viaFmt)).not.toEqual(original);
  });

  it("change nothing the second time: fmt --check and prettier --check pass", () => {
    expect(runCli(["fmt", "--check", "."], { cwd: viaFmt })).toMatchObject({ status: 0, stdout: "" });
    expect(prettier(viaFmt, ["--check", "."]).status).toBe(0);
  });

  it("keep every comment, once and in order", () => {
    const after = files(viaFmt);
    for (const [name, text] of Object.entries(original)) expect(comments(after[name]!), name).toEqual(comments(text));
  });

  it("change layout, not meaning: the compiler finds the same codes and messages before and after", () => {
    const after = files(viaFmt);
    const found = (text: string, name: string) =>
      api.compile(text, { path: join(viaFmt, name) }).diagnostics.map((d) => `${d.code} ${d.message}`);
    for (const [name, text] of Object.entries(original)) expect(found(after[name]!, name), name).toEqual(found(text, name));
  });
});
