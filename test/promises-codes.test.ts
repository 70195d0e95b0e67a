/**
 * README "Diagnostic codes": the table is the catalogue, both ways. Every row
 * names a code the compiler has, with the catalogue's severity, once; every
 * code of the catalogue has a row (test/unit/messages.test.ts) and a baseline
 * that makes the CLI print it (test/baselines.test.ts).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Messages } from "../src/diagnostics/messages.js";
import { ROOT } from "./helpers.js";

const readme = readFileSync(join(ROOT, "README.md"), "utf8");
const section = readme.split("\n### Diagnostic codes\n")[1]!.split("\n## ")[0]!;
const rows = [...section.matchAll(/^\| (PC\d{4}) \| ([a-z]+) \| (.+) \|$/gm)].map((m) => ({
  code: m[1]!,
  severity: m[2]!,
  meaning: m[3]!,
}));
const catalogue = new Map(Object.values(Messages).map((d) => [d.code, d]));

describe('README "Diagnostic codes": the table and the catalogue agree', () => {
  it("lists every code once, each a code of the catalogue with its severity", () => {
    expect(rows.length).toBeGreaterThan(100);
    const seen = rows.map((r) => r.code);
    expect(seen.filter((c, i) => seen.indexOf(c) !== i)).toEqual([]);
    for (const r of rows) {
      const def = catalogue.get(r.code);
      expect(def, `${r.code} is in the README's table but not in the catalogue`).toBeDefined();
      expect(r.severity, r.code).toBe(def!.severity);
    }
    expect(new Set(seen)).toEqual(new Set(catalogue.keys()));
  });

  it("has a baseline folder for every row, whose expected output shows the code with that severity", () => {
    const dirs = readdirSync(join(ROOT, "test", "baselines"));
    for (const r of rows) {
      const dir = dirs.find((d) => d.startsWith(`${r.code}-`));
      expect(dir, `no baseline for ${r.code}`).toBeDefined();
      const expected = join(ROOT, "test", "baselines", dir!, "expected.txt");
      expect(existsSync(expected), expected).toBe(true);
      expect(readFileSync(expected, "utf8"), r.code).toContain(`${r.severity} ${r.code}: `);
    }
  });
});
