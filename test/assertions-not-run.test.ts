/**
 * Commands that README says do not run a policy's `expect` assertions:
 * "Assertions" ("`explain` skips them: it answers questions about a policy
 * whose assertions fail") and "Access diff: diff-access" ("Assertions are
 * not run"). On policies whose assertions fail (`check` reports PC6001),
 * explain answers and diff-access compares; their exit statuses come from
 * the answer and the changes alone.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, tempDir } from "./helpers.js";

describe("explain and diff-access do not run assertions", () => {
  it("explain answers on a policy whose assertion fails: exit 0 for an allowed user, 1 for a denied one, no PC6001", () => {
    const file = join(tempDir("policyc-explain-expect-"), "f.policy");
    writeFileSync(
      file,
      'platform debian;\nservice sshd { acl user allow "/etc/ssh.users" { entries root; } }\nexpect allow sshd user alice;\n',
    );
    expect(runCli(["check", file]).stderr).toContain("error PC6001");
    const root = runCli(["explain", file, "sshd", "root", "-q"]);
    expect([root.status, root.stderr]).toEqual([0, ""]);
    expect(root.stdout).toMatch(/^sshd \(PAM service sshd\), user root: ALLOW/);
    const alice = runCli(["explain", file, "sshd", "alice"]);
    expect(alice.status).toBe(1);
    expect(alice.stdout + alice.stderr).not.toContain("PC6001");
  });

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
