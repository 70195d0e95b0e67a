/**
 * README "Command line": "Columns count UTF-16 code units, like editors'
 * language servers", in every output a user reads a column from: the gcc-style
 * line, the JSON location and the SARIF region (whose default columnKind is
 * utf16CodeUnits). An é (one unit) and an emoji (two units, one code point)
 * before the error move its column by three.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkedDocument } from "./documents.js";
import { runCli, tempDir } from "./helpers.js";

describe("columns in UTF-16 code units", () => {
  const dir = tempDir("policyc-columns-");
  // `users a = "` is 10 units + 1, é 1, 😀 2, `"` 1: the stray "," is at column 16 (15 in code points, 19 in UTF-8 bytes).
  writeFileSync(join(dir, "col.policy"), 'platform debian;\nusers a = "é😀", ;\n');

  it("in the human diagnostic", () => {
    const r = runCli(["check", "col.policy"], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stderr.split("\n")[0]).toMatch(/^col\.policy:2:16: error PC\d{4}: /);
  });

  it("in the JSON location", () => {
    const doc = checkedDocument(runCli(["check", "col.policy", "--format", "json"], { cwd: dir }).stdout);
    expect(doc.diagnostics[0].location).toEqual({ file: "col.policy", line: 2, column: 16, endLine: 2, endColumn: 17 });
  });

  it("in the SARIF region, with no columnKind other than SARIF's default utf16CodeUnits", () => {
    const doc = checkedDocument(runCli(["check", "col.policy", "--format", "sarif"], { cwd: dir }).stdout);
    expect(doc.runs[0].columnKind ?? "utf16CodeUnits").toBe("utf16CodeUnits");
    expect(doc.runs[0].results[0].locations[0].physicalLocation.region).toEqual({
      startLine: 2,
      startColumn: 16,
      endLine: 2,
      endColumn: 17,
    });
  });
});
