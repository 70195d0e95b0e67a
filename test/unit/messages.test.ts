import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Messages } from "../../src/diagnostics/messages.js";
import { ROOT } from "../helpers.js";

describe("diagnostics: the message catalogue", () => {
  const defs = Object.entries(Messages);

  it("has unique, well-formed codes", () => {
    const codes = defs.map(([, d]) => d.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const c of codes) expect(c).toMatch(/^PC[1-69]\d{3}$/);
  });

  it("has sentences that end with a period", () => {
    for (const [name, d] of defs) expect(d.text, name).toMatch(/[.?]$|\{message\}$/);
  });

  it("documents every code in the README (test/baselines.test.ts shows each one firing)", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    for (const [, d] of defs) expect(readme.includes(`| ${d.code} |`), `README lacks ${d.code}`).toBe(true);
  });
});
