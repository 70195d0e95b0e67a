import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Messages } from "../../src/diagnostics/messages.js";
import { ROOT } from "../helpers.js";

/** Every .ts file under src, as text. */
function sources(dir = join(ROOT, "src")): string {
  return readdirSync(dir, { withFileTypes: true })
    .map((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? readFileSync(join(dir, e.name), "utf8") : ""))
    .join("\n");
}

describe("diagnostics: the message catalogue", () => {
  const defs = Object.entries(Messages);

  it("has unique, well-formed codes", () => {
    const codes = defs.map(([, d]) => d.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const c of codes) expect(c).toMatch(/^PC[1-59]\d{3}$/);
  });

  it("has sentences that end with a period", () => {
    for (const [name, d] of defs) expect(d.text, name).toMatch(/[.?]$|\{message\}$/);
  });

  it("uses every message somewhere in the compiler, and the README documents every code", () => {
    const src = sources();
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    for (const [name, d] of defs) {
      expect(src.includes(`Messages.${name}`), `Messages.${name} is never reported`).toBe(true);
      expect(readme.includes(`| ${d.code} |`), `README lacks ${d.code}`).toBe(true);
    }
  });
});
