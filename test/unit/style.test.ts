import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as prettier from "prettier";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers.js";

/**
 * The TypeScript and JavaScript sources are formatted by prettier
 * (.prettierrc.json; `npm run lint` checks, `npm run lint:fix` writes). A
 * file that drifts fails here, so CI enforces the house style instead of a
 * reviewer.
 */
const sources = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "*.ts", "*.js"], {
  cwd: ROOT,
  encoding: "utf8",
})
  .split("\n")
  .filter(
    (f) => f && !f.startsWith("dist/") && !f.endsWith(".generated.ts") && !f.startsWith("test/baselines/") && !f.startsWith("test/golden/"),
  );

describe("style: sources are prettier-formatted", () => {
  it("finds the sources", () => {
    expect(sources.length).toBeGreaterThan(50);
  });
  // Formatting ~150 files is CPU-bound: a generous timeout, since CI machines may be loaded (no time is asserted).
  it("every source matches prettier's output", { timeout: 300_000 }, async () => {
    const checks = await Promise.all(
      sources.map(async (f) => {
        const file = join(ROOT, f);
        const options = await prettier.resolveConfig(file);
        return (await prettier.check(readFileSync(file, "utf8"), { ...options, filepath: file })) ? null : f;
      }),
    );
    expect(
      checks.filter((f) => f !== null),
      "run `npm run lint:fix`",
    ).toEqual([]);
  });
});
