import { cpSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compile } from "../../src/compile.js";
import { headerText } from "../../src/targets/header.js";
import { compileText, TEMPLATES, tempDir } from "../helpers.js";

const P = "platform debian;\n";
const file = (text: string, path: string) => compileText(text).files!.find((f) => f.path === path)!.content;

describe("target: pam", () => {
  it("puts pam_listfile lines in the account stack in policy order, with every parameter", () => {
    const pam = file(
      P +
        'service imap {\n acl group allow "/g" { entries wheel; }\n acl tty deny "/s" { apply @staff; onerr succeed; quiet; entries ttyS1; }\n}\n',
      "etc/pam.d/imap",
    );
    expect(pam.split("\n").filter((l) => !l.startsWith("#"))).toEqual([
      "@include common-auth",
      "account required pam_listfile.so item=group sense=allow file=/g onerr=fail",
      "account required pam_listfile.so item=tty sense=deny file=/s onerr=succeed apply=@staff quiet",
      "@include common-account",
      "@include common-password",
      "@include common-session",
      "",
    ]);
  });

  it("places the lists at `account acls;` in a custom stack, bracketing arguments with spaces", () => {
    const pam = file(
      P +
        'service ftp { stack { auth required pam_env.so envfile="/etc/my env" x="[y]"; account acls; account include common-account; }\n acl user deny "/f" { entries root; } }\n',
      "etc/pam.d/ftp",
    );
    expect(pam.split("\n").filter((l) => !l.startsWith("#"))).toEqual([
      "auth required pam_env.so [envfile=/etc/my env] [x=[y\\]]",
      "account required pam_listfile.so item=user sense=deny file=/f onerr=fail",
      "account include common-account",
      "",
    ]);
  });

  it("uses Red Hat's include stacks on platform redhat (a service without a stock file: password-auth)", () => {
    const pam = compileText('platform redhat;\nservice rsyncd { acl user allow "/u" { entries root; } }\n').files!.find(
      (f) => f.path === "etc/pam.d/rsyncd",
    )!.content;
    expect(pam).toContain(
      "auth       include      password-auth\n# /u: the user allow list at test.policy line 2.\naccount required pam_listfile.so",
    );
  });
});

describe("target: list files", () => {
  it("writes one entry per line and nothing else (pam_listfile has no comment syntax), newline-terminated, in policy order", () => {
    expect(file(P + 'service s { acl user allow "/etc/x.acl" { entries zed, alice, zed, "bob"; } }\n', "etc/x.acl")).toBe(
      "zed\nalice\nbob\n",
    );
  });

  it("names each list's policy file and line in a comment above its pam_listfile line, and in the manifest", () => {
    const r = compileText(P + '\nservice s {\n  acl user allow "/etc/x.acl" { entries alice; }\n}\n');
    const pam = r.files!.find((f) => f.path === "etc/pam.d/s")!.content.split("\n");
    const at = pam.indexOf("account required pam_listfile.so item=user sense=allow file=/etc/x.acl onerr=fail");
    expect(pam[at - 1]).toBe("# /etc/x.acl: the user allow list at test.policy line 4.");
    const list = r.files!.find((f) => f.path === "etc/x.acl")!;
    expect(list.origins.map((s) => s.file.position(s.start))).toEqual([{ line: 4, column: 18 }]);
  });
});

describe("target: sendmail", () => {
  const M =
    P +
    "mail { domain mx.example.test; listen smtp; listen 2525 { address ::1; name LOCAL6; modifiers E, a; } auth mechanisms CRAM-MD5; auth options noplaintext, noanonymous; relay authenticated; relay domains other.example; relay networks 10.1.0.0/16; accounts mailman; }\n";

  it("writes DAEMON_OPTIONS, AUTH settings and TRUST_AUTH_MECH from whitelisted tokens only", () => {
    const mc = file(M, "etc/mail/sendmail.mc");
    expect(mc).toContain(
      "DAEMON_OPTIONS(`Port=smtp, Name=MTA')dnl\nDAEMON_OPTIONS(`Port=2525, Addr=::1, Family=inet6, Name=LOCAL6, M=Ea')dnl\n",
    );
    expect(mc).toContain("define(`confAUTH_MECHANISMS', `CRAM-MD5')dnl\ndefine(`confAUTH_OPTIONS', `py')dnl\n");
    expect(mc).toContain("TRUST_AUTH_MECH(`CRAM-MD5')dnl\n");
    expect(mc).not.toContain("other.example");
    expect(mc).not.toContain("10.1");
  });

  it("keeps relay data in the access map and local names in local-host-names", () => {
    expect(file(M, "etc/mail/access").split("\n").slice(2)).toEqual(["To:other.example\tRELAY", "Connect:10.1\tRELAY", ""]);
    expect(file(M, "etc/mail/local-host-names").split("\n").slice(1)).toEqual(["mx.example.test", ""]);
  });

  it("writes the SASL config with the offered mechanisms and the expected accounts", () => {
    expect(file(M, "etc/mail/sasl/Sendmail.conf.2").split("\n").slice(2)).toEqual([
      "# SASL accounts the policy expects, in the realm mx.example.test (confAUTH_REALM in sendmail.mc);",
      "# clients log in as NAME or NAME@mx.example.test. Create each with: saslpasswd2 -c -u mx.example.test NAME",
      "#   mailman",
      "pwcheck_method: auxprop",
      "auxprop_plugin: sasldb",
      "mech_list: CRAM-MD5",
      "",
    ]);
  });
});

describe("target: sendmail STARTTLS", () => {
  it("defines the certificate and key for server and client, and the CAs when given", () => {
    const mc = file(
      P +
        "mail { domain d.example; listen smtp; tls certificate /etc/ssl/certs/mail.pem; tls key /etc/ssl/private/mail.key; tls ca /etc/ssl/certs/ca.pem; tls ca-path /etc/ssl/certs; }\n",
      "etc/mail/sendmail.mc",
    );
    expect(mc).toContain(
      "define(`confSERVER_CERT', `/etc/ssl/certs/mail.pem')dnl\ndefine(`confSERVER_KEY', `/etc/ssl/private/mail.key')dnl\n" +
        "define(`confCLIENT_CERT', `/etc/ssl/certs/mail.pem')dnl\ndefine(`confCLIENT_KEY', `/etc/ssl/private/mail.key')dnl\n" +
        "define(`confCACERT', `/etc/ssl/certs/ca.pem')dnl\ndefine(`confCACERT_PATH', `/etc/ssl/certs')dnl\n",
    );
  });

  it("needs certificate, key, CA file and CA folder together (sendmail starts TLS only with all four), as plain absolute paths", () => {
    expect(
      compileText(P + "mail { domain d.example; listen smtp; tls certificate /etc/c.pem; }\n")
        .diagnostics.sorted()
        .map((d) => d.message),
    ).toEqual(['STARTTLS needs "tls key".', 'STARTTLS needs "tls ca".', 'STARTTLS needs "tls ca-path".']);
    const CA = "tls ca /etc/ssl/certs/ca-certificates.crt; tls ca-path /etc/ssl/certs;";
    expect(
      compileText(P + `mail { domain d.example; listen smtp; tls certificate "/etc/my cert.pem"; tls key /k; ${CA} }\n`)
        .diagnostics.sorted()
        .map((d) => d.code),
    ).toEqual(["PC3010"]);
    expect(
      compileText(P + `mail { domain d.example; listen smtp; tls certificate /etc/ssl/dnl.pem; tls key /k; ${CA} }\n`)
        .diagnostics.sorted()
        .map((d) => d.code),
    ).toEqual(["PC3029"]);
  });
});

describe("templates", () => {
  it("can be overridden by a site's own folder", () => {
    const dir = tempDir();
    cpSync(TEMPLATES, dir, { recursive: true });
    writeFileSync(join(dir, "debian/pam.d/service"), "# {{header}}\n# site template\n{{acls}}\n");
    const r = compile("t.policy", new TextEncoder().encode(P + 'service s { acl user allow "/f" { entries a; } }\n'), { templates: dir });
    expect(
      r
        .files!.find((f) => f.path === "etc/pam.d/s")!
        .content.split("\n")
        .slice(1),
    ).toEqual([
      "# site template",
      "# /f: the user allow list at t.policy line 2.",
      "account required pam_listfile.so item=user sense=allow file=/f onerr=fail",
      "",
    ]);
  });

  it("refuses a site template that leaves out the access lists or the stack", () => {
    const dir = tempDir();
    cpSync(TEMPLATES, dir, { recursive: true });
    writeFileSync(join(dir, "debian/pam.d/service"), "# {{header}}\n@include common-account\n");
    const r = compile("t.policy", new TextEncoder().encode(P + 'service s { acl user allow "/f" { entries root; } }\n'), {
      templates: dir,
    });
    expect(r.files).toBeUndefined();
    expect(r.diagnostics.sorted().map((d) => `${d.code} ${d.message.replaceAll(dir, "DIR")}`)).toEqual([
      "PC5006 Template DIR/debian/pam.d/service has no {{acls}}, but the policy has lines for it; they would be left out.",
    ]);
  });

  it("reports an unknown placeholder and a missing template as errors, writing nothing", () => {
    const dir = tempDir();
    cpSync(TEMPLATES, dir, { recursive: true });
    writeFileSync(join(dir, "debian/pam.d/service"), "# {{header}}\n{{acl_lines}}\n");
    const r = compile("t.policy", new TextEncoder().encode(P + "service s { }\nservice t { template nope; }\n"), { templates: dir });
    expect(r.files).toBeUndefined();
    expect(r.diagnostics.sorted().map((d) => `${d.code} ${d.message.replaceAll(dir, "DIR")}`)).toEqual([
      "PC5002 Template DIR/debian/pam.d/service line 2 has an unknown placeholder {{acl_lines}}; known: header, service, pam_service, acls, stack.",
      "PC5001 Template DIR/debian/pam.d/nope is missing: no such file.",
    ]);
  });
});

describe("headers", () => {
  it("name the policy path, with characters unsafe in pam.d or m4 replaced", () => {
    expect(headerText("site/a.policy")).toBe("Generated by policyc from site/a.policy. Do not edit: change the policy and rebuild.");
    expect(headerText("x\ndnl`'\\.policy")).toBe("Generated by policyc from x?dnl???.policy. Do not edit: change the policy and rebuild.");
  });
});
