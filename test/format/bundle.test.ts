import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, tempDir } from "../helpers.js";

/** The bundles `npm run build` makes (npm test builds them first). */
const CLI_BUNDLE = join(ROOT, "dist", "policyc.cjs");
const PLUGIN_BUNDLE = join(ROOT, "dist", "prettier.js");
const built = existsSync(CLI_BUNDLE) && existsSync(PLUGIN_BUNDLE);

function prettier(args: string[]) {
  const bin = join(ROOT, "node_modules", "prettier", "bin", "prettier.cjs");
  return spawnSync(process.execPath, [bin, ...args], { cwd: ROOT, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
}

describe("format: bundles", () => {
  it("exist (npm test runs npm run build first)", () => {
    expect(built, "dist/policyc.cjs and dist/prettier.js are missing: run npm run build").toBe(true);
  });

  it("dist/policyc.cjs never imports prettier or the printer eagerly", () => {
    const cli = readFileSync(CLI_BUNDLE, "utf8");
    expect(cli).not.toMatch(/^\s*import[^;]*["']prettier(\/[^"']*)?["']/m);
    expect(cli).not.toMatch(/require\(["'](prettier|diff)(\/[^"']*)?["']\)/);
    expect(cli).not.toContain("doc.builders");
  });

  it("works as `prettier --plugin policyc/prettier`: the examples are formatted", () => {
    const r = prettier(["--plugin", "policyc/prettier", "--check", "examples"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("makes prettier print the compiler's diagnostic with a code frame and exit 2 on a syntax error", () => {
    const dir = tempDir();
    const bad = join(dir, "bad.policy");
    writeFileSync(bad, "platform debian;\nusers a = ;\n");
    const r = prettier(["--plugin", PLUGIN_BUNDLE, "--check", bad]);
    expect(r.status).toBe(2);
    // prettier shows the path relative to the current folder when that is shorter.
    expect(r.stderr).toContain(`bad.policy: SyntaxError: PC1001: Unexpected ";"; expected a string or a word. (2:11)`);
    expect(r.stderr).toContain("> 2 | users a = ;");
  });
});
