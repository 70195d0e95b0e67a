import fc from "fast-check";
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { anyPolicy } from "./e2e/arbitrary-policy.js";
import { CLI, readTree, runCli, tempDir } from "./helpers.js";

/**
 * README "Generated files" and "Deploying a fleet with Ansible": "Output is
 * byte-for-byte reproducible: the same policy and templates give the same
 * bytes on any machine and in any folder", "no timestamps", and the
 * manifest "is deterministic (no timestamps) so it can be committed or
 * diffed". Generated policies (test/e2e/arbitrary-policy.ts, fleets with
 * inventories included) are built twice, by the same command line, in two
 * folders that differ in depth, name (a space, non-ASCII) and time, the second
 * under another time zone and locale (Turkish, whose dotted and dotless i
 * break naive case folding) and umask 077: the trees (bytes and modes, the
 * manifest and checks.json included), the exit status and the messages are
 * the same. A policy the compiler refuses must be refused alike, writing nothing.
 */
describe("reproducible output, on generated policies", () => {
  it("the same bytes, modes, manifest, exit status and messages in another folder, time zone, locale and umask", () => {
    const runs = Number(process.env.POLICYC_PROPERTY_RUNS ?? 25);
    let built = 0;
    fc.assert(
      fc.property(anyPolicy, (p) => {
        const base = tempDir("policyc-repro-gen-");
        try {
          const one = join(base, "a");
          const two = join(base, "deeper", "folder with space", "ünï", "b");
          for (const d of [one, two]) {
            mkdirSync(d, { recursive: true });
            writeFileSync(join(d, "site.policy"), p.text);
            for (const [f, text] of Object.entries(p.files)) {
              mkdirSync(dirname(join(d, f)), { recursive: true });
              writeFileSync(join(d, f), text);
            }
          }
          const a = runCli(["build", "site.policy", "-o", "out"], { cwd: one, env: { TZ: "UTC", LC_ALL: "C" } });
          const r = spawnSync("sh", ["-c", 'umask 077 && exec "$0" "$@"', process.execPath, CLI, "build", "site.policy", "-o", "out"], {
            cwd: two,
            encoding: "utf8",
            env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "", TZ: "Pacific/Chatham", LC_ALL: "tr_TR.UTF-8", LANG: "tr_TR.UTF-8" },
          });
          const b = { status: r.status, stdout: r.stdout, stderr: r.stderr };
          const label = `${p.text}\n--- a: ${a.status}\n${a.stderr}\n--- b: ${b.status}\n${b.stderr}`;
          expect(b.status, label).toBe(a.status);
          expect(b.stdout, label).toBe(a.stdout);
          expect(b.stderr, label).toBe(a.stderr);
          if (a.status === 0) {
            built++;
            expect(readTree(join(two, "out")), label).toEqual(readTree(join(one, "out")));
          }
        } finally {
          rmSync(base, { recursive: true, force: true });
        }
      }),
      { numRuns: runs, seed: Number(process.env.POLICYC_PROPERTY_SEED ?? 20261207), endOnFailure: true },
    );
    expect(built).toBeGreaterThan(0);
  }, 600_000);
});
