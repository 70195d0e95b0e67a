import fc from "fast-check";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { propertyRuns, runCli, tempDir } from "./helpers.js";

/**
 * README "Command line", build: stale files are removed "but only those
 * recorded in the earlier build's manifest ... and unchanged since"; "A
 * manifest that is there but cannot be read (not a policyc manifest, a
 * symbolic link, unreadable) removes nothing, and `build` and `build --check`
 * say so in a warning naming it; it is never taken for 'no manifest' in
 * silence"; and no file outside OUT is ever written or removed. Generated:
 * the manifest of an earlier build replaced by one that is not a manifest
 * (not JSON, another format, `files` not a list, a link to the real one), or
 * kept valid but given extra entries whose paths leave OUT (`../`, absolute,
 * `etc/../../`, through a link in OUT to a folder outside) with the sha256 of
 * a victim file there. The oracle: an unreadable manifest draws the warning
 * naming it from build and --check and build removes nothing; a valid one
 * removes its own stale files, and an entry through a link in OUT refuses the
 * build (PC5004); the victims outside OUT are never touched.
 */
const V1 =
  'platform debian;\nservice imapd { pam imap; acl user allow "/etc/imapd.acl" { entries alice; } acl user deny "/etc/old/x.acl" { entries bob; } }\n';
const V2 = 'platform debian;\nservice imapd { pam imap; acl user allow "/etc/imapd.acl" { entries alice; } }\n';
const BROKEN = ["not json", "other format", "files not a list", "link"] as const;
const ESCAPES = ["../victim.txt", "ABS", "etc/../../victim.txt", "out-link/victim.txt", "./../victim.txt"] as const;

const caseArb = fc.oneof(
  fc.record({ broken: fc.constantFrom(...BROKEN) }),
  fc.record({ escapes: fc.subarray([...ESCAPES], { minLength: 1 }) }),
);

describe("a hostile or unreadable manifest in OUT, on generated variants", () => {
  it("an unreadable one removes nothing and is named in a warning; no entry removes a file outside OUT", () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const dir = tempDir("policyc-manifest-gen-");
        try {
          writeFileSync(join(dir, "v1.policy"), V1);
          writeFileSync(join(dir, "v2.policy"), V2);
          expect(runCli(["build", "v1.policy", "-o", "out", "-q"], { cwd: dir }).status).toBe(0);
          const manifestPath = join(dir, "out/.policyc/manifest.json");
          const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { format: string; files: Record<string, unknown>[] };
          writeFileSync(join(dir, "victim.txt"), "the victim\n");
          mkdirSync(join(dir, "away"));
          writeFileSync(join(dir, "away/victim.txt"), "the victim\n");
          const sha = createHash("sha256").update("the victim\n").digest("hex");
          if ("broken" in c) {
            if (c.broken === "not json") writeFileSync(manifestPath, "{ this is not json");
            if (c.broken === "other format") writeFileSync(manifestPath, JSON.stringify({ ...manifest, format: "something-else" }));
            if (c.broken === "files not a list") writeFileSync(manifestPath, JSON.stringify({ ...manifest, files: { a: 1 } }));
            if (c.broken === "link") {
              writeFileSync(join(dir, "real-manifest.json"), readFileSync(manifestPath));
              rmSync(manifestPath);
              symlinkSync(join(dir, "real-manifest.json"), manifestPath);
            }
          } else {
            symlinkSync(join(dir, "away"), join(dir, "out/out-link"));
            for (const e of c.escapes)
              manifest.files.push({
                ...manifest.files[0],
                path: e === "ABS" ? join(dir, "victim.txt") : e,
                target: "/victim.txt",
                sha256: sha,
              });
            writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
          }
          const label = JSON.stringify(c);
          const chk = runCli(["build", "v2.policy", "-o", "out", "--check"], { cwd: dir });
          const r = runCli(["build", "v2.policy", "-o", "out"], { cwd: dir });
          const l2 = `${label}\n--check: ${chk.status}\n${chk.stderr}\nbuild: ${r.status}\n${r.stderr}`;
          expect(r.stderr, l2).not.toContain("internal error");
          // The victims outside OUT (and through the link) are never touched.
          expect(readFileSync(join(dir, "victim.txt"), "utf8"), l2).toBe("the victim\n");
          expect(readFileSync(join(dir, "away/victim.txt"), "utf8"), l2).toBe("the victim\n");
          if ("broken" in c) {
            const warning = `warning: out/.policyc/manifest.json was not read`;
            expect(chk.stderr, l2).toContain(warning);
            expect(r.stderr, l2).toContain(warning);
            expect(r.status, l2).toBe(0);
            // Nothing removed: the stale list stays (and --check calls it a file build leaves in place).
            expect(existsSync(join(dir, "out/etc/old/x.acl")), l2).toBe(true);
          } else if (c.escapes.includes("out-link/victim.txt")) {
            // A recorded path through a link in OUT: refused (PC5004), the whole build with it; nothing removed.
            for (const x of [chk, r])
              expect(x.stderr, l2).toContain("error PC5004: Refusing to write through the symbolic link out/out-link");
            expect(r.status, l2).toBe(1);
            expect(existsSync(join(dir, "out/etc/old/x.acl")), l2).toBe(true);
          } else {
            // Entries that leave OUT are not OUT's files: ignored; the real stale file goes.
            expect(r.status, l2).toBe(0);
            expect(existsSync(join(dir, "out/etc/old/x.acl")), l2).toBe(false);
          }
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      propertyRuns(30),
    );
  }, 600_000);
});
