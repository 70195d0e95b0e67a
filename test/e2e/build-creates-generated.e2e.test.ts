import fc from "fast-check";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI, propertyRuns, tempDir } from "../helpers.js";
import { anyPolicy } from "./arbitrary-policy.js";
import { requireTools, skipBanner } from "./stack.js";

/**
 * README "Safety checks", Temporaries and links: "Temporaries have
 * unpredictable names (`.policyc-tmp-` and 128 random bits from
 * `/dev/urandom`) and are created with `O_CREAT|O_EXCL|O_NOFOLLOW`, so a link
 * planted in OUT cannot redirect a write"; the lock is "created
 * exclusively". Generated policies (test/e2e/arbitrary-policy.ts; those the
 * compiler refuses write nothing, which is checked too) are built under
 * strace -f (openat, open, creat, rename): every file created below OUT is
 * created by an openat with O_CREAT|O_EXCL|O_NOFOLLOW, named `.policyc-tmp-`
 * and 32 hex digits (or `.policyc/lock`), and reaches its place by rename
 * (the staging folder's record of manifest entries is read back and removed);
 * no name is used twice, across all the builds of the run.
 */
const missing = requireTools(["strace"]);
if (missing.length) console.warn(skipBanner("the build create-flags property (Debian package strace)", missing));

describe.skipIf(missing.length > 0)("what build creates below OUT, under strace, on generated policies", () => {
  it("creates only with O_CREAT|O_EXCL|O_NOFOLLOW, under fresh random temporary names, and renames them into place", () => {
    const names = new Set<string>();
    let built = 0;
    fc.assert(
      fc.property(anyPolicy, (p) => {
        const dir = tempDir("policyc-creates-gen-");
        try {
          writeFileSync(join(dir, "site.policy"), p.text);
          for (const [f, text] of Object.entries(p.files)) {
            mkdirSync(dirname(join(dir, f)), { recursive: true });
            writeFileSync(join(dir, f), text);
          }
          const trace = join(dir, "trace.txt");
          // Twice: a fresh OUT, then over it (a changed file is replaced through a new temporary).
          for (const round of [0, 1]) {
            if (round === 1) writeFileSync(join(dir, "site.policy"), p.text + "\n# changed\n");
            const r = spawnSync(
              "strace",
              [
                "-f",
                "-e",
                "trace=openat,open,creat,rename,renameat,renameat2,unlink,unlinkat",
                "-o",
                trace,
                process.execPath,
                CLI,
                "build",
                "site.policy",
                "-o",
                "out",
                "-q",
              ],
              {
                cwd: dir,
                encoding: "utf8",
                env: { ...process.env, NO_COLOR: "1" },
              },
            );
            const label = `${p.text}\nround ${round}: exit ${r.status}\n${r.stderr.slice(0, 1000)}`;
            const lines = readFileSync(trace, "utf8").split("\n");
            const creates = lines.filter((l) => /open(at)?\(.*"out\//.test(l) && /O_CREAT/.test(l));
            if (r.status !== 0) {
              expect(r.status, label).toBe(1);
              expect(
                creates.filter((l) => !l.includes("ENOENT")),
                label,
              ).toEqual([]);
              return;
            }
            built++;
            for (const l of creates) {
              const m = /"out\/((?:[^"]*\/)?)([^"/]+)", ([A-Z_|]+)/.exec(l)!;
              expect(m, `${l}\n${label}`).not.toBeNull();
              const [, , name, flags] = m;
              expect(flags, `${l}\n${label}`).toMatch(/O_EXCL/);
              expect(flags, `${l}\n${label}`).toMatch(/O_NOFOLLOW/);
              if (`${m[1]}${name}` === ".policyc/lock") continue;
              expect(name, `${l}\n${label}`).toMatch(/^\.policyc-tmp-[0-9a-f]{32}$/);
              expect(names.has(name!), `${name} used twice\n${label}`).toBe(false);
              names.add(name!);
              // ... and renamed into place; but for the staging folder's own record of the manifest's
              // entries (directly in OUT/.policyc/<staging folder>/), which build reads back and removes.
              const own = /^\.policyc\/\.policyc-tmp-[0-9a-f]{32}\/$/.test(m[1]!);
              expect(
                lines.some((x) => (own ? /unlink/ : /rename/).test(x) && x.includes(`${name}"`) && / = 0$/.test(x)),
                `${name} never ${own ? "removed" : "renamed"}\n${label}`,
              ).toBe(true);
            }
          }
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      propertyRuns(30),
    );
    console.log(`build creates: ${built} builds, ${names.size} temporaries`);
    expect(built).toBeGreaterThan(0);
    expect(names.size).toBeGreaterThan(built);
  }, 600_000);
});
