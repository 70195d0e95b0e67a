import fc from "fast-check";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI, propertyRuns, tempDir } from "./helpers.js";

/**
 * README "Safety checks", Modes: "Files are 0644; folders policyc creates
 * (OUT and its parents too) are 0755 whatever the umask; folders that exist
 * keep their mode." Generated: any umask (0 to 0777), OUT given with up to
 * two parents that do not exist yet, and some of the folders the build
 * writes into made beforehand with modes of their own (setgid 2755 as
 * Debian's /etc/mail, sticky, 0700, 0750, 0711). After the build (under that
 * umask), and again after a second build of a changed policy: every file
 * below OUT is 0644, every folder made beforehand has exactly its mode, and
 * every other folder (OUT and its new parents included) is 0755.
 */
const POOL = ["etc/imapd.acl", "etc/acl/users.list", "etc/acl/sub/deny.list", "etc/security/ssh.groups", "var/lib/x/list"];
const FOLDERS = ["", "etc", "etc/acl", "etc/acl/sub", "etc/pam.d", "etc/security", "var", "var/lib", "var/lib/x", ".policyc"];
const MODES = [0o2755, 0o1777, 0o700, 0o750, 0o711, 0o775, 0o755];

const anyCase = fc.record({
  umask: fc.nat(0o777),
  parents: fc.nat(2),
  lists: fc.subarray(POOL, { minLength: 1 }),
  made: fc.dictionary(fc.constantFrom(...FOLDERS), fc.constantFrom(...MODES), { maxKeys: 4 }),
});

function build(dir: string, out: string, umask: number): { status: number | null; stderr: string } {
  const r = spawnSync(
    "sh",
    ["-c", `umask ${umask.toString(8).padStart(3, "0")} && exec "$0" "$@"`, process.execPath, CLI, "build", "p.policy", "-o", out, "-q"],
    {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1" },
    },
  );
  return { status: r.status, stderr: r.stderr };
}

describe("modes of what build writes, on generated trees and umasks", () => {
  it("files 0644, new folders 0755 (OUT and its parents too), existing folders keep their mode", () => {
    fc.assert(
      fc.property(anyCase, (c) => {
        const dir = tempDir("policyc-modes-gen-");
        try {
          const policy = (extra: string) =>
            `platform debian;\nservice imapd {\n  pam imap;\n${c.lists.map((p) => `  acl user allow "/${p}" { entries root${extra}; }`).join("\n")}\n}\n`;
          writeFileSync(join(dir, "p.policy"), policy(""));
          const outRel = [..."pq".slice(0, c.parents)].join("/") + (c.parents ? "/" : "") + "out";
          const out = join(dir, outRel);
          // Folders made beforehand (OUT itself is "" here: then its parents exist too).
          const made = new Map(Object.entries(c.made));
          if (made.size) mkdirSync(out, { recursive: true, mode: 0o755 });
          for (const f of [...made.keys()].sort()) {
            mkdirSync(join(out, f), { recursive: true });
            chmodSync(join(out, f), made.get(f)!);
          }
          // Every folder there before the build, with the mode it has (one made on the way to another, too).
          const before = new Map<string, number>();
          const record = (abs: string, rel: string) => {
            const st = statSync(abs, { throwIfNoEntry: false });
            if (!st?.isDirectory()) return;
            before.set(rel, st.mode & 0o7777);
            for (const e of readdirSync(abs)) record(join(abs, e), rel ? `${rel}/${e}` : e);
          };
          record(out, "");
          const label = `${JSON.stringify(c)} (umask ${c.umask.toString(8)})`;
          for (const extra of ["", ", alice"]) {
            writeFileSync(join(dir, "p.policy"), policy(extra));
            const r = build(dir, outRel, c.umask);
            expect(r.status, `${label}\n${r.stderr}`).toBe(0);
            const walk = (abs: string, rel: string) => {
              const st = statSync(abs);
              if (st.isDirectory()) {
                const want = before.has(rel) ? before.get(rel)! : 0o755;
                expect((st.mode & 0o7777).toString(8), `folder ${rel || "OUT"}\n${label}`).toBe(want.toString(8));
                for (const e of readdirSync(abs)) walk(join(abs, e), rel ? `${rel}/${e}` : e);
              } else expect((st.mode & 0o7777).toString(8), `file ${rel}\n${label}`).toBe("644");
            };
            walk(out, "");
            // OUT's parents that build made.
            for (let i = 1; i <= c.parents && !made.size; i++) {
              const p = join(dir, ..."pq".slice(0, i).split(""));
              expect((statSync(p).mode & 0o7777).toString(8), `parent ${p}\n${label}`).toBe("755");
            }
          }
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      propertyRuns(30),
    );
  }, 600_000);
});
