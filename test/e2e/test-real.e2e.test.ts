import { spawnSync } from "node:child_process";
import { appendFileSync, chmodSync, mkdirSync, readFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, ROOT, runCli } from "../helpers.js";
import { PAM_TOOLS, requireTools, skipBanner } from "./stack.js";

/**
 * README "Running assertions on the real software: test --real": the
 * examples' `expect` assertions, run with pamtester (private mount namespace
 * over a copy of /etc) and sendmail -bt against the built trees, pass; a tree
 * changed behind the policy's back fails them (so the answers come from the
 * real software, not the model); what the run needs is said, exit 2.
 */
const missing = requireTools([...PAM_TOOLS, "sendmail", "m4", "makemap", "setpriv"]);
if (missing.length > 0) console.warn(skipBanner("policyc test --real on the real PAM and sendmail", missing));

const EXAMPLES = ["examples/cookbook.policy", "examples/site.policy", "examples/fleet/fleet.policy"];
let work = "";
const tree = (policy: string) => join(work, policy.replace(/\W+/g, "_"));

describe.skipIf(missing.length > 0)("policyc test --real OUT POLICY", () => {
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "policyc-test-real-"));
    chmodSync(work, 0o755);
    for (const p of [...EXAMPLES, "examples/redhat-host.policy"]) {
      const b = runCli(["build", p, "-o", tree(p), "-q"]);
      if (b.status !== 0) throw new Error(`build ${p}: ${b.stderr}`);
    }
  });
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it.each(EXAMPLES)("passes every assertion of %s on pamtester and sendmail -bt", (policy) => {
    const r = runCli(["test", "--real", tree(policy), policy, "--format", "json", "-q"]);
    expect(r.stderr).toBe("");
    const doc = JSON.parse(r.stdout);
    expect(doc.real).toBe(tree(policy));
    expect(doc.failed).toBe(0);
    expect(doc.assertions.length).toBeGreaterThanOrEqual(5);
    for (const a of doc.assertions) {
      expect(a.passed).toBe(true);
      expect(a.actual).toBe(a.expected);
      // The tools' own words: pamtester's, or check_rcpt's answer.
      if (a.expected === "allow") expect(a.output).toMatch(/account management done/);
      if (a.expected === "deny")
        expect(a.output).toMatch(/pamtester: (Authentication failure|Permission denied|User not known|Error in service module)/);
      if (a.expected === "refuse") expect(a.output).toMatch(/Relaying denied/i);
    }
    expect(r.status).toBe(0);
  });

  it("fails an assertion when the built tree answers otherwise (PC6011 at the assertion's line), though the model passes", () => {
    const out = tree("examples/cookbook.policy");
    writeFileSync(join(out, "etc/imapd.acl"), "bob\n"); // alice removed behind the policy's back
    appendFileSync(join(out, "etc/mail/access"), "Connect:198.51.100.7\tRELAY\n"); // and the refused client let relay
    const xml = join(work, "real.xml");
    const r = runCli(["test", "--real", out, "examples/cookbook.policy", "--junit", xml]);
    expect(r.status).toBe(1);
    const report = readFileSync(xml, "utf8");
    expect(report).toMatch(/<testsuite name="examples\/cookbook\.policy" tests="5" failures="2"/);
    expect(report).toMatch(
      /name="expect allow imapd user alice;"[^>]*line="26">\s*<failure message="Assertion failed on the real software: expected allow, but pamtester answered deny/,
    );
    expect(r.stdout).toMatch(/^FAIL {2}examples\/cookbook\.policy:26:1 {2}expect allow imapd user alice; {2}real deny$/m);
    expect(r.stdout).toMatch(
      /^FAIL {2}examples\/cookbook\.policy:29:1 {2}expect refuse relay from 198\.51\.100\.7 to victim@elsewhere\.example; {2}real accept$/m,
    );
    expect(r.stdout).toMatch(/^ok {4}examples\/cookbook\.policy:27:1 {2}expect deny imapd user mallory; {2}real deny$/m);
    expect(r.stderr).toMatch(
      /examples\/cookbook\.policy:26:1: error PC6011: Assertion failed on the real software: expected allow, but pamtester answered deny: /,
    );
    expect(r.stderr).toMatch(/examples\/cookbook\.policy:29:1: error PC6011: .*expected refuse, but sendmail -bt answered accept/);
    expect(r.stderr).toMatch(/2 of 5 assertions FAILED on the real software/);
    // The policy itself still passes on the model.
    expect(runCli(["test", "examples/cookbook.policy", "-q"]).status).toBe(0);
  });

  it("says where the decision procedure disagrees, and fails an assertion with sender (sendmail -bt has no session for it)", () => {
    const dir = join(work, "own");
    const base = `platform debian;
service sshd {
  acl user allow "/etc/ssh.users" {
    entries root;
  }
}
mail {
  domain mx.example.test;
  listen smtp;
}
`;
    mkdirSync(dir);
    writeFileSync(join(dir, "p.policy"), base);
    expect(runCli(["build", join(dir, "p.policy"), "-o", join(dir, "out"), "-q"]).status).toBe(0);
    writeFileSync(join(dir, "out/etc/ssh.users"), "root\nmallory\n"); // the tree lets mallory in
    writeFileSync(
      join(dir, "p.policy"),
      base + "expect allow sshd user mallory;\nexpect refuse relay to a@elsewhere.example sender b@mx.example.test;\n",
    );
    const r = runCli(["test", "--real", join(dir, "out"), join(dir, "p.policy"), "--format", "json"]);
    expect(r.status).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.assertions.map((a: Record<string, unknown>) => [a.actual, a.model, a.passed])).toEqual([
      ["allow", "deny", true],
      ["not run", "refuse", false],
    ]);
    expect(r.stderr).toMatch(/  real allow \(the decision procedure disagrees\)/);
    expect(doc.diagnostics.map((d: { code: string }) => d.code)).toEqual(["PC6001", "PC6011"]);
    expect(doc.assertions[1].output).toMatch(/sendmail -bt runs check_rcpt without an SMTP session: sender cannot be given to it/);
  });

  it("says what is missing and exits 2 (PC6012): not root; a tree of another platform; no built tree", () => {
    const asNobody = spawnSync(
      "setpriv",
      [
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        process.execPath,
        CLI,
        "test",
        "--real",
        tree("examples/site.policy"),
        "examples/site.policy",
        "-q",
      ],
      {
        cwd: ROOT,
        encoding: "utf8",
        env: { ...process.env, NO_COLOR: "1" },
      },
    );
    expect(asNobody.stderr).toMatch(
      /error PC6012: Cannot run the assertions on the real software: this machine lacks root \(pamtester runs in a private mount namespace/,
    );
    expect(asNobody.stdout).toBe("");
    expect(asNobody.status).toBe(2);
    const redhat = runCli(["test", "--real", tree("examples/redhat-host.policy"), "examples/redhat-host.policy", "-q"]);
    expect(redhat.stderr).toMatch(/PC6012: .*the tree is for platform redhat, this machine is debian: .*run --real on a redhat machine\./);
    expect(redhat.status).toBe(2);
    const none = runCli(["test", "--real", join(work, "nothing"), "examples/site.policy", "-q", "--format", "json"]);
    expect(none.status).toBe(2);
    expect(JSON.parse(none.stdout).diagnostics.map((d: { code: string }) => d.code)).toContain("PC6012");
  });
});
