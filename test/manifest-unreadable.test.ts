/**
 * README "Safe output": a build removes the files an earlier build wrote that
 * the policy no longer produces, found through OUT/.policyc/manifest.json.
 * A manifest that is there but cannot be read must not pass silently as "no
 * manifest": the build says that nothing was removed, and why.
 */
import { existsSync, mkdirSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, tempDir } from "./helpers.js";

const SSHD = `service sshd { acl user allow "/etc/sshd.acl" { entries $ops; } }\n`;
const VSFTPD = `service vsftpd { acl user allow "/etc/vsftpd.acl" { entries $ops; } }\n`;
const ONE = `platform debian;\nusers ops = root, alice;\n${SSHD}`;
const TWO = ONE + VSFTPD;

function setUp(): { dir: string; policy: string; out: string; dropped: string } {
  const dir = tempDir();
  const policy = join(dir, "site.policy");
  const out = join(dir, "out");
  writeFileSync(policy, TWO);
  const first = runCli(["build", policy, "-o", out, "-q"]);
  expect(first.status, first.stderr).toBe(0);
  const dropped = join(out, "etc/pam.d/vsftpd");
  expect(existsSync(dropped)).toBe(true);
  writeFileSync(policy, ONE);
  return { dir, policy, out, dropped };
}

describe("a previous manifest that cannot be read", () => {
  it("control: with the manifest intact, the file the policy no longer produces is removed, without a warning", () => {
    const { policy, out, dropped } = setUp();
    const r = runCli(["build", policy, "-o", out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toContain("warning");
    expect(existsSync(dropped)).toBe(false);
  });

  const breakers: [string, (manifest: string, dir: string) => void, string][] = [
    ["not JSON", (m) => writeFileSync(m, "{ this is not json"), "it is not a policyc manifest"],
    ["another format", (m) => writeFileSync(m, JSON.stringify({ format: "something-else", files: [] })), "it is not a policyc manifest"],
    [
      "a symbolic link",
      (m, dir) => {
        const elsewhere = join(dir, "elsewhere.json");
        writeFileSync(elsewhere, "{}");
        symlinkSync(elsewhere, `${m}.tmp-link`);
        writeFileSync(m, "");
        runCliRename(`${m}.tmp-link`, m);
      },
      "it is a symbolic link",
    ],
  ];

  for (const [what, breakIt, reason] of breakers) {
    it(`${what}: build says so, removes nothing, and exits 0; build --check says so too`, () => {
      const { dir, policy, out, dropped } = setUp();
      const manifest = join(out, ".policyc/manifest.json");
      breakIt(manifest, dir);
      const check = runCli(["build", policy, "-o", out, "--check"]);
      expect(check.stderr).toContain(`policyc: warning: ${manifest} was not read: ${reason}`);
      expect(check.stderr).toContain("would not be removed");
      const r = runCli(["build", policy, "-o", out]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toContain(`policyc: warning: ${manifest} was not read: ${reason}; files an earlier build wrote`);
      expect(existsSync(dropped)).toBe(true);
    });
  }

  it("no manifest at all (a new OUT) is no warning", () => {
    const dir = tempDir();
    const policy = join(dir, "site.policy");
    writeFileSync(policy, ONE);
    mkdirSync(join(dir, "out"));
    const r = runCli(["build", policy, "-o", join(dir, "out")]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toContain("warning");
  });
});

function runCliRename(from: string, to: string): void {
  // A link put in place of the manifest (rename over it, as an attacker or a careless copy would).
  renameSync(from, to);
}
