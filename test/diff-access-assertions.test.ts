/**
 * README "Access diff: diff-access": "Assertions are not run." A change
 * whose old and new versions both hold a failing `expect` is still compared
 * and said in words; the exit status comes from the changes and --fail-on
 * alone, never from PC6001 (which `check` reports for the same files).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, tempDir } from "./helpers.js";

describe("diff-access does not run assertions", () => {
  it("compares versions whose assertions fail: the gain is printed, exit 0, and 1 only with --fail-on gain", () => {
    const dir = tempDir("policyc-diff-access-expect-");
    const old = join(dir, "old.policy");
    const next = join(dir, "new.policy");
    writeFileSync(
      old,
      'platform debian;\nservice sshd { acl user allow "/etc/ssh.users" { entries root; } }\nexpect allow sshd user alice;\n',
    );
    writeFileSync(
      next,
      'platform debian;\nservice sshd { acl user allow "/etc/ssh.users" { entries root, alice; } }\nexpect deny sshd user alice;\n',
    );
    for (const f of [old, next]) expect(runCli(["check", f]).stderr).toContain("error PC6001");
    const r = runCli(["diff-access", old, next]);
    expect([r.status, r.stdout, r.stderr]).toEqual([0, "gain   alice gains sshd (user allow /etc/ssh.users)\n", ""]);
    expect(runCli(["diff-access", old, next, "--fail-on", "gain"]).status).toBe(1);
  });
});
