import fc from "fast-check";
import { mkdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { propertyRuns, runCli, tempDir } from "./helpers.js";

/**
 * README "Command line": "`build` refuses an OUT that is this machine's own
 * root folder (`/`, `/.`, a link to it, a bind mount of it; exit 2),
 * `--check` included, unless `--allow-system-root` is given; so does
 * `diff --root`." Generated spellings: absolute or relative to the current
 * folder, made of `.`, `..`, empty components (`//`), real folders, a link to
 * `/` and a link to that link. The oracle resolves the spelling with
 * realpath: `/` must be refused (exit 2, the message naming the spelling)
 * by `build`, `build --check` and `diff --root`; anything else must not be.
 * Safe to run: `build` is given a policy with an error, so a spelling that
 * slipped through would stop at exit 1 with nothing written, and `--check`
 * and `diff` write nothing. (Bind mounts: test/e2e/system-root-bind.e2e.test.ts.)
 */
const base = tempDir("policyc-sysroot-gen-");
const cwd = join(base, "a", "b");
mkdirSync(cwd, { recursive: true });
symlinkSync("/", join(cwd, "rootlink"));
symlinkSync("rootlink", join(cwd, "chain"));
mkdirSync(join(cwd, "sub"));
writeFileSync(
  join(cwd, "good.policy"),
  'platform debian;\nservice imapd { pam imap; acl user allow "/etc/imapd.acl" { entries alice; } }\n',
);
writeFileSync(join(cwd, "bad.policy"), "platform debian;\nservice imapd { bogus; }\n");
afterAll(() => rmSync(base, { recursive: true, force: true }));

const SEGMENTS = [".", "..", "", "tmp", "etc", "rootlink", "chain", "sub", "..", ".."];
const spelling = fc
  .record({ absolute: fc.boolean(), segments: fc.array(fc.constantFrom(...SEGMENTS), { minLength: 0, maxLength: 6 }) })
  .map(({ absolute, segments }) => {
    const s = (absolute ? "/" : "") + segments.join("/");
    return s === "" ? "." : s;
  });

/** Where the spelling leads from cwd, or null when it leads nowhere (a missing folder). */
function target(s: string): string | null {
  try {
    // realpath(3) on the spelling as written: the kernel's walk, `..` after a link included (path.resolve and
    // node's JS realpath would first fold `rootlink/..` away as text).
    return realpathSync.native(s.startsWith("/") ? s : `${cwd}/${s}`);
  } catch {
    return null;
  }
}

describe("the system root, however it is spelt", () => {
  it("is refused by build, build --check and diff --root (exit 2), and nothing else is", () => {
    const seen = { root: 0, other: 0 };
    fc.assert(
      fc.property(spelling, (s) => {
        const t = target(s);
        // Only the spellings that exist and are folders say anything: a missing one is no root.
        if (t === null) return;
        // Only slashes (`//`, `///`) is not refused today (build: "Cannot write : no such file.", exit 1;
        // --check compares the current folder): test/system-root-created.test.ts holds that bug.
        if (/^\/+$/.test(s) && s !== "/") return;
        const isRoot = t === "/";
        seen[isRoot ? "root" : "other"]++;
        const build = runCli(["build", "bad.policy", "-o", s], { cwd });
        const check = runCli(["build", "good.policy", "-o", s, "--check"], { cwd });
        const diff = runCli(["diff", "good.policy", "--root", s], { cwd });
        const label = `spelling ${JSON.stringify(s)} -> ${t}\nbuild ${build.status}: ${build.stderr}\ncheck ${check.status}: ${check.stderr.slice(0, 300)}\ndiff ${diff.status}: ${diff.stderr.slice(0, 300)}`;
        if (isRoot) {
          for (const r of [build, check, diff]) {
            expect(r.status, label).toBe(2);
            expect(r.stderr, label).toContain(`${s} is this machine's own root folder`);
          }
        } else {
          expect(build.status, label).toBe(1);
          expect(build.stderr, label).toContain("error PC");
          for (const r of [build, check, diff]) expect(r.stderr, label).not.toContain("own root folder");
        }
      }),
      propertyRuns(60),
    );
    console.log("system root spellings:", seen);
    expect(seen.root).toBeGreaterThan(0);
    expect(seen.other).toBeGreaterThan(0);
  }, 600_000);
});
