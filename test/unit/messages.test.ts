import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DiagnosticBag, format } from "../../src/diagnostics/diagnostic.js";
import { Messages, type Placeholders } from "../../src/diagnostics/messages.js";
import { ROOT } from "../helpers.js";

describe("diagnostics: the message catalogue", () => {
  const defs = Object.entries(Messages);

  it("has unique, well-formed codes", () => {
    const codes = defs.map(([, d]) => d.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const c of codes) expect(c).toMatch(/^PC[1-9]\d{3}$/);
  });

  it("has sentences that end with a period", () => {
    for (const [name, d] of defs) expect(d.text, name).toMatch(/[.?]$|\{message\}$/);
  });

  it("documents every code in the README (test/baselines.test.ts shows each one firing)", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    for (const [, d] of defs) expect(readme.includes(`| ${d.code} |`), `README lacks ${d.code}`).toBe(true);
  });

  it("types each message's arguments from its text (checked by tsc: npm run build type-checks the tests)", () => {
    const placeholders: Placeholders<"Cannot read {path}: {reason}."> = "reason";
    // Braces around anything but a word are text, not a placeholder.
    const none: [Placeholders<"\\u{1 to 6 hex digits}">] extends [never] ? true : false = true;
    const bag = new DiagnosticBag();
    // @ts-expect-error a missing argument does not compile
    expect(() => bag.report(Messages.UnreadableFile, undefined, { path: "p" })).toThrow(/needs argument "reason"/);
    // @ts-expect-error an argument the text has no placeholder for does not compile
    bag.report(Messages.UnreadableFile, undefined, { path: "p", reason: "r", extra: 1 });
    // @ts-expect-error a message without placeholders takes none
    bag.report(Messages.EmptyPolicy, undefined, { path: "p" });
    expect(format(Messages.UnreadableFile, { path: "p", reason: "no such file" })).toBe("Cannot read p: no such file.");
    expect([placeholders, none]).toEqual(["reason", true]);
  });
});
