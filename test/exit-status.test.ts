/**
 * Exit statuses README promises per command that no other test held (README
 * "Questions about a policy", "Who gets in: who", "Audit report: report",
 * "Running assertions: test"): 1 for errors in the policy (with nothing on
 * stdout: nothing is answered), 2 for wrong usage, an unknown host and an
 * unreadable policy file, and for an unwritable `--junit` file (which is
 * then not written).
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, tempDir } from "./helpers.js";

const COOKBOOK = "examples/cookbook.policy";
const FLEET = "examples/fleet/fleet.policy";

describe("exit statuses of explain, who, report and test", () => {
  const dir = tempDir("policyc-exit-");
  const bad = join(dir, "bad.policy");
  writeFileSync(bad, "platform debian;\nservice x { acl user allow /etc/x { entries $nope; } }\n");
  const missing = join(dir, "missing.policy");

  it.each([
    { label: "who, errors in the policy", args: ["who", bad], status: 1 },
    { label: "report, errors in the policy", args: ["report", bad], status: 1 },
    { label: "who --host, no such host", args: ["who", FLEET, "--host", "nosuch"], status: 2 },
    { label: "who --host, a policy without hosts", args: ["who", COOKBOOK, "--host", "mx1"], status: 2 },
    { label: "report, an unknown option", args: ["report", COOKBOOK, "--bogus"], status: 2 },
    { label: "explain, an unreadable policy", args: ["explain", missing, "sshd", "root"], status: 2 },
    { label: "who, an unreadable policy", args: ["who", missing], status: 2 },
    { label: "report, an unreadable policy", args: ["report", missing], status: 2 },
    { label: "test, an unreadable policy", args: ["test", missing], status: 2 },
  ])("$label: exit $status, nothing on stdout, no stack trace", ({ args, status }) => {
    const r = runCli(args);
    expect(r.status, r.stderr).toBe(status);
    expect(r.stdout).toBe("");
    expect(r.stderr).not.toMatch(/\n\s+at .*:\d+:\d+\)?\n/);
    if (status === 1) expect(r.stderr).toContain("error PC2011");
  });

  it("test --junit FILE: exit 2 when FILE cannot be written (a missing folder, a folder), saying why; nothing written", () => {
    const folder = join(dir, "junit-folder");
    mkdirSync(folder);
    const cases: [string, string][] = [
      [join(dir, "no/such/folder/junit.xml"), "no such file"],
      [folder, "it is a directory"],
    ];
    for (const [file, why] of cases) {
      const r = runCli(["test", COOKBOOK, "--junit", file, "-q"]);
      expect(r.status, file).toBe(2);
      expect(r.stderr).toContain(`policyc: cannot write ${file}: ${why}.`);
    }
    expect(existsSync(join(dir, "no"))).toBe(false);
  });

  it("test --junit FILE --format json|sarif: an unwritable FILE prints no document that would read as success", () => {
    for (const format of ["json", "sarif"]) {
      const r = runCli(["test", COOKBOOK, "--junit", join(dir, "no/such/folder/junit.xml"), "--format", format]);
      expect(r.status, format).toBe(2);
      expect(r.stdout, format).toBe("");
      expect(r.stderr).toContain("cannot write");
    }
  });
});
