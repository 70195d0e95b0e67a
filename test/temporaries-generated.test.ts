import fc from "fast-check";
import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { propertyRuns, runCli, tempDir } from "./helpers.js";

/**
 * README "Safety checks", Interrupted builds: "build --check and diff report
 * the journal and any temporaries (PC5012, exit 1). The next build removes the
 * temporaries (only regular files named `.policyc-tmp-` and 32 hex digits,
 * anywhere below OUT), says so". Generated: names near that pattern (31 or 33
 * digits, capitals, another prefix or a suffix) and exact ones, as regular
 * files, folders, links (to a victim file outside OUT) or FIFOs, at random
 * places below OUT. The oracle: `build --check` says PC5012 (exit 1) exactly
 * when a true temporary is among them; `build` removes exactly the true
 * temporaries (and an empty folder so named directly in OUT/.policyc: a streamed
 * build's staging folder), says so, and leaves every other entry (and the victim) as it was.
 */
const HEX = "0123456789abcdef";
const PLACES = ["", "etc", "etc/pam.d", "etc/acl", ".policyc", "new/folder"];
const nameArb = fc
  .record({
    digits: fc.constantFrom(32, 32, 32, 31, 33),
    upper: fc.nat(4).map((n) => n === 0),
    prefix: fc.constantFrom(".policyc-tmp-", ".policyc-tmp-", ".policyc-tmp-", "policyc-tmp-", ".policyc-temp-", ".Policyc-tmp-"),
    suffix: fc.constantFrom("", "", "", ".bak", "x"),
    seed: fc.nat(1_000_000),
  })
  .map(({ digits, upper, prefix, suffix, seed }) => {
    let hex = Array.from({ length: digits }, (_, i) => HEX[(seed * 31 + i * 7) % 16]!).join("");
    if (upper) hex = hex.replace(/[a-f]/, (c) => c.toUpperCase()).replace(/^[0-9]/, "A");
    return prefix + hex + suffix;
  });
const entryArb = fc.record({
  name: nameArb,
  place: fc.constantFrom(...PLACES),
  kind: fc.constantFrom("file", "file", "folder", "link", "fifo"),
});

const POLICY = 'platform debian;\nservice imapd { pam imap; acl user allow "/etc/acl/imapd.acl" { entries alice; } }\n';
const TRUE_TEMP = /^\.policyc-tmp-[0-9a-f]{32}$/;

describe("temporaries below OUT, on generated names and kinds", () => {
  it("--check reports exactly when a true temporary is there; build removes exactly the regular files so named", () => {
    fc.assert(
      fc.property(fc.array(entryArb, { minLength: 1, maxLength: 5 }), (entries) => {
        const dir = tempDir("policyc-temps-gen-");
        try {
          writeFileSync(join(dir, "p.policy"), POLICY);
          expect(runCli(["build", "p.policy", "-o", "out", "-q"], { cwd: dir }).status).toBe(0);
          writeFileSync(join(dir, "victim"), "not policyc's\n");
          const planted = new Map<string, string>();
          for (const e of entries) {
            const rel = e.place ? `${e.place}/${e.name}` : e.name;
            if (planted.has(rel)) continue;
            const abs = join(dir, "out", rel);
            mkdirSync(dirname(abs), { recursive: true });
            if (e.kind === "file") writeFileSync(abs, "half written\n");
            else if (e.kind === "folder") mkdirSync(abs);
            else if (e.kind === "link") symlinkSync(join(dir, "victim"), abs);
            else expect(spawnSync("mkfifo", [abs]).status).toBe(0);
            planted.set(rel, e.kind);
          }
          // A streamed build's staging folder is a folder so named directly in OUT/.policyc (README "Interrupted builds"):
          // left behind, it is an unfinished build too, and build removes it (empty, as planted here).
          const stage = (rel: string, kind: string) => kind === "folder" && /^\.policyc\/[^/]+$/.test(rel);
          const temps = [...planted]
            .filter(([rel, kind]) => (kind === "file" || stage(rel, kind)) && TRUE_TEMP.test(rel.split("/").pop()!))
            .map(([rel]) => rel);
          const label = `${JSON.stringify([...planted])}\ntrue temporaries: ${temps.join(", ")}`;
          const chk = runCli(["build", "p.policy", "-o", "out", "--check"], { cwd: dir });
          expect(chk.stderr.includes("PC5012"), `${label}\n${chk.stderr}`).toBe(temps.length > 0);
          // Anything but a folder outside .policyc/ is a file build leaves in place: PC5030, exit 1 too.
          const stray = [...planted].some(([rel, kind]) => kind !== "folder" && !rel.startsWith(".policyc/"));
          expect(chk.status, `${label}\n${chk.stderr}`).toBe(temps.length || stray ? 1 : 0);
          const r = runCli(["build", "p.policy", "-o", "out"], { cwd: dir });
          const l2 = `${label}\nexit ${r.status}\n${r.stderr}`;
          expect(r.status, l2).toBe(0);
          for (const [rel, kind] of planted) {
            const st = lstatSync(join(dir, "out", rel), { throwIfNoEntry: false });
            if (temps.includes(rel)) expect(st, `${rel} should be removed\n${l2}`).toBeUndefined();
            else {
              expect(st, `${rel} should be kept\n${l2}`).toBeDefined();
              const k = st!.isSymbolicLink() ? "link" : st!.isDirectory() ? "folder" : st!.isFIFO() ? "fifo" : "file";
              expect(k, `${rel}\n${l2}`).toBe(kind);
            }
          }
          if (temps.length) expect(r.stderr, l2).toMatch(/temporar/);
          expect(readFileSync(join(dir, "victim"), "utf8")).toBe("not policyc's\n");
          expect(existsSync(join(dir, "out/etc/acl/imapd.acl"))).toBe(true);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      propertyRuns(40),
    );
  }, 600_000);
});
