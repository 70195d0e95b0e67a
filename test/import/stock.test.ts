/**
 * README "Importing a host", on real files no one here wrote: Debian 12's
 * stock pam.d files (each becomes a plain service, and builds back to the
 * very file), a stock file an administrator added a pam_listfile line to,
 * and Debian's stock sendmail.mc as sendmailconfig installs it: all import
 * with no warning. (Their behaviour on the real PAM and sendmail is
 * compared in test/e2e/import.e2e.test.ts.)
 */
import { describe, expect, it } from "vitest";
import { tempDir } from "../helpers.js";
import { buildFiles, headersAside, importRoot } from "./helpers.js";
import { put, stockMc, stockMissing, stockPamFiles } from "./stock.js";

const missing = stockMissing();
if (missing) console.warn(`\n*** SKIPPED: ${missing} ***\n`);

describe.skipIf(missing !== undefined)("import of Debian's stock files", () => {
  it("makes every stock pam.d file a plain service that builds back to the package's file", async () => {
    const files = stockPamFiles();
    const root = tempDir("policyc-import-stock-");
    for (const [name, content] of files) put(root, `etc/pam.d/${name}`, content);
    const imported = await importRoot(root);
    expect(imported.findings).toEqual([]);
    expect(imported.text).not.toContain("stack {");
    const built = buildFiles(imported.text);
    for (const [name, content] of files) {
      if (name === "other") {
        // Included by other services: left to the host, never written.
        expect(imported.text).toContain("etc/pam.d/other");
        expect(built.has("etc/pam.d/other")).toBe(false);
        continue;
      }
      expect(imported.text, name).toMatch(new RegExp(`^service ${name.replace(/-/g, "\\-")} \\{\\}$`, "m"));
      expect(headersAside(built.get(`etc/pam.d/${name}`)!), name).toBe(content);
    }
  });

  it("reads a pam_listfile line an administrator put into the stock sshd file as an acl of a plain service", async () => {
    const sshd = stockPamFiles().get("sshd")!;
    const edited = sshd.replace(
      "account    required     pam_nologin.so",
      "account required pam_listfile.so item=group sense=allow file=/etc/ssh.groups onerr=fail\naccount    required     pam_nologin.so",
    );
    expect(edited).not.toBe(sshd);
    const root = tempDir("policyc-import-stock-");
    put(root, "etc/pam.d/sshd", edited);
    put(root, "etc/ssh.groups", "sudo\nstaff\n");
    const imported = await importRoot(root);
    expect(imported.findings).toEqual([]);
    expect(imported.text).toContain("service sshd {\n  acl group allow /etc/ssh.groups {\n    entries sudo, staff;\n  }\n}");
    const built = buildFiles(imported.text);
    // The same rules in the same order; the generated file puts the line above the comment that precedes pam_nologin.
    const rules = (t: string) =>
      t
        .split("\n")
        .filter((l) => l.trim() && !l.trim().startsWith("#"))
        .map((l) => l.trim().split(/\s+/).join(" "));
    expect(rules(built.get("etc/pam.d/sshd")!)).toEqual(rules(edited));
    expect(built.get("etc/ssh.groups")).toBe("sudo\nstaff\n");
  });

  it("imports Debian's stock sendmail.mc without a warning: the listen sockets are its, the rest is the stock .mc", async () => {
    const root = tempDir("policyc-import-stock-");
    put(root, "etc/mail/sendmail.mc", stockMc());
    put(root, "etc/mail/local-host-names", "mx.example.test\n");
    const imported = await importRoot(root);
    expect(imported.findings).toEqual([]);
    expect(imported.text).toContain("listen smtp {\n    address 127.0.0.1;\n    name MTA-v4;\n  }");
    expect(imported.text).toContain("listen submission {\n    address 127.0.0.1;\n    name MSP-v4;\n    modifiers E, a;\n  }");
    expect(imported.text).toContain("include of /etc/mail/m4/dialup.m4 left out");
    expect(imported.text).not.toContain("greet pause");
    // No confAUTH_MECHANISMS: sendmail's default mechanisms, which the policy (no auth) does not offer; said in a comment.
    expect(imported.text).not.toMatch(/^\s*auth mechanisms/m);
    expect(imported.text).toMatch(/no confAUTH_MECHANISMS: sendmail offers its default [^\n]*this policy offers no AUTH/);
    buildFiles(imported.text);
  });
});
