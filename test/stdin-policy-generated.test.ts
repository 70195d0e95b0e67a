import fc from "fast-check";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { anyPolicy } from "./e2e/arbitrary-policy.js";
import { propertyRuns, readTree, runCli, tempDir } from "./helpers.js";

/**
 * README "Command line": "POLICY `-` reads standard input (named 'standard
 * input' in headers; includes are then relative to the current folder)".
 * Generated policies (test/e2e/arbitrary-policy.ts; their inventories are
 * files beside them, so relative to the current folder) built from a file
 * and from standard input: the same exit status; the same tree but for the
 * name of the policy (`site.policy` -> `standard input` in headers and
 * comments, and the manifest's and checks.json's policy fields); a refused
 * policy refused alike, its diagnostics naming standard input.
 */
describe("POLICY - (standard input), on generated policies", () => {
  it("builds what the file builds, named standard input", () => {
    let built = 0;
    fc.assert(
      fc.property(anyPolicy, (p) => {
        const dir = tempDir("policyc-stdin-gen-");
        try {
          writeFileSync(join(dir, "site.policy"), p.text);
          for (const [f, text] of Object.entries(p.files)) {
            mkdirSync(dirname(join(dir, f)), { recursive: true });
            writeFileSync(join(dir, f), text);
          }
          const a = runCli(["build", "site.policy", "-o", "a", "-q"], { cwd: dir });
          const b = runCli(["build", "-", "-o", "b", "-q"], { cwd: dir, input: p.text });
          const label = `${p.text}\nfile: ${a.status}\n${a.stderr.slice(0, 600)}\nstdin: ${b.status}\n${b.stderr.slice(0, 600)}`;
          expect(b.status, label).toBe(a.status);
          if (a.status !== 0) {
            expect(b.stderr.split("\n").filter((l) => /error PC/.test(l)).length, label).toBe(
              a.stderr.split("\n").filter((l) => /error PC/.test(l)).length,
            );
            return;
          }
          built++;
          const fromFile = readTree(join(dir, "a"));
          const fromStdin = readTree(join(dir, "b"));
          expect([...fromStdin.keys()], label).toEqual([...fromFile.keys()]);
          for (const [path, f] of fromFile) {
            const s = fromStdin.get(path)!;
            expect(s.mode, `${path}\n${label}`).toBe(f.mode);
            // Only the policy's name differs: "site.policy" as given, "standard input" (in JSON, its own spelling).
            const norm = (t: string) =>
              t
                .replaceAll(/"policy": "[^"]*"/g, '"policy": X')
                .replaceAll(/"file": "[^"]*"/g, '"file": X')
                .replaceAll(/"sha256": "[0-9a-f]+"/g, '"sha256": H');
            expect(norm(s.content).replaceAll("standard input", "site.policy"), `${path}\n${label}`).toBe(norm(f.content));
          }
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      propertyRuns(25),
    );
    expect(built).toBeGreaterThan(0);
  }, 600_000);
});
