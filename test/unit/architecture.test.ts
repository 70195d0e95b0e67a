import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers.js";

/**
 * README "Architecture": each phase is a folder of src/ and data flows
 * forward only. A phase may import itself and the phases before it; the
 * formatter, verify and the language server stand beside the pipeline and
 * take only what they name.
 */
const ALLOWED: Record<string, string[]> = {
  diagnostics: [],
  syntax: ["diagnostics"],
  check: ["diagnostics", "syntax"],
  targets: ["diagnostics", "syntax", "check"],
  output: ["diagnostics", "targets"],
  format: ["diagnostics", "syntax"],
  verify: ["diagnostics", "syntax"],
  lsp: ["diagnostics", "syntax", "check", "format", "compile.js"],
  cli: ["diagnostics", "syntax", "check", "targets", "output", "format", "verify", "lsp", "compile.js"],
};

const SRC = join(ROOT, "src");

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") && !e.name.endsWith(".generated.ts") ? [join(dir, e.name)] : [],
  );
}

describe("architecture: the pipeline's phases import only earlier phases", () => {
  it.each(Object.keys(ALLOWED))("src/%s/", (phase) => {
    const wrong: string[] = [];
    for (const file of files(join(SRC, phase))) {
      for (const m of readFileSync(file, "utf8").matchAll(/(?:from|import\()\s*"(\.{1,2}\/[^"]+)"/g)) {
        const target = relative(SRC, resolve(dirname(file), m[1]!)).split("/")[0]!;
        if (target !== phase && !ALLOWED[phase]!.includes(target)) wrong.push(`${relative(ROOT, file)} imports ${m[1]}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
