import { cpSync, existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readTree, ROOT, runCli, tempDir } from "./helpers.js";

/**
 * Golden trees: each example compiles, through the CLI as a user runs it, to
 * exactly the committed tree under test/golden/<example>/. To accept a change
 * on purpose: UPDATE_GOLDEN=1 npx vitest run test/golden.test.ts, then review
 * the diff like code.
 */
const examples = [
  ...readdirSync(join(ROOT, "examples")).filter((f) => f.endsWith(".policy")),
  // A folder holding NAME.policy (and what it includes) is the example NAME.
  ...readdirSync(join(ROOT, "examples"), { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(ROOT, "examples", d.name, `${d.name}.policy`)))
    .map((d) => `${d.name}/${d.name}.policy`),
];

describe("golden trees", () => {
  it("has an example for every golden tree and the reverse", () => {
    const golden = readdirSync(join(ROOT, "test", "golden")).sort();
    expect(golden).toEqual(examples.map((f) => f.replace(/^.*\//, "").replace(/\.policy$/, "")).sort());
  });

  for (const example of examples) {
    const name = example.replace(/^.*\//, "").replace(/\.policy$/, "");
    it(`examples/${example} builds to test/golden/${name}/ byte for byte`, () => {
      const out = tempDir();
      const run = runCli(["build", `examples/${example}`, "-o", out]);
      expect(run.stderr).toMatch(/(^|\n)policyc: wrote \d+ files to .*\n$/);
      expect(run.status).toBe(0);
      const golden = join(ROOT, "test", "golden", name);
      if (process.env.UPDATE_GOLDEN) {
        rmSync(golden, { recursive: true, force: true });
        cpSync(out, golden, { recursive: true });
      }
      const actual = readTree(out);
      const expected = readTree(golden);
      expect([...actual.keys()]).toEqual([...expected.keys()]);
      for (const [path, file] of actual) {
        expect(file.content, path).toBe(expected.get(path)!.content);
        expect(file.mode.toString(8), `mode of ${path}`).toBe("644");
      }
      rmSync(out, { recursive: true });
    });
  }
});
