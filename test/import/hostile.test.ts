/**
 * README "Importing a host": a host's files are someone else's. Binary
 * files, 10 MB lines, an .mc that redefines macros or changes m4's quotes,
 * pam.d lines with odd brackets, links out of the root and FIFOs: each is
 * a clear warning naming the file (and line), never a crash, a hang or a
 * policy its own parser refuses.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileText, runCli, tempDir } from "../helpers.js";
import { buildFiles, importRoot } from "./helpers.js";
import { put } from "./stock.js";

const MB10 = 10 * 1024 * 1024;

/** A root with these files; returns the import's findings and policy (which must parse: importRoot formats it). */
async function imported(files: Record<string, string | Buffer>) {
  const root = tempDir("policyc-import-hostile-");
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return { root, ...(await importRoot(root, "debian")) };
}
const codes = (findings: string[]) => findings.map((f) => f.split(" ")[1]);

/** A .mc policyc generated (Debian's stock .mc and one listen line): what the hostile lines are added to. */
const MC_HEAD = buildFiles("platform debian;\nmail { domain mx.example.test; listen smtp; }\n").get("etc/mail/sendmail.mc")!;
/** The line number of the n-th line added after MC_HEAD. */
const at = (n: number) => `etc/mail/sendmail.mc:${MC_HEAD.split("\n").length - 1 + n}`;

describe("import of hostile input: clear warnings, no crash", () => {
  it("binary and non-UTF-8 files are not read", async () => {
    const r = await imported({
      "etc/pam.d/imap": Buffer.from([0x61, 0x75, 0x74, 0x68, 0x00, 0x7f, 0x45, 0x4c, 0x46]),
      "etc/pam.d/pop3": Buffer.from("auth required pam_unix.so \xff\xfe\n", "latin1"),
      "etc/pam.d/smtp": "account required pam_listfile.so item=user sense=allow file=/etc/smtp.acl onerr=fail\n",
      "etc/smtp.acl": Buffer.from([0x00, 0x01, 0x02, 0x0a]),
    });
    expect(r.findings).toEqual([
      "- PC7006 etc/pam.d/imap is not imported: it is binary (it holds NUL bytes), not text.",
      "- PC7006 etc/pam.d/pop3 is not imported: it is not UTF-8 text.",
      "etc/pam.d/smtp:1 PC7006 etc/smtp.acl is not imported: it is binary (it holds NUL bytes), not text.",
    ]);
    expect(r.text).toContain("# Not imported: etc/pam.d/imap (it is binary (it holds NUL bytes), not text).");
    expect(r.text).toContain("etc/smtp.acl was not imported: give its entries here.");
  });

  it("10 MB lines: a pam.d rule, a list entry and an .mc line, each a warning with its line", async () => {
    const long = "a".repeat(MB10);
    const r = await imported({
      "etc/pam.d/imap": `auth required pam_unix.so\nauth required pam_env.so ${long}\naccount required pam_listfile.so item=user sense=allow file=/etc/imap.acl onerr=fail\n`,
      "etc/imap.acl": `alice\n${long}\nbob\n`,
      "etc/mail/sendmail.mc": `${MC_HEAD}define(\`confX', \`${long}')dnl\n`,
      "etc/mail/local-host-names": "mx.example.test\n",
    });
    expect(codes(r.findings).sort()).toEqual(["PC7001", "PC7002", "PC7004"]);
    expect(
      r.findings.some((f) => f.startsWith("etc/pam.d/imap:2 PC7001") && f.includes("Linux-PAM reads a line in pieces of 1023 bytes")),
    ).toBe(true);
    expect(r.findings.some((f) => f.startsWith("etc/imap.acl:2 PC7002") && f.includes("255 bytes or longer"))).toBe(true);
    expect(r.findings.some((f) => f.startsWith(`${at(1)} PC7004`))).toBe(true);
    // The policy holds the lines as comments, cut short, and the entries it could read.
    expect(r.text.length).toBeLessThan(20_000);
    expect(r.text).toContain("entries alice, bob;");
    expect(r.text).toMatch(/characters in all\)/);
  });

  it("a file larger than 16 MiB is not read at all", async () => {
    const r = await imported({ "etc/pam.d/imap": "#".repeat(17 * 1024 * 1024) + "\n" });
    expect(r.findings).toEqual([
      "- PC7006 etc/pam.d/imap is not imported: it is larger than 16 MiB, the most import reads of one file.",
      `- PC7007 Cannot import ${r.root}: it holds no etc/pam.d service file and no etc/mail/sendmail.mc.`,
    ]);
  });

  it("an .mc that redefines macros, changes the quotes or runs commands is read as text, never run", async () => {
    const marker = join(tempDir("policyc-import-marker-"), "ran");
    const r = await imported({
      "etc/mail/sendmail.mc": [
        MC_HEAD + "define(`FEATURE', `DAEMON_OPTIONS(`Port=2525')')dnl",
        "undefine(`TRUST_AUTH_MECH')dnl",
        `esyscmd(\`touch ${marker}')dnl`,
        "MY_OWN_MACRO(`x')dnl",
        "LOCAL_CONFIG",
        "O SomethingRaw=1",
        "changequote([,])dnl",
        "define([confAUTH_MECHANISMS], [PLAIN])dnl",
        "",
      ].join("\n"),
      "etc/mail/local-host-names": "mx.example.test\n",
    });
    const lines = r.findings.map((f) => f.split(" ").slice(0, 2).join(" "));
    expect(lines).toEqual(
      expect.arrayContaining([
        `${at(1)} PC7004`, // define(`FEATURE', ...)
        `${at(2)} PC7004`, // undefine(`TRUST_AUTH_MECH')
        `${at(3)} PC7004`, // esyscmd: m4's, not the stock .mc's
        `${at(4)} PC7003`, // unknown macro
        `${at(6)} PC7004`, // text m4 copies into the .cf
        `${at(7)} PC7004`, // changequote: the rest is not read
      ]),
    );
    expect(r.findings.find((f) => f.startsWith(`${at(1)} `))).toContain("it defines the macro FEATURE");
    expect(r.findings.find((f) => f.startsWith(`${at(2)} `))).toContain("it undefines the macro TRUST_AUTH_MECH");
    expect(r.findings.find((f) => f.startsWith(`${at(7)} `))).toContain("changequote changes how the rest of the file reads");
    // What came after changequote was not taken for a setting.
    expect(r.text).not.toContain("auth mechanisms PLAIN");
    expect(execFileSync("sh", ["-c", `test -e '${marker}' && echo ran || echo not`], { encoding: "utf8" }).trim()).toBe("not");
  });

  it("m4 quotes and parentheses that never close, nested 100,000 deep, stop the reading with a warning", async () => {
    const r = await imported({
      "etc/mail/sendmail.mc": MC_HEAD + "`".repeat(100_000) + "\n" + "FEATURE(" + "(".repeat(100_000) + "\n",
      "etc/mail/local-host-names": "mx.example.test\n",
    });
    expect(r.findings.some((f) => f.startsWith(`${at(1)} PC7004`) && f.includes("a quote that is never closed"))).toBe(true);
  });

  it("pam.d lines with odd brackets: each a warning and a comment, the other lines kept", async () => {
    const r = await imported({
      "etc/pam.d/imap": [
        "auth [success=1 default=ignore pam_unix.so", // control never closed
        "auth required pam_env.so [a b", // argument never closed
        "auth [success=ok]x pam_unix.so", // text glued to the bracket
        "auth [SUCCESS=ok] pam_unix.so", // a control libpam never matches
        "auth required pam_env.so odd]arg [x=\\]y] a[b",
        "account required pam_unix.so",
        "",
      ].join("\n"),
    });
    expect(r.findings.map((f) => f.split(" ").slice(0, 2).join(" "))).toEqual([
      "etc/pam.d/imap:1 PC7001",
      "etc/pam.d/imap:2 PC7001",
      "etc/pam.d/imap:3 PC7001",
      "etc/pam.d/imap:4 PC7001",
    ]);
    expect(r.findings[0]).toContain("the bracket opened at column 6 is never closed");
    expect(r.findings[3]).toContain("[SUCCESS=ok]");
    expect(r.text).toMatch(/auth +required pam_env\.so "odd\]arg" \[x=\\\]y\] "a\[b";/);
    expect(r.text).toContain("# etc/pam.d/imap:1: auth [success=1 default=ignore pam_unix.so");
    // The stack that remains builds; its odd arguments are one field each, as Linux-PAM read them.
    const built = compileText(r.text);
    expect(built.files?.find((f) => f.path === "etc/pam.d/imap")?.content).toContain("auth required pam_env.so [odd\\]arg] [x=\\]y] [a[b]");
  });

  it("a list file that is a link out of the root, and a FIFO, are never opened", async () => {
    const root = tempDir("policyc-import-hostile-");
    put(root, "etc/pam.d/imap", "account required pam_listfile.so item=user sense=allow file=/etc/imap.acl onerr=fail\n");
    symlinkSync("/etc/shadow", join(root, "etc/imap.acl"));
    execFileSync("mkfifo", [join(root, "etc/pam.d/pop3")]);
    const r = await importRoot(root, "debian");
    expect(r.findings).toEqual([
      "- PC7006 etc/pam.d/pop3 is not imported: it is not a regular file (a link, folder, FIFO or device is never read).",
      "etc/pam.d/imap:1 PC7006 etc/imap.acl is not imported: it is not a regular file (a link, folder, FIFO or device is never read).",
    ]);
  });

  it("the CLI: warnings with file:line, exit 1, nothing written; --allow-lossy writes the policy", () => {
    const root = tempDir("policyc-import-hostile-");
    put(root, "etc/pam.d/imap", "auth [success=1 pam_unix.so\naccount required pam_unix.so\n");
    const out = join(tempDir("policyc-import-out-"), "host.policy");
    const r = runCli(["import", "--root", root, "-o", out]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("etc/pam.d/imap:1:1: warning PC7001:");
    expect(r.stderr).not.toMatch(/at \w+ \(|node:internal/);
    const lossy = runCli(["import", "--root", root, "-o", out, "--allow-lossy"]);
    expect(lossy.status, lossy.stderr).toBe(0);
    const again = runCli(["check", out]);
    expect(again.status, again.stderr).toBe(0);
    // --format json: one document on stdout, its locations paths under the root; -o is then required.
    const json = runCli(["import", "--root", root, "-o", out, "--format", "json"]);
    expect(json.status).toBe(1);
    const doc = JSON.parse(json.stdout) as { diagnostics: Array<{ code: string; location: { file: string; line: number } }> };
    expect(doc.diagnostics.map((d) => [d.code, d.location.file, d.location.line])).toEqual([["PC7001", "etc/pam.d/imap", 1]]);
    const noOut = runCli(["import", "--root", root, "--format", "json"]);
    expect(noOut.status).toBe(2);
    expect(noOut.stderr).toContain("give -o POLICY");
  });

  it("list entries a policy would write otherwise, or refuses, are PC7002 and left out; the others stay", async () => {
    const r = await imported({
      "etc/pam.d/sshd": "account required pam_listfile.so item=rhost sense=deny file=/etc/ssh.hosts onerr=fail\n",
      "etc/ssh.hosts": "Bad.Example.\n2001:db8:0:0:1:0:0:1\n::ffff:192.0.2.1\n10.0.0.0/8\n\nok.example\n 192.0.2.9\n",
    });
    expect(r.findings.map((f) => f.split(" ").slice(0, 2).join(" "))).toEqual([
      "etc/ssh.hosts:1 PC7002",
      "etc/ssh.hosts:2 PC7002",
      "etc/ssh.hosts:3 PC7002",
      "etc/ssh.hosts:4 PC7002",
      "etc/ssh.hosts:7 PC7002",
    ]);
    expect(r.findings[0]).toContain("policyc writes it bad.example");
    expect(r.findings[1]).toContain("policyc writes it 2001:db8::1:0:0:1");
    expect(r.text).toContain("entries ok.example;");
  });
});
