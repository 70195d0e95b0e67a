import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI, runCli, tempDir } from "../helpers.js";
import { requireTools, skipBanner } from "./stack.js";

/**
 * README "Command line", diff --root DIR: each deployed file (and the deploy
 * record) is opened once, without following a symbolic link, and what is
 * compared is what that open read: no second open by name, which a link put
 * in the file's place in between would have redirected. Counted with
 * strace -f -e trace=openat on the real CLI.
 */
const missing = requireTools(["strace"]);
if (missing.length) console.warn(skipBanner("the diff --root open count test (Debian package strace)", missing));

const POLICY = `platform debian;
service imapd {
  pam imap;
  acl user allow "/etc/imapd.acl" { entries alice, bob; }
}
`;

describe.skipIf(missing.length > 0)("diff --root under strace", () => {
  it("opens every deployed file and the record once, with O_NOFOLLOW", () => {
    const dir = tempDir("policyc-diff-opens-");
    writeFileSync(join(dir, "old.policy"), POLICY.replace("}\n}", '}\n  acl rhost deny "/etc/imapd.deny" { entries bad.example; }\n}'));
    writeFileSync(join(dir, "p.policy"), POLICY);
    // Deployed by the old policy (with its record), then edited by hand: drift, and a stale file.
    expect(runCli(["build", "old.policy", "-o", "root", "-q"], { cwd: dir }).status).toBe(0);
    mkdirSync(join(dir, "root/var/lib/policyc"), { recursive: true });
    writeFileSync(join(dir, "root/var/lib/policyc/manifest.json"), readFileSync(join(dir, "root/.policyc/manifest.json")));
    writeFileSync(join(dir, "root/etc/imapd.acl"), "alice\nmallory\n");
    const trace = join(dir, "trace.txt");
    const r = spawnSync("strace", ["-f", "-e", "trace=openat", "-o", trace, process.execPath, CLI, "diff", "p.policy", "--root", "root"], {
      cwd: dir,
      encoding: "utf8",
    });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toContain(" alice\n-mallory\n+bob\n");
    expect(r.stdout).toContain("diff deployed/etc/imapd.deny policy/etc/imapd.deny\ndeleted file mode 100644\n");
    const opens = new Map<string, string[]>();
    for (const line of readFileSync(trace, "utf8").split("\n")) {
      const m = /openat\(AT_FDCWD, "root\/([^"]+)", ([A-Z_|]+)/.exec(line);
      if (m && !m[2]!.includes("O_DIRECTORY")) opens.set(m[1]!, [...(opens.get(m[1]!) ?? []), m[2]!]);
    }
    const deployed = ["etc/imapd.acl", "etc/imapd.deny", "etc/pam.d/imap", "var/lib/policyc/manifest.json"];
    expect([...opens.keys()].filter((p) => deployed.includes(p)).sort()).toEqual(deployed);
    for (const p of deployed) {
      expect(opens.get(p), p).toHaveLength(1);
      expect(opens.get(p)![0], p).toContain("O_NOFOLLOW");
    }
  });
});
