import { describe, expect, it } from "vitest";
import { compileText, diagnosticsOf } from "../helpers.js";

const P = "platform debian;\n";

describe("check: names", () => {
  it("rejects a list defined twice and points at the first", () => {
    const r = compileText(P + "users a = x;\nusers a = y;\n");
    const d = r.diagnostics.sorted();
    expect(d.map((x) => `${x.code} ${x.message}`)).toEqual(['PC2001 List "a" is defined more than once.']);
    expect(d[0]!.related![0]!.span!.file.position(d[0]!.related![0]!.span!.start)).toEqual({ line: 2, column: 7 });
  });

  it("rejects a service defined twice", () => {
    expect(diagnosticsOf(P + "service s { }\nservice s { }\n")).toEqual(['3:9 PC2002 Service "s" is defined more than once.']);
  });

  it("rejects two services writing the same PAM service file", () => {
    expect(diagnosticsOf(P + "service telnet { pam login; }\nservice login { }\n")).toEqual([
      '3:9 PC2003 Services "telnet" and "login" both use PAM service "login" and would both write /etc/pam.d/login.',
    ]);
  });

  it("rejects a list of another kind where entries are expected", () => {
    expect(diagnosticsOf(P + 'groups g = wheel;\nservice s { acl user allow "/f" { entries $g; } }\n')).toEqual([
      '3:43 PC2005 List "g" is a groups list, but item=user takes users.',
    ]);
  });

  it("warns when a literal looks like a misspelt list name", () => {
    expect(diagnosticsOf(P + 'users mail_staff = a;\nservice s { acl user allow "/f" { entries mail_staf; } }\n')).toEqual([
      '3:43 PC2006 "mail_staf" is a literal user name; did you mean the list $mail_staff?',
    ]);
  });

  it("rejects lists that include each other", () => {
    expect(diagnosticsOf(P + "users a = $b;\nusers b = $a;\n")).toEqual(['2:7 PC2009 List "a" includes itself: a -> b -> a.']);
  });

  it("expands lists of lists in order and drops duplicates", () => {
    const r = compileText(P + 'users a = x, y;\nusers b = y, $a, z;\nservice s { acl user allow "/f" { entries $b, x; } }\n');
    expect(r.model!.services[0]!.acls[0]!.entries.values()).toEqual(["y", "x", "z"]);
  });

  it("rejects a platform set twice or not at all", () => {
    expect(diagnosticsOf("platform debian;\nplatform redhat;\n")).toEqual(["2:1 PC2007 The platform is set more than once."]);
    expect(diagnosticsOf("users a = b;\n")).toEqual([
      '1:1 PC3002 The policy does not name its platform; add "platform debian;" or "platform redhat;".',
    ]);
    expect(diagnosticsOf("platform solaris;\n")).toEqual(['1:10 PC3001 Unknown platform "solaris"; expected one of: debian, redhat.']);
  });
});

describe("check: access lists", () => {
  const svc = (acl: string) => P + `service s {\n  ${acl}\n}\n`;

  it("rejects an unknown item, sense or onerr", () => {
    expect(diagnosticsOf(svc('acl usr allow "/f" { entries a; }'))).toEqual([
      '3:7 PC3005 Unknown access list item "usr"; expected one of: user, tty, rhost, ruser, group, shell (did you mean "user"?).',
    ]);
    expect(diagnosticsOf(svc('acl user permit "/f" { entries a; }'))).toEqual([
      '3:12 PC3006 Unknown sense "permit"; expected "allow" or "deny".',
    ]);
    expect(diagnosticsOf(svc('acl user allow "/f" { onerr ignore; entries a; }'))).toEqual([
      '3:31 PC3007 onerr takes "succeed" or "fail", not "ignore".',
    ]);
  });

  it("rejects apply where pam_listfile ignores it", () => {
    expect(diagnosticsOf(svc('acl user allow "/f" { apply @staff; entries a; }'))).toEqual([
      "3:25 PC3008 pam_listfile ignores apply with item=user: apply only restricts tty and rhost lists.",
    ]);
    // The module reads the user for item=shell too, and drops apply there (seen on the real Linux-PAM).
    expect(diagnosticsOf(svc('acl shell allow "/f" { apply @staff; entries /bin/sh; }'))).toEqual([
      "3:26 PC3008 pam_listfile ignores apply with item=shell: apply only restricts tty and rhost lists.",
    ]);
  });

  it("accepts apply with tty and rhost", () => {
    expect(diagnosticsOf(svc('acl tty deny "/f" { apply @staff; entries tty1; }'))).toEqual([]);
    expect(diagnosticsOf(svc('acl rhost deny "/f" { apply alice; entries bad.example; }'))).toEqual([]);
  });

  it("requires entries, and calls an allow list without them a lockout", () => {
    expect(diagnosticsOf(svc('acl user allow "/f" { onerr fail; }'))).toEqual([
      "3:3 PC4001 This allow list has no entries: pam_listfile would deny everyone.",
    ]);
    expect(diagnosticsOf(svc('acl user deny "/f" { }'))).toEqual(['3:3 PC3009 The access list for /f needs "entries".']);
  });

  it("rejects unknown and repeated settings", () => {
    expect(diagnosticsOf(svc('acl user allow "/f" { entires a; }'))).toEqual(
      [
        '3:25 PC3003 Unknown setting "entires" in the access list for /f; expected one of: onerr, apply, entries or quiet (did you mean "entries"?).',
        "3:3 PC4001 This allow list has no entries: pam_listfile would deny everyone.",
      ].sort((a, b) => parseInt(a.split(":")[1]!) - parseInt(b.split(":")[1]!)),
    );
    expect(diagnosticsOf(svc('acl user allow "/f" { onerr fail; onerr fail; entries a; }'))).toEqual([
      '3:37 PC2004 "onerr" is set more than once in the access list for /f.',
    ]);
  });

  it("rejects list file paths that are relative or climb", () => {
    expect(diagnosticsOf(svc('acl user allow "etc/f" { entries a; }'))).toEqual(['3:18 PC3027 List file "etc/f" is not an absolute path.']);
    expect(diagnosticsOf(svc('acl user allow "/etc/../f" { entries a; }'))).toEqual([
      '3:18 PC3027 List file "/etc/../f" must not contain "." or ".." components.',
    ]);
  });

  it("rejects entries of the wrong shape for the item", () => {
    expect(diagnosticsOf(svc('acl rhost deny "/f" { entries 10.0.0.0/8; }'))).toEqual([
      '3:33 PC3010 "10.0.0.0/8" is not a valid host: it is a network, but pam_listfile compares the remote host exactly; list single hosts or addresses.',
    ]);
    expect(diagnosticsOf(svc('acl shell allow "/f" { entries bash; }'))).toEqual([
      '3:34 PC3010 "bash" is not a valid login shell: a login shell is an absolute path such as /bin/bash.',
    ]);
  });

  it("rejects entries that pam_listfile could never match", () => {
    expect(diagnosticsOf(svc('acl user allow "/f" { entries "alice "; }'))).toEqual([
      '3:33 PC3023 Entry "alice " has leading or trailing white space; pam_listfile compares exactly, so it would never match.',
    ]);
    expect(diagnosticsOf(svc('acl user allow "/f" { entries ""; }'))).toEqual([
      "3:33 PC3022 Empty entry: pam_listfile skips empty lines, so it can never match.",
    ]);
    expect(diagnosticsOf(svc('acl user allow "/f" { entries "a\\nb"; }'))).toEqual([
      "3:33 PC3024 Entry has a control character (U+000A); it would corrupt the list file.",
    ]);
  });

  it("warns that onerr succeed fails open", () => {
    expect(diagnosticsOf(svc('acl user allow "/f" { onerr succeed; entries a; }'))).toEqual([
      "3:25 PC4002 onerr succeed fails open: if /f is missing or unreadable, everyone is let in.",
    ]);
  });

  it("rejects two lists writing one file with different entries, and merges identical ones", () => {
    const twoFiles = P + 'service a { acl user allow "/f" { entries x; } }\nservice b { acl user allow "/f" { entries y; } }\n';
    expect(diagnosticsOf(twoFiles)).toEqual([
      '3:28 PC3011 /f is written by the access list of service "a" and by the access list of service "b" with different content.',
    ]);
    const same = P + 'service a { acl user allow "/f" { entries x; } }\nservice b { acl user allow "/f" { entries x; } }\n';
    expect(compileText(same).files!.filter((f) => f.path === "f")).toHaveLength(1);
  });

  it("refuses to replace PAM files that other services include", () => {
    expect(diagnosticsOf(P + "service x { pam common-auth; }\n")).toEqual([
      '2:17 PC3010 "common-auth" is not a valid PAM service name: other services include /etc/pam.d/common-auth, so a policy must not replace it.',
    ]);
  });
});

describe("check: custom stacks", () => {
  it("validates types, controls and arguments", () => {
    expect(
      diagnosticsOf(
        P +
          'service s { stack { auht required pam_unix.so; auth maybe pam_unix.so; auth [success=ok] pam_x.so; auth required pam_x.so "a#b"; } }\n',
      ),
    ).toEqual([
      '2:21 PC3014 Unknown PAM type "auht"; expected auth, account, password or session.',
      '2:53 PC3015 Invalid PAM control "maybe": expected required, requisite, sufficient, optional, include, substack or [value=action ...].',
      "2:123 PC3010 \"a#b\" is not a valid PAM module argument: pam.d ends the line at '#', even inside an argument.",
    ]);
  });

  it("only accepts account acls as a two-word line", () => {
    expect(diagnosticsOf(P + "service s { stack { auth acls; } }\n")).toEqual([
      '2:21 PC3016 A two-word stack line must be "account acls;", which places the access lists.',
    ]);
  });
});

describe("check: mail", () => {
  const mail = (body: string) => P + `mail {\n${body}\n}\n`;

  it("requires a domain and a listening socket", () => {
    expect(diagnosticsOf(mail("auth mechanisms SCRAM-SHA-256;"))).toEqual([
      '2:1 PC3009 The mail block needs "domain".',
      '2:1 PC3018 The mail block has no "listen": sendmail would not accept mail.',
    ]);
  });

  it("rejects unknown mechanisms and trusting what is not offered", () => {
    expect(diagnosticsOf(mail("domain d.example; listen smtp; auth mechanisms CRAM-MD6;"))).toEqual([
      '3:48 PC3012 Unknown SASL mechanism "CRAM-MD6"; expected one of: PLAIN, LOGIN, CRAM-MD5, DIGEST-MD5, SCRAM-SHA-1, SCRAM-SHA-256, GSSAPI, EXTERNAL, NTLM, OTP, ANONYMOUS.',
    ]);
    expect(diagnosticsOf(mail("domain d.example; listen smtp; auth mechanisms SCRAM-SHA-1; relay authenticated DIGEST-MD5;"))).toEqual([
      '3:81 PC3013 Mechanism "DIGEST-MD5" is trusted for relaying but not offered; add it to "auth mechanisms".',
    ]);
    expect(diagnosticsOf(mail("domain d.example; listen smtp; relay authenticated;"))).toEqual([
      '3:32 PC3020 "relay authenticated" needs "auth mechanisms" to offer SMTP AUTH.',
    ]);
  });

  it("rejects networks with host bits and sockets with the same name", () => {
    expect(diagnosticsOf(mail("domain d.example; listen smtp; relay networks 10.1.2.3/16;"))).toEqual([
      '3:47 PC3010 "10.1.2.3/16" is not a valid network: it has host bits set; the network is 10.1.0.0/16.',
    ]);
    expect(diagnosticsOf(mail("domain d.example; listen smtp; listen 25;"))).toEqual([
      '3:39 PC3017 Two listen sockets are named "MTA"; sendmail needs a unique name for each.',
    ]);
  });

  it("rejects unknown sub-settings with a suggestion", () => {
    expect(diagnosticsOf(mail("domain d.example; listen smtp; relay domain x.example;"))).toEqual([
      '3:38 PC3003 Unknown setting "relay domain" in the mail block; expected one of: relay authenticated, relay domains or relay networks (did you mean "relay domains"?).',
    ]);
  });

  it("turns CIDR networks into the octet prefixes sendmail matches", () => {
    const r = compileText(mail("domain d.example; listen smtp; relay networks 10.0.0.0/8, 192.0.2.0/23, 198.51.100.7;"));
    expect(r.model!.mail!.relayNetworks.map((n) => n.prefix)).toEqual(["10", "192.0.2", "192.0.3", "198.51.100.7"]);
  });
});
