/**
 * README "Common mistakes" and "Command line": what a user who writes a habit
 * of another language, or mistypes a command, sees from the CLI.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { NETBASE_VERSION } from "../src/check/etcServices.js";
import { runCli, tempDir } from "./helpers.js";

interface Json {
  diagnostics: { code: string; message: string; location: { line: number; column: number } | null }[];
}

/** `policyc check - --format json` on a policy text: the diagnostics as `line:col CODE message`. */
function check(text: string): string[] {
  const r = runCli(["check", "-", "--format", "json"], { input: `platform debian;\n${text}\n` });
  const doc = JSON.parse(r.stdout) as Json;
  return doc.diagnostics.map((d) => `${d.location ? `${d.location.line}:${d.location.column} ` : ""}${d.code} ${d.message}`);
}

describe("cli manners: syntax mistakes are answered with what to write", () => {
  it.each([
    ["servcie imapd { }", '2:1 PC1020 Unknown statement "servcie"; did you mean "service"?'],
    ["mial { }", '2:1 PC1020 Unknown statement "mial"; did you mean "mail"?'],
    ["user staff = alice;", '2:1 PC1020 Unknown statement "user"; did you mean "users"?'],
    ["host h { platfrom debian; }", '2:10 PC1020 Unknown statement "platfrom"; did you mean "platform"?'],
    ["service s { stak { auth required pam_unix.so; } }", '2:13 PC1020 Unknown keyword "stak" in a service block; did you mean "stack"?'],
    ['service s { alc user allow "/f" { entries a; } }', '2:13 PC1020 Unknown keyword "alc" in a service block; did you mean "acl"?'],
    ["mail { lisen smtp { name x; } }", '2:8 PC1020 Unknown keyword "lisen" in a mail block; did you mean "listen"?'],
    ["users staff = 'alice';", '2:15 PC1021 Single quotes do not make a string in a policy; write "alice" in double quotes.'],
    ["users staff = o'brien;", "2:16 PC1021 Single quotes do not make a string in a policy; write the value in double quotes."],
    ["// staff", '2:1 PC1022 "//" does not start a comment in a policy; comments start with "#" and run to the end of the line.'],
    [
      "users a = b; // staff",
      '2:14 PC1022 "//" does not start a comment in a policy; comments start with "#" and run to the end of the line.',
    ],
    [
      "/* staff\n */ users a = b;",
      '2:1 PC1022 "/*" does not start a comment in a policy; comments start with "#" and run to the end of the line.',
    ],
    [
      'service s { acl user "/f" { entries a; } }',
      '2:13 PC1023 An access list is written acl ITEM SENSE FILE { ... }, as in acl user allow "/etc/ssh.acl" { entries alice; }; expected allow or deny after the item "user".',
    ],
    [
      "service s { acl user allow { entries a; } }",
      '2:13 PC1023 An access list is written acl ITEM SENSE FILE { ... }, as in acl user allow "/etc/ssh.acl" { entries alice; }; the list file is missing after "allow".',
    ],
    [
      'service s { acl deny "/f" { entries a; } }',
      '2:13 PC1023 An access list is written acl ITEM SENSE FILE { ... }, as in acl user allow "/etc/ssh.acl" { entries alice; }; the item (user, group, rhost, ...) is missing before "deny".',
    ],
    ["users a = b, c\ngroups g = d;", '2:15 PC1024 Missing ";" after "c": every statement, setting and stack line ends with ";".'],
    ["service s { pam imap }", '2:21 PC1024 Missing ";" after "imap": every statement, setting and stack line ends with ";".'],
    ["service s { pam imap; };", '2:24 PC1025 A block ends at its "}"; remove this ";".'],
    ["mail { domain = a.example; }", '2:15 PC1026 A setting takes no "=": write domain VALUE; instead.'],
    ["users staff: alice;", '2:14 PC1027 A list is defined with "=" after its name: write users staff = VALUE, ...; instead.'],
    ["include lists.policy;", '2:9 PC1028 include takes its path in double quotes: write include "lists.policy"; instead.'],
    ["users a = b, c,;", '2:15 PC1029 A list does not end with ","; remove it or add the value that is missing.'],
  ])("%s", (text, expected) => {
    expect(check(text)).toEqual([expected]);
  });

  it("keeps PC1001, with the expected tokens, for what matches no common mistake", () => {
    expect(check("users a = b c;")).toEqual(['2:13 PC1001 Unexpected word "c"; expected "," or ";".']);
  });

  it("suggests settings inside blocks, a swap of two letters counting as one typo", () => {
    expect(check("service s { pma imap; }")).toEqual([
      '2:13 PC3003 Unknown setting "pma" in service "s"; expected one of: pam or template (did you mean "pam"?).',
    ]);
    expect(check('service s { acl user allow "/f" { entires a; } }')[1]).toBe(
      '2:35 PC3003 Unknown setting "entires" in the access list for /f; expected one of: onerr, apply, entries or quiet (did you mean "entries"?).',
    );
  });

  it("does not take a path or a value for a comment", () => {
    expect(check('users a = "//x";\nshells s = //bin/sh;')).toEqual([]);
  });
});

describe("cli manners: commands and options", () => {
  it("answers a swapped command or option with the closest one", () => {
    expect(runCli(["chekc", "x"]).stderr).toContain('unknown command "chekc"; did you mean check?');
    expect(runCli(["check", "--fromat", "json", "x"]).stderr).toContain('unknown option "--fromat" for check; did you mean --format?');
  });
});

describe("cli manners: listen ports are checked against the target's /etc/services", () => {
  const mail = (port: string) => `mail { domain mx.example.org; listen ${port}; }`;

  it("refuses a name /etc/services does not know, with the closest one, in check (not only in verify)", () => {
    const source = `Debian 12's /etc/services (netbase ${NETBASE_VERSION})`;
    expect(check(mail("smpt"))).toEqual([
      `2:38 PC3070 Port "smpt" is not a TCP service name in ${source}, where sendmail looks it up (did you mean "smtp"?); write a port number from 1 to 65535 or a name the file has.`,
    ]);
    expect(check(mail("frobnitz"))[0]).toMatch(/^2:38 PC3070 Port "frobnitz" is not .*looks it up; write a port number/);
    const r = runCli(["build", "-", "-o", join(tempDir(), "out")], { input: `platform debian;\n${mail("smpt")}\n` });
    expect(r.status).toBe(1);
  });

  it("takes port numbers from 1 to 65535 and the names and aliases of the file", () => {
    for (const port of ["smtp", "submission", "25", "587", "65535", "2525"]) expect(check(mail(port)), port).toEqual([]);
    for (const port of ["0", "65536"])
      expect(
        check(mail(port)).some((d) => d.includes("PC3010")),
        port,
      ).toBe(true);
  });

  it("checks a Red Hat policy against the same table, and says so", () => {
    const r = runCli(["check", "-", "--format", "json"], { input: `platform redhat;\n${mail("smpt")}\n` });
    expect(r.stdout).toContain("which stands in for Red Hat's");
  });
});

describe("cli manners: diff --root must be a readable folder", () => {
  const policy =
    'platform debian;\nusers staff = alice;\nservice imapd {\n  pam imap;\n  acl user allow "/etc/imapd.acl" { entries $staff; }\n}\n';

  it("reports a missing root as unreadable input (PC5060, exit 2), not as drift", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "site.policy"), policy);
    const r = runCli(["diff", "site.policy", "--root", "no/such/root"], { cwd: dir });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("policyc: error PC5060: Cannot compare with the deployed root no/such/root: no such file.\n");
    expect(r.stdout).toBe("");
    const json = runCli(["diff", "site.policy", "--root", "no/such/root", "--format", "json"], { cwd: dir });
    expect(json.status).toBe(2);
    expect(JSON.parse(json.stdout).diagnostics.map((d: { code: string }) => d.code)).toEqual(["PC5060"]);
  });

  it("refuses a root that is a file, and one it may not read (as a user other than root)", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "site.policy"), policy);
    expect(runCli(["diff", "site.policy", "--root", "site.policy"], { cwd: dir }).stderr).toContain(": it is not a folder.");
    if (process.getuid?.() !== 0) {
      mkdirSync(join(dir, "locked"), { mode: 0o000 });
      const r = runCli(["diff", "site.policy", "--root", "locked"], { cwd: dir });
      expect([r.status, r.stderr]).toEqual([
        2,
        "policyc: error PC5060: Cannot compare with the deployed root locked: permission denied.\n",
      ]);
    }
  });

  it("still reports drift, exit 1, under an empty root that exists", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "site.policy"), policy);
    mkdirSync(join(dir, "root"));
    const r = runCli(["diff", "site.policy", "--root", "root"], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("has drifted from the policy: 2 missing.");
  });
});
