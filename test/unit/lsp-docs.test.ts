import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Messages } from "../../src/diagnostics/messages.js";
import { parseDocs, settingDoc } from "../../src/lsp/docs.js";
import { SETTINGS } from "../../src/lsp/features.js";
import { ROOT } from "../helpers.js";

/**
 * README "In the editor": hovers quote the README's own tables, so every
 * setting the server completes has a row there, and every diagnostic code a
 * meaning.
 */
const docs = parseDocs(readFileSync(join(ROOT, "README.md"), "utf8"));

describe("lsp: the README's tables behind hovers", () => {
  it.each(["service", "acl", "mail", "listen"])("every setting of %s has a row", (block) => {
    const tables = block === "acl" ? ["Inside `acl`"] : block === "service" ? ["Inside `service NAME { }`"] : ["Inside `mail { }`"];
    const missing = SETTINGS[block]!.filter((key) => key !== "unsafe" && !settingDoc(docs, block === "listen" ? "listen" : key, tables));
    expect(missing).toEqual([]);
  });

  it("every statement has a row", () => {
    for (const key of ["platform", "KIND", "service", "mail", "include", "host"])
      expect(settingDoc(docs, key, ["Statements"]), key).toBeDefined();
  });

  it("every diagnostic code has a meaning", () => {
    const missing = Object.values(Messages)
      .map((m) => m.code)
      .filter((code) => !docs.codes.get(code)?.meaning);
    expect(missing).toEqual([]);
  });

  it("a safety check's code carries its row of Safety checks", () => {
    expect(docs.codes.get("PC4101")?.detail).toContain("Open relay");
  });
});
