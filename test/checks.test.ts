/**
 * README "Deploying a fleet with Ansible": build writes the policy's expect
 * assertions as OUT/.policyc/checks.json (schemas/checks.schema.json), one
 * check per assertion and host, in the shapes of the role's variables; an
 * assertion a live host cannot be asked is listed under skipped, with why.
 */
import { chmodSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { schemaErrors } from "./documents.js";
import { ROOT, runCli, tempDir } from "./helpers.js";

const checksOf = (out: string) => JSON.parse(readFileSync(join(out, ".policyc/checks.json"), "utf8"));

describe("build: .policyc/checks.json", () => {
  it.each(["examples/fleet/fleet.policy", "examples/cookbook.policy", "examples/site.policy", "examples/redhat-host.policy"])(
    "%s: valid against the schema, one check per assertion and host",
    (policy) => {
      const out = tempDir();
      expect(runCli(["build", policy, "-o", out, "-q"]).status).toBe(0);
      const doc = checksOf(out);
      expect(schemaErrors("checks", doc)).toEqual([]);
      const tested = JSON.parse(runCli(["test", policy, "--format", "json"]).stdout).assertions;
      expect(doc.checks.length + doc.skipped.length).toBe(tested.length);
    },
  );

  it("fleet: PAM checks by PAM service name with the assertion's items, relay checks on the mail hosts only", () => {
    const out = tempDir();
    expect(runCli(["build", "examples/fleet/fleet.policy", "-o", out, "-q"]).status).toBe(0);
    const doc = checksOf(out);
    expect([doc.format, doc.version, doc.hosts, doc.skipped]).toEqual(["policyc-checks", 1, ["mx1", "mx2", "shell1"], []]);
    expect(doc.checks.filter((c: { host: string }) => c.host === "mx1")).toEqual([
      {
        host: "mx1",
        text: "expect allow sshd user alice groups alice, wheel;",
        source: { file: "examples/fleet/fleet.policy", line: 67, column: 1 },
        kind: "pam",
        service: "sshd",
        user: "alice",
        expect: "allow",
        op: "acct_mgmt",
        groups: ["alice", "wheel"],
      },
      {
        host: "mx1",
        text: "expect deny sshd user mallory groups mallory;",
        source: { file: "examples/fleet/fleet.policy", line: 68, column: 1 },
        kind: "pam",
        service: "sshd",
        user: "mallory",
        expect: "deny",
        op: "acct_mgmt",
        groups: ["mallory"],
      },
      {
        host: "mx1",
        text: "expect refuse relay from 198.18.0.9 to victim@elsewhere.example;",
        source: { file: "examples/fleet/fleet.policy", line: 69, column: 1 },
        kind: "relay",
        client: "198.18.0.9",
        rcpt: "<victim@elsewhere.example>",
        auth: "",
        expect: "refused",
      },
    ]);
    expect(doc.checks.filter((c: { kind: string }) => c.kind === "relay").map((c: { host: string }) => c.host)).toEqual(["mx1", "mx2"]);
  });

  it("a policy without hosts: host null; a service's PAM name; sender and socket are skipped with the reason", () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, "p.policy"),
      `platform debian;
service imapd {
  pam imap;
  acl user allow "/etc/imapd.acl" { entries root, alice; }
}
mail {
  domain mx.example.test;
  listen smtp;
}
expect allow imapd user alice from 192.0.2.7 tty pts/1;
expect refuse relay from 203.0.113.5 name c.example.org to someone@example.org;
expect refuse relay to someone@example.org sender a@b.example;
`,
    );
    const r = runCli(["build", "p.policy", "-o", "out", "-q"], { cwd: dir });
    expect(r.status, r.stderr).toBe(0);
    const doc = checksOf(join(dir, "out"));
    expect(schemaErrors("checks", doc)).toEqual([]);
    expect(doc.hosts).toBeNull();
    expect(doc.checks).toMatchObject([
      { host: null, kind: "pam", service: "imap", user: "alice", rhost: "192.0.2.7", tty: "pts/1", expect: "allow" },
      { host: null, kind: "relay", client: "203.0.113.5", client_name: "c.example.org", rcpt: "<someone@example.org>", expect: "refused" },
    ]);
    expect(doc.skipped).toEqual([
      {
        host: null,
        text: "expect refuse relay to someone@example.org sender a@b.example;",
        source: { file: "p.policy", line: 12, column: 1 },
        reason: "sendmail -bt runs check_rcpt without an SMTP session: sender cannot be given to it",
      },
    ]);
  });

  it("is not a deployed file: the manifest does not list it", () => {
    const out = tempDir();
    expect(runCli(["build", join(ROOT, "examples/cookbook.policy"), "-o", out, "-q"]).status).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out, ".policyc/manifest.json"), "utf8"));
    expect(manifest.files.map((f: { path: string }) => f.path)).not.toContain(".policyc/checks.json");
  });

  it("build --check: a stale, missing or mode-changed checks.json is out of date like any file (diff, exit 1); build brings it back", () => {
    const out = tempDir();
    const policy = join(ROOT, "examples/site.policy");
    const checks = join(out, ".policyc/checks.json");
    const check = () => runCli(["build", policy, "-o", out, "--check"]);
    expect(runCli(["build", policy, "-o", out, "-q"]).status).toBe(0);
    const built = readFileSync(checks, "utf8");
    const clean = check();
    expect(clean.status).toBe(0);
    expect(clean.stderr).toContain("is up to date (16 files)");

    writeFileSync(checks, built.replace('"expect": "allow"', '"expect": "deny"'));
    const stale = check();
    expect(stale.status, stale.stderr).toBe(1);
    expect(stale.stdout).toMatch(
      /^diff a\/\.policyc\/checks\.json b\/\.policyc\/checks\.json\n--- a\/\.policyc\/checks\.json\n\+\+\+ b\/\.policyc\/checks\.json\n@@ /,
    );
    expect(stale.stdout).toContain('-      "expect": "deny",\n+      "expect": "allow",');
    expect(stale.stderr).toContain("1 file differs; run policyc build to update it.");
    const json = JSON.parse(runCli(["build", policy, "-o", out, "--check", "--format", "json"]).stdout);
    expect(json.changes.map((c: { path: string; kind: string }) => [c.path, c.kind])).toEqual([[".policyc/checks.json", "modify"]]);

    rmSync(checks);
    const missing = check();
    expect(missing.status).toBe(1);
    expect(missing.stdout).toMatch(/^diff a\/\.policyc\/checks\.json b\/\.policyc\/checks\.json\nnew file mode 100644\n/);

    expect(runCli(["build", policy, "-o", out, "-q"]).status).toBe(0);
    expect(readFileSync(checks, "utf8")).toBe(built);
    chmodSync(checks, 0o600);
    const mode = check();
    expect(mode.status).toBe(1);
    expect(mode.stdout).toContain("old mode 100600\nnew mode 100644");
    expect(runCli(["build", policy, "-o", out, "-q"]).status).toBe(0);
    expect(check().status).toBe(0);
    // The manifest keeps its own handling: not compared (build's record, rewritten by every build).
    writeFileSync(join(out, ".policyc/manifest.json"), readFileSync(join(out, ".policyc/manifest.json"), "utf8") + "\n");
    expect(check().status).toBe(0);
  });
});
