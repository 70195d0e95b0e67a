/**
 * README "Formatting": `fmt` "honours a .prettierrc and .editorconfig as
 * prettier does (print width, indent), always writes LF". The .editorconfig
 * case is in test/format/fmt.test.ts; here a .prettierrc that asks for CRLF,
 * through the CLI and through the API's format() with that path.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { format } from "../src/api.js";
import { runCli, tempDir } from "./helpers.js";

describe('fmt always writes LF (README "Formatting")', () => {
  it("even where .prettierrc sets endOfLine crlf, while its printWidth still applies", async () => {
    const dir = tempDir("policyc-fmt-lf-");
    writeFileSync(join(dir, ".prettierrc"), '{ "endOfLine": "crlf", "printWidth": 30 }\n');
    const file = join(dir, "site.policy");
    const text = "platform   debian;\nusers staff = alice, bob, carol, dave, erin;\n";
    writeFileSync(file, text);
    const r = runCli(["fmt", file]);
    expect(r.status, r.stderr).toBe(0);
    const written = readFileSync(file, "utf8");
    expect(written).not.toContain("\r");
    // printWidth 30 from the same file breaks the list one value per line.
    expect(written).toBe("platform debian;\nusers staff =\n  alice,\n  bob,\n  carol,\n  dave,\n  erin;\n");
    const api = await format(text, { path: file });
    expect(api).toMatchObject({ ok: true, text: written });
  });
});
