import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, tempDir } from "./helpers.js";

/** README "Command line": policyc explain, as a user runs it. */
function policy(files: Record<string, string>): string {
  const dir = tempDir("policyc-explain-");
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return join(dir, Object.keys(files)[0]!);
}

const SITE = policy({
  "site.policy": `platform debian;
include "lists/staff.policy";
users everyone = $staff, dave;
service imapd {
  pam imap;
  acl user allow "/etc/imapd.acl" { entries $everyone; }
  acl rhost deny "/etc/banned.hosts" { entries 203.0.113.7; }
}
service sshd {
  acl group allow "/etc/ssh.groups" { entries wheel, root; }
}
mail {
  domain mx.example.test;
  listen smtp;
  auth mechanisms PLAIN;
  auth options noplaintext;
  relay authenticated;
  relay domains partner.example;
  relay networks 10.1.0.0/16;
}
`,
  "lists/staff.policy": "users staff = alice, bob;\n",
});

const json = (stdout: string) => JSON.parse(stdout) as { answers: Array<Record<string, unknown>>; ok: boolean };

describe("policyc explain", () => {
  it("allows a listed user, naming the entry, the named lists and the include file they came from", () => {
    const r = runCli(["explain", SITE, "imapd", "alice", "-q"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^imapd \(PAM service imap\), user alice: ALLOW \(PAM_SUCCESS\)$/m);
    expect(r.stdout).toContain('matched entry "alice" at ');
    expect(r.stdout).toMatch(/lists\/staff\.policy:1:15 via \$everyone \(.*site\.policy:3:7\) -> \$staff \(.*lists\/staff\.policy:1:7\)/);
  });

  it("denies an unlisted user, exit 1, with the deciding line of the generated pam.d file", () => {
    const r = runCli(["explain", SITE, "imapd", "mallory", "-q"]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/user mallory: DENY \(PAM_AUTH_ERR\)/);
    expect(r.stdout).toMatch(/^=> \/etc\/pam\.d\/imap:\d+ {2}required pam_listfile\.so: PAM_AUTH_ERR, bad$/m);
    expect(r.stdout).toContain("no entry matched");
  });

  it("compares the remote host, and a deny list refuses a listed one", () => {
    expect(runCli(["explain", SITE, "imapd", "dave", "--rhost", "203.0.113.7", "-q"]).status).toBe(1);
    expect(runCli(["explain", SITE, "imapd", "dave", "--rhost", "203.0.113.8", "-q"]).status).toBe(0);
  });

  it("checks group membership with the groups given, and the stock sshd stack's pam_nologin", () => {
    expect(runCli(["explain", SITE, "sshd", "carol", "--groups", "carol,wheel", "-q"]).status).toBe(0);
    expect(runCli(["explain", SITE, "sshd", "carol", "-q"]).status).toBe(1);
    const nologin = runCli(["explain", SITE, "sshd", "carol", "--groups", "wheel", "--nologin", "-q"]);
    expect(nologin.status).toBe(1);
    expect(nologin.stdout).toMatch(/decided: \/etc\/pam\.d\/sshd line \d+ \(pam_nologin\.so\)/);
    expect(runCli(["explain", SITE, "sshd", "root", "--nologin", "--groups", "root", "-q"]).status).toBe(0);
  });

  it("answers a user not in passwd and a missing list file as pam_unix and onerr=fail do", () => {
    const ghost = json(runCli(["explain", SITE, "imapd", "alice", "--unknown-user", "--format", "json"]).stdout);
    // pam_unix's PAM_USER_UNKNOWN is ignored by common-account's bracket control; pam_deny then refuses.
    expect(ghost.answers[0]).toMatchObject({ decision: "deny", status: "PAM_ACCT_EXPIRED" });
    const missing = json(runCli(["explain", SITE, "imapd", "alice", "--missing", "/etc/imapd.acl", "--format", "json"]).stdout);
    expect(missing.answers[0]!.status).toBe("PAM_SERVICE_ERR");
  });

  it("prints one JSON document with the trace", () => {
    const r = runCli(["explain", SITE, "imapd", "bob", "--format", "json"]);
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.format).toBe("policyc-explain");
    expect(doc.version).toBe(1);
    expect(doc.ok).toBe(true);
    const acl = doc.answers[0].steps[0].acl;
    expect(acl).toMatchObject({ item: "user", sense: "allow", file: "/etc/imapd.acl", compared: "bob" });
    expect(acl.matched.value).toBe("bob");
    expect(acl.lists.map((l: { name: string }) => l.name)).toEqual(["everyone", "staff"]);
    expect(acl.matched.location).toMatchObject({ line: 1, column: 22 });
  });

  it("answers relay questions with the rule and the policy line", () => {
    const cases: Array<[string[], number, string]> = [
      [["someone@partner.example"], 0, "relay domain"],
      [["someone@sub.partner.example"], 0, "relay domain"],
      [["postmaster@mx.example.test"], 0, "local domain"],
      [["victim@elsewhere.example", "--client", "198.51.100.7"], 1, "no rule"],
      [["victim@elsewhere.example", "--client", "10.1.2.3"], 0, "relay network"],
      [["victim@elsewhere.example", "--auth", "PLAIN"], 0, "trusted mechanism"],
      [["user%elsewhere.example@mx.example.test"], 1, "no rule"],
    ];
    for (const [args, status, rule] of cases) {
      const r = runCli(["explain", SITE, "relay", ...args, "--format", "json"]);
      expect({ args, status: r.status }).toEqual({ args, status });
      expect(json(r.stdout).answers[0]!.rule).toBe(rule);
    }
    const human = runCli(["explain", SITE, "relay", "someone@partner.example", "-q"]);
    expect(human.stdout).toMatch(
      /ACCEPT \(relay domain\)\ndecided: partner\.example is relay domain partner\.example \(.*site\.policy:18:17\)/,
    );
  });

  it("refuses wrong usage with exit 2", () => {
    for (const args of [
      ["explain", SITE],
      ["explain", SITE, "imapd"],
      ["explain", SITE, "nosuch", "alice"],
      ["explain", SITE, "relay", "a@b", "--rhost", "x"],
      ["explain", SITE, "imapd", "alice", "--client", "1.2.3.4"],
      ["explain", SITE, "imapd", "alice", "--host", "mx1"],
    ]) {
      const r = runCli(args);
      expect({ args, status: r.status }).toEqual({ args, status: 2 });
      expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    }
  });

  it("exits 1 with the policy's errors and answers nothing", () => {
    const bad = policy({ "bad.policy": "platform debian;\nservice x { acl user allow /etc/x { entries $nope; } }\n" });
    const r = runCli(["explain", bad, "x", "alice"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("PC2011");
    expect(r.stdout).toBe("");
  });
});
