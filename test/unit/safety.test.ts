import { describe, expect, it } from "vitest";
import { compileText, diagnosticsOf, codesOf } from "../helpers.js";

const P = "platform debian;\n";
const mail = (body: string) => P + `mail {\n  domain mx.example.test;\n  listen smtp;\n  auth mechanisms SCRAM-SHA-256;\n${body}\n}\n`;
const codes = codesOf;

describe("check: no open relay (PC4101)", () => {
  it("rejects relaying for 0.0.0.0/0 and for networks wider than /8", () => {
    expect(diagnosticsOf(mail("  relay networks 0.0.0.0/0;"))).toEqual([
      "6:18 PC4101 Open relay: relaying for every client in 0.0.0.0/0 lets the whole Internet relay without authentication.",
    ]);
    expect(diagnosticsOf(mail("  relay networks 64.0.0.0/2;"))).toEqual([
      "6:18 PC4101 Open relay: relaying for every client in 64.0.0.0/2 lets 2^30 addresses relay without authentication.",
    ]);
  });

  it("rejects it through a named list too", () => {
    expect(codes(P + "networks everywhere = 0.0.0.0/0;\n" + mail("  relay networks $everywhere;").slice(P.length))).toEqual(["PC4101"]);
  });

  it("rejects relaying to a whole top-level domain", () => {
    expect(diagnosticsOf(mail("  relay domains com;"))).toEqual([
      '6:17 PC4101 Open relay: relaying to "com" relays for anyone to every address under that top-level domain.',
    ]);
  });

  it("rejects trusting ANONYMOUS", () => {
    expect(codes(P + "mail { domain d.example; listen smtp; auth mechanisms ANONYMOUS; relay authenticated; }\n")).toEqual(["PC4101"]);
  });

  it("is silent on authenticated relaying, a /8 and real domains", () => {
    expect(codes(mail("  relay authenticated;\n  relay networks 11.0.0.0/8;\n  relay domains partner.example.org;"))).toEqual([]);
  });

  it("lets a visible unsafe clause allow it, as a warning that keeps the reason", () => {
    expect(diagnosticsOf(mail('  relay networks 0.0.0.0/0;\n  unsafe PC4101 "isolated lab, no route to the Internet";'))).toEqual([
      "6:18 PC4100 Allowed by unsafe (isolated lab, no route to the Internet): PC4101 Open relay: relaying for every client in 0.0.0.0/0 lets the whole Internet relay without authentication.",
    ]);
  });

  it("reports an unsafe clause that overrides nothing, and a malformed one", () => {
    expect(diagnosticsOf(mail('  unsafe PC4101 "just in case";'))).toEqual(["6:3 PC4103 unsafe PC4101 overrides nothing in this block."]);
    expect(diagnosticsOf(mail("  unsafe PC4002 because;"))).toEqual([
      `6:3 PC4104 unsafe takes the code of a check that can be overridden (PC4101, PC4102, PC4105, PC4115, or a warning's code) and a reason in quotes, e.g. unsafe PC4101 "lab network";.`,
    ]);
  });
});

describe("check: access lists cannot be bypassed (PC4102)", () => {
  const stack = (lines: string) => P + `service s {\n  stack {\n${lines}\n  }\n  acl user allow "/f" { entries root; }\n}\n`;

  it("rejects sufficient, include and jumps before the lists in the account stack", () => {
    expect(diagnosticsOf(stack("    account sufficient pam_localuser.so;\n    account acls;"))).toEqual([
      '4:5 PC4102 The account line "account sufficient pam_localuser.so" comes before the access lists and can end the account stack early or jump, so a request could skip them; move "account acls;" above it.',
    ]);
    expect(codes(stack("    account include common-account;\n    account acls;"))).toEqual(["PC4102"]);
    expect(codes(stack("    account [success=1 default=ignore] pam_unix.so;\n    account acls;"))).toEqual(["PC4102"]);
  });

  it("is silent when the lists come first, or when only required lines precede them", () => {
    expect(codes(stack("    account acls;\n    account sufficient pam_localuser.so;"))).toEqual([]);
    expect(codes(stack("    auth sufficient pam_rootok.so;\n    account required pam_time.so;\n    account acls;"))).toEqual([]);
    expect(codes(stack("    account include common-account;"))).toEqual([]); // no marker: lists go first
  });

  it("always puts the lists in the account stack, which key-based logins still run", () => {
    const pam = compileText(stack("    auth include common-auth;\n    session include common-session;")).files!.find(
      (f) => f.path === "etc/pam.d/s",
    )!;
    expect(pam.content).toMatch(/^account required pam_listfile\.so item=user/m);
  });
});

describe("check: access list warnings", () => {
  it("warns when an allow list on a login service names no administrator (PC4003)", () => {
    expect(diagnosticsOf(P + 'service sshd { acl user allow "/f" { entries alice; } }\n')).toEqual([
      '2:16 PC4003 This allow list on the login service "sshd" names no administrator (root): one mistake in it locks out the people who could fix it.',
    ]);
    expect(codes(P + 'service sshd { acl group allow "/f" { entries developers; } }\n')).toEqual(["PC4003"]);
  });

  it("is silent when the list names root or an admin group, or the service is not a login service", () => {
    expect(codes(P + 'service sshd { acl user allow "/f" { entries alice, root; } }\n')).toEqual([]);
    expect(codes(P + 'service sshd { acl group allow "/f" { entries wheel; } }\n')).toEqual([]);
    expect(codes(P + 'service imapd { pam imap; acl user allow "/f" { entries alice; } }\n')).toEqual([]);
  });
});

describe("check: mechanism warnings", () => {
  const auth = (mechs: string, extra = "") => P + `mail { domain d.example; listen smtp; auth mechanisms ${mechs}; ${extra} }\n`;

  it("warns about plaintext mechanisms unless encryption is required (PC4004)", () => {
    expect(codes(auth("PLAIN, LOGIN"))).toEqual(["PC4004", "PC4004"]);
    expect(
      codes(
        auth(
          "PLAIN, LOGIN",
          "auth options noplaintext; tls certificate /etc/c.pem; tls key /etc/k.pem; tls ca /etc/ca.pem; tls ca-path /etc;",
        ),
      ),
    ).toEqual([]);
  });

  it("warns about DIGEST-MD5 (PC4005) and CRAM-MD5 (PC4006)", () => {
    expect(codes(auth("DIGEST-MD5, CRAM-MD5"))).toEqual(["PC4005", "PC4006"]);
  });

  it("warns when noplaintext leaves only plaintext mechanisms and no STARTTLS certificate (PC4008)", () => {
    expect(codes(auth("PLAIN, LOGIN", "auth options noplaintext;"))).toEqual(["PC4008"]);
    expect(
      codes(
        auth(
          "PLAIN",
          "auth options noplaintext; tls certificate /etc/ssl/mail.pem; tls key /etc/ssl/private/mail.key; tls ca /etc/ssl/certs/ca-certificates.crt; tls ca-path /etc/ssl/certs;",
        ),
      ),
    ).toEqual([]);
  });

  it("warns about mechanisms saslauthd cannot verify (PC4007)", () => {
    expect(codes(auth("SCRAM-SHA-256", "auth backend saslauthd;"))).toEqual(["PC4007"]);
    expect(
      codes(
        auth(
          "PLAIN",
          "auth backend saslauthd; auth options noplaintext; tls certificate /etc/c.pem; tls key /etc/k.pem; tls ca /etc/ca.pem; tls ca-path /etc;",
        ),
      ),
    ).toEqual([]);
  });
});

describe("check: list files", () => {
  it("rejects entries of 255 bytes or more (PC3028)", () => {
    const long = "a".repeat(255);
    expect(diagnosticsOf(P + `service s { acl user deny "/f" { entries ${long}; } }\n`)).toEqual([
      "2:42 PC3028 Entry is 255 bytes long; Linux-PAM before 1.6 cuts list lines at 255 bytes and would read the rest as another entry.",
    ]);
    expect(codes(P + `service s { acl user deny "/f" { entries ${"a".repeat(254)}; } }\n`)).toEqual([]);
  });

  it("rejects list files inside /etc/pam.d and paths two objects claim", () => {
    expect(codes(P + 'service s { acl user deny "/etc/pam.d/users" { entries a; } }\n')).toEqual(["PC3027"]);
    expect(codes(P + 'service s { acl user deny "/etc/x.acl" { entries a; } acl ruser deny "/etc/x.acl" { entries b; } }\n')).toEqual([
      "PC3011",
    ]);
  });
});

describe("targets: m4 never sees a macro name", () => {
  it("rejects socket names and ports that hold an m4 or sendmail-cf macro word (PC3029)", () => {
    expect(diagnosticsOf(P + "mail { domain d.example; listen smtp { name dnl; } }\n")).toEqual([
      '2:26 PC3029 Socket name "dnl" would reach m4 text with the word "dnl", which m4 or sendmail-cf defines as a macro and would expand.',
    ]);
    expect(codes(P + "mail { domain d.example; listen smtp { name MTA-divert; } }\n")).toEqual(["PC3029"]);
    // A port name reaches m4 only when /etc/services knows it, and none of its names is a macro word: esyscmd stops at PC3070.
    expect(codes(P + "mail { domain d.example; listen esyscmd; }\n")).toEqual(["PC3070"]);
    expect(codes(P + "mail { domain d.example; listen smtp { name MAILER; } }\n")).toEqual(["PC3029"]);
  });

  it("accepts names that merely contain a builtin's letters, and data that is a builtin's name", () => {
    const r = compileText(
      P +
        'users u = include, divert;\nservice s { acl user allow "/etc/dnl.acl" { entries $u, root; } }\nmail { domain mx.example, dnl.example, index.example; listen smtp { name MTAdnl; } relay domains define.example; accounts include; auth mechanisms SCRAM-SHA-256; }\n',
    );
    expect(r.diagnostics.sorted().map((d) => d.code)).toEqual([]);
    const mc = r.files!.find((f) => f.path === "etc/mail/sendmail.mc")!.content;
    expect(mc).toContain("Name=MTAdnl");
    expect(mc).not.toMatch(/dnl\.example|index\.example|define\.example/);
  });
});
