import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
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

describe("expect assertions and policyc test", () => {
  const PASSING = policy({
    "ok.policy": `platform debian;
users admins = root, alice;
service sshd {
  acl user allow "/etc/ssh.users" { entries $admins; }
}
mail {
  domain mx.example.test;
  listen smtp;
  relay networks 10.1.0.0/16;
}
expect allow sshd user root from 10.0.0.5; # break-glass
expect deny sshd user mallory;
expect accept relay from 10.1.2.3 to someone@elsewhere.example;
expect refuse relay from 198.51.100.7 to victim@elsewhere.example;
`,
  });
  const FAILING = policy({
    "bad.policy": `platform debian;
users admins = alice;
service sshd {
  acl user allow "/etc/ssh.users" { entries $admins; }
}
expect allow sshd user root; # break-glass
expect deny sshd user mallory;
`,
  });

  it("passes every assertion of a policy that keeps them: exit 0, one line each", () => {
    const r = runCli(["test", PASSING]);
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split("\n")).toHaveLength(4);
    expect(r.stdout).toMatch(/^ok {4}.*ok\.policy:11:1 {2}expect allow sshd user root from 10\.0\.0\.5;$/m);
    expect(r.stderr).toContain("all 4 assertions passed");
  });

  it("reports a failed assertion as PC6001 at its line, in text, JSON and SARIF; exit 1", () => {
    const r = runCli(["test", FAILING]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/bad\.policy:6:1: error PC6001: Assertion failed: expected allow, but sshd would deny user root/);
    expect(r.stdout).toMatch(/^FAIL {2}.*bad\.policy:6:1/m);
    const j = JSON.parse(runCli(["test", FAILING, "--format", "json"]).stdout);
    expect(j.diagnostics.map((d: { code: string }) => d.code)).toContain("PC6001");
    expect(j.diagnostics.find((d: { code: string }) => d.code === "PC6001").location).toMatchObject({ line: 6, column: 1 });
    expect(j.assertions.map((a: { passed: boolean }) => a.passed)).toEqual([false, true]);
    expect([j.passed, j.failed]).toEqual([1, 1]);
    const s = JSON.parse(runCli(["test", FAILING, "--format", "sarif"]).stdout);
    const result = s.runs[0].results.find((x: { ruleId: string }) => x.ruleId === "PC6001");
    expect(result.locations[0].physicalLocation.region).toMatchObject({ startLine: 6, startColumn: 1 });
  });

  it("writes JUnit XML with one test case per assertion", () => {
    const out = join(tempDir("policyc-junit-"), "junit.xml");
    expect(runCli(["test", FAILING, "--junit", out, "-q"]).status).toBe(1);
    const xml = readFileSync(out, "utf8");
    expect(xml).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuites name="policyc test" tests="2" failures="1">/);
    expect(xml.match(/<testcase /g)).toHaveLength(2);
    expect(xml).toMatch(/<testcase [^>]*name="expect allow sshd user root;"[^>]*line="6">\n {6}<failure message="Assertion failed: /);
  });

  it("fails build and check when an assertion fails, writing nothing", () => {
    const out = join(tempDir("policyc-expect-build-"), "out");
    const b = runCli(["build", FAILING, "-o", out]);
    expect(b.status).toBe(1);
    expect(b.stderr).toContain("PC6001");
    expect(existsSync(out)).toBe(false);
    expect(runCli(["check", FAILING]).status).toBe(1);
    expect(runCli(["build", PASSING, "-o", out]).status).toBe(0);
  });

  it("formats assertions (fmt is idempotent on them)", () => {
    const file = policy({
      "f.policy":
        "platform debian;\nservice sshd { acl user allow /etc/u { entries root; } }\nexpect   allow sshd user   root groups wheel,adm   from 10.0.0.5 ;\n",
    });
    expect(runCli(["fmt", file]).status).toBe(0);
    const once = readFileSync(file, "utf8");
    expect(once).toContain("expect allow sshd user root groups wheel, adm from 10.0.0.5;\n");
    expect(runCli(["fmt", "--check", file]).status).toBe(0);
  });

  it("says when a policy has no assertions, exit 0", () => {
    const r = runCli(["test", policy({ "none.policy": "platform debian;\nservice sshd { acl user allow /etc/u { entries root; } }\n" })]);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain("has no expect assertions");
  });

  it("runs a top-level assertion on every host that has the service, naming the host that fails", () => {
    const file = policy({
      "hosts.policy": `platform debian;
host a { service sshd { acl user allow /etc/u { entries root; } } }
host b { service sshd { acl user allow /etc/u { entries alice; } } }
host c { }
expect allow sshd user root;
`,
    });
    const r = runCli(["test", file]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^ok {4}.*\(host a\)\nFAIL {2}.*\(host b\)\n$/);
    expect(r.stderr).toContain("Assertion failed on host b");
  });
});

describe("policyc who", () => {
  it("prints each service's lists as sets over the named lists, and the relay's rules", () => {
    const r = runCli(["who", SITE, "-q"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(
      "imapd (PAM service imap)\n  users: only $everyone\n    allow /etc/imapd.acl: $everyone (3 entries; onerr fail)\n",
    );
    expect(r.stdout).toContain("  remote hosts: anyone, but not 203.0.113.7\n");
    expect(r.stdout).toContain("  members of groups: only (wheel + root)\n");
    expect(r.stdout).toContain("  relays for clients in: 10.1.0.0/16 (65,536 addresses)\n");
    expect(r.stdout).toContain("  relays for anyone to: partner.example (and under it)\n");
  });

  it("answers one service or the relay, per host, and as JSON", () => {
    const one = runCli(["who", SITE, "sshd", "-q"]);
    expect(one.stdout).not.toContain("imapd");
    expect(one.stdout).not.toContain("relay");
    const j = JSON.parse(runCli(["who", SITE, "relay", "--format", "json"]).stdout);
    expect(j).toMatchObject({ format: "policyc-who", version: 1, services: [] });
    expect(j.mail[0]).toMatchObject({ relayNetworks: ["10.1.0.0/16"], relayAddresses: 65536, trustedMechanisms: ["PLAIN"] });
    expect(runCli(["who", SITE, "nosuch"]).status).toBe(2);
  });
});

describe("policyc report", () => {
  it("prints the access matrix (service x user) and the relay rules, as Markdown, CSV and JSON", () => {
    const m = runCli(["report", SITE, "-q"]);
    expect(m.status).toBe(0);
    expect(m.stdout).toContain(
      "| user | imapd | sshd |\n|---|---|---|\n| alice | allow | deny |\n| bob | allow | deny |\n| dave | allow | deny |\n| root | deny | allow |\n",
    );
    expect(m.stdout).toContain("| relay networks | 10.1.0.0/16 (65,536 addresses) |");
    const csv = runCli(["report", SITE, "--format", "csv"]).stdout.split("\n");
    expect(csv[0]).toBe("host,service,user,decision");
    expect(csv).toContain(",imapd,dave,allow");
    expect(csv).toContain(",imapd,root,deny");
    const j = JSON.parse(runCli(["report", SITE, "--format", "json"]).stdout);
    expect(j.format).toBe("policyc-report");
    expect(j.access).toContainEqual({ host: null, service: "sshd", user: "root", decision: "allow" });
    expect(j.relay[0].relayAddresses).toBe(65536);
  });
});
