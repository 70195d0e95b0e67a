/**
 * README "Command line": every command that prints a policy's warnings takes
 * --max-warnings N with one meaning (more than N warnings: exit 1, PC5050),
 * verify counts its notes; and test closes with what failed, not "nothing written".
 */
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkedDocument } from "./documents.js";
import { runCli, tempDir } from "./helpers.js";

const cookbook = "examples/cookbook.policy"; // two warnings: PC4005, PC4006

describe("--max-warnings N on every command that prints a policy's warnings", () => {
  it("diff fails over the limit (exit 1, PC5050) and compares nothing; at the limit it compares", () => {
    const out = tempDir();
    expect(runCli(["build", cookbook, "-o", out, "-q"]).status).toBe(0);
    const over = runCli(["diff", cookbook, "--root", out, "--max-warnings", "1"]);
    expect(over.status).toBe(1);
    expect(over.stderr).toContain("error PC5050: 2 warnings, more than --max-warnings 1 allows");
    expect(over.stderr).not.toContain("matches the policy");
    const json = runCli(["diff", cookbook, "--root", out, "--max-warnings", "0", "--format", "json"]);
    expect(json.status).toBe(1);
    expect(checkedDocument(json.stdout)).toMatchObject({ errors: 1, warnings: 2 });
    const at = runCli(["diff", cookbook, "--root", out, "--max-warnings", "2"]);
    expect([at.status, at.stderr]).toEqual([0, expect.stringContaining("matches the policy")]);
  });

  it.each([
    ["explain", ["explain", cookbook, "relay", "someone@example.org"]],
    ["who", ["who", cookbook]],
    ["report", ["report", cookbook]],
  ])("%s fails over the limit with PC5050 and runs at the limit", (_name, args) => {
    const over = runCli([...args, "--max-warnings", "1"]);
    expect(over.status).toBe(1);
    expect(over.stderr).toContain("error PC5050: 2 warnings, more than --max-warnings 1 allows");
    expect(over.stdout).toBe("");
    const at = runCli([...args, "--max-warnings", "2"]);
    expect(at.stderr).not.toContain("PC5050");
    expect(at.stdout).not.toBe("");
  });

  it.each([
    ["diff", cookbook, "--root", "examples"],
    ["explain", cookbook, "relay", "someone@example.org"],
    ["who", cookbook],
    ["report", cookbook],
    ["verify", "examples"],
  ])("%s takes only a whole number", (...args) => {
    const r = runCli([...args, "--max-warnings", "few"]);
    expect([r.status, r.stdout]).toEqual([2, ""]);
    expect(r.stderr).toMatch(/^policyc(?: verify)?: --max-warnings takes a whole number of warnings from 0, not "few"\.\n/);
  });

  it.each(["build", "check", "diff", "test", "explain", "who", "report", "verify"])("%s --help lists --max-warnings N", (c) => {
    expect(runCli([c, "--help"]).stdout).toMatch(/^ +--max-warnings N +fail \(exit 1/m);
  });
});

describe("verify --max-warnings N: its warnings are its notes", () => {
  const tools = ["/usr/bin/m4", "/usr/sbin/sendmail", "/usr/sbin/makemap", "/usr/share/sendmail/cf/m4/cf.m4"];
  const missing = tools.filter((t) => !existsSync(t));
  if (missing.length && process.env.CI === "true")
    throw new Error(`verify --max-warnings tests: missing with CI=true: ${missing.join(", ")}`);

  it.skipIf(missing.length > 0)(
    "fails (exit 1) with more notes than N, naming the count as a problem in every format; passes with N",
    () => {
      const out = tempDir();
      expect(runCli(["build", cookbook, "-o", out, "-q"]).status).toBe(0);
      // A local-host-names entry that is not a domain: a note of the tree, on any machine.
      writeFileSync(join(out, "etc/mail/local-host-names"), "mx.example.test\nnot_a_domain!\n");
      const plain = checkedDocument(runCli(["verify", out, "--format", "json"]).stdout);
      const n = plain.notes.length;
      expect(plain.notes).toContainEqual(expect.stringContaining('"not_a_domain!" is not a domain name'));
      expect(runCli(["verify", out, "--max-warnings", String(n), "-q"]).status).toBe(0);
      const over = runCli(["verify", out, "--max-warnings", String(n - 1), "--format", "json"]);
      expect(over.status).toBe(1);
      const doc = checkedDocument(over.stdout);
      expect([doc.ok, doc.problems]).toEqual([false, [`${n} note${n === 1 ? "" : "s"}, more than --max-warnings ${n - 1} allows.`]]);
      const human = runCli(["verify", out, "--max-warnings", String(n - 1)]);
      expect(human.status).toBe(1);
      expect(human.stderr).toContain(`policyc verify: ${n} note${n === 1 ? "" : "s"}, more than --max-warnings ${n - 1} allows.`);
    },
    60_000,
  );
});

describe("verify: wrong usage is a usage error (exit 2), not an internal error", () => {
  it.each([[[]], [["a", "b"]], [["a", "--cf-dir", ""]]])("verify %j", (args) => {
    const r = runCli(["verify", ...args]);
    expect([r.status, r.stdout]).toEqual([2, ""]);
    // As every command's (README "Command line"): "policyc: verify ...", and the hint `Run "policyc --help" for usage.`
    expect(r.stderr).toMatch(/^policyc: (verify|--cf-dir) .*\.\nRun "policyc --help" for usage\.\n$/);
  });
});

describe("test: its own closing line", () => {
  const FAILING = `platform debian;
service sshd {
  pam sshd;
  acl user allow "/etc/ssh.users" { entries root, alice; }
}
expect allow sshd user alice;
expect allow sshd user bob;
expect deny sshd user carol;
`;

  it('says how many assertions failed of how many, and never "nothing written"', () => {
    const dir = tempDir();
    writeFileSync(join(dir, "p.policy"), FAILING);
    const r = runCli(["test", "p.policy"], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stderr).not.toContain("nothing written");
    expect(r.stderr.trimEnd().split("\n").at(-1)).toBe("policyc: 1 of 3 assertions FAILED.");
  });

  it("says the assertions were not run when the policy has errors", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "p.policy"), FAILING.replace("pam sshd;", "pam sshd; onerr maybe;"));
    const r = runCli(["test", "p.policy"], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stderr).not.toContain("nothing written");
    expect(r.stderr.trimEnd().split("\n").at(-1)).toMatch(/^policyc: 1 error in the policy; the assertions were not run\.$/);
  });

  it("over --max-warnings: the error is named, and the assertions are not reported", () => {
    const r = runCli(["test", cookbook, "--max-warnings", "1"]);
    expect(r.status).toBe(1);
    expect(r.stderr.trimEnd().split("\n").at(-1)).toBe("policyc: 1 error in the policy (and 2 warnings); the assertions are not reported.");
  });
});
