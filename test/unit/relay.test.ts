/**
 * README "Safety checks" (PC4101, PC4015, PC4110) and "Inside mail" (listen
 * smtps, domains, accounts): what a user sees from `policyc check` on a
 * policy, and the bytes it generates. The real sendmail side is in
 * test/e2e/relay-*.e2e.test.ts.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FOREIGN_FILES } from "../../src/check/rules/ForeignListFileRule.js";
import { compileText, diagnosticsOf, codesOf } from "../helpers.js";

const P = "platform debian;\n";
const mail = (body: string) => P + `mail {\n  domain mx.example.test;\n  listen smtp;\n  auth mechanisms SCRAM-SHA-256;\n${body}\n}\n`;
const codes = codesOf;
const file = (text: string, path: string) => compileText(text).files!.find((f) => f.path === path)!.content;
const TLS = "  tls certificate /etc/ssl/mx.pem;\n  tls key /etc/ssl/mx.key;\n  tls ca /etc/ssl/ca.pem;\n  tls ca-path /etc/ssl/certs;";

const ipv4 = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");

/** A network of /8 to /16 at a random place (host bits zero). */
const network = fc.tuple(fc.integer({ min: 8, max: 16 }), fc.integer({ min: 0, max: 0xffff })).map(([len, hi]) => {
  const block = hi & ~((1 << (16 - len)) - 1) & 0xffff;
  return { text: `${ipv4(block * 65536)}/${len}`, first: block, blocks: 2 ** (16 - len) };
});

/** The oracle: addresses covered, counted by /16 blocks in a bitmap (every network here is a whole number of /16s). */
function covered(nets: { first: number; blocks: number }[]): number {
  const seen = new Uint8Array(65536);
  for (const n of nets) seen.fill(1, n.first, n.first + n.blocks);
  return seen.reduce((a, b) => a + b, 0) * 65536;
}

describe("relay networks: PC4101 on the union (2^25 addresses, a /7's worth)", () => {
  it("rejects two /8s that make a /7, where each alone passes", () => {
    expect(diagnosticsOf(mail("  relay networks 10.0.0.0/8, 11.0.0.0/8;"))).toEqual([
      "6:18 PC4015 Relay network 10.0.0.0/8 holds all of the RFC 1918 private range 10.0.0.0/8: behind NAT, a published container port or a proxy every client can appear to come from there, and would relay without authentication.",
      "6:30 PC4101 Open relay: the relay networks 10.0.0.0/8, 11.0.0.0/8 together cover 33,554,432 addresses, a /7's worth (2^25) or more, all of which may relay without authentication.",
    ]);
    expect(codes(mail("  relay networks 11.0.0.0/8;"))).toEqual([]);
  });

  it("counts overlapping networks once, and says how many more got it there", () => {
    expect(codes(mail("  relay networks 11.0.0.0/8, 11.1.0.0/16, 11.128.0.0/9;"))).toEqual([]);
    const many = Array.from({ length: 128 }, (_, i) => `${i + 1}.0.0.0/10`).join(", ");
    expect(diagnosticsOf(mail(`  relay networks ${many};`)).filter((d) => d.includes("PC4101"))).toEqual([
      expect.stringContaining(
        "Open relay: the relay networks 1.0.0.0/10, 2.0.0.0/10, 3.0.0.0/10 and 5 more together cover 33,554,432 addresses",
      ),
    ]);
  });

  it("fires exactly when the union of generated networks reaches 2^25 addresses (fast-check)", () => {
    fc.assert(
      fc.property(fc.array(network, { minLength: 1, maxLength: 12 }), (nets) => {
        const open = covered(nets) >= 2 ** 25;
        const got = codes(mail(`  relay networks ${nets.map((n) => n.text).join(", ")};`)).filter((c) => c === "PC4101");
        expect(got).toEqual(open ? ["PC4101"] : []);
      }),
      { numRuns: 400 },
    );
  });

  it("is overridden like every PC4101, visibly", () => {
    expect(codes(mail('  relay networks 10.0.0.0/8, 11.0.0.0/8;\n  unsafe PC4101 "two lab /8s behind a firewall";'))).toEqual([
      "PC4015",
      "PC4100",
    ]);
  });
});

describe("relay networks: PC4015 on ranges NAT and containers make clients appear from", () => {
  it("warns for a whole private or carrier-grade NAT range and for the container gateways, saying why", () => {
    expect(diagnosticsOf(mail("  relay networks 172.17.0.0/16;"))).toEqual([
      "6:18 PC4015 Relay network 172.17.0.0/16 holds 172.17.0.1, the gateway of Docker's default bridge, where docker-proxy connects from for a published port: behind NAT, a published container port or a proxy every client can appear to come from there, and would relay without authentication.",
    ]);
    for (const n of ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "10.88.0.0/16", "10.88.0.1"]) {
      expect(codes(mail(`  relay networks ${n};`)), n).toEqual(["PC4015"]);
    }
  });

  it("is silent for a site's own subnet of a private range", () => {
    for (const n of ["10.20.0.0/16", "192.168.1.0/24", "172.20.0.0/16", "100.64.1.0/24", "192.0.2.0/24"]) {
      expect(codes(mail(`  relay networks ${n};`)), n).toEqual([]);
    }
  });
});

describe("relay domains: PC4101 on public suffixes (Public Suffix List, tldts)", () => {
  it("rejects suffixes from the ICANN and the private sections, written in any case or with a trailing dot", () => {
    expect(diagnosticsOf(mail("  relay domains co.uk;"))).toEqual([
      '6:17 PC4101 Open relay: "co.uk" is a public suffix (the ICANN section of the Public Suffix List): anyone can register a name under it, so relaying to it relays for anyone.',
    ]);
    expect(diagnosticsOf(mail("  relay domains github.io;"))).toEqual([
      '6:17 PC4101 Open relay: "github.io" is a public suffix (the private section of the Public Suffix List): anyone can register a name under it, so relaying to it relays for anyone.',
    ]);
    for (const d of ["com.au", "CO.UK", "co.uk.", "blogspot.com", "com"])
      expect(codes(mail(`  relay domains ${d};`)), d).toEqual(["PC4101"]);
  });

  const suffix = fc.constantFrom("co.uk", "com.au", "github.io", "org", "ac.jp", "gov.br", "s3.amazonaws.com", "herokuapp.com", "com");
  // Registered names under the suffix. A bare short label can itself be a
  // suffix's first label ("br" + "com": br.com is in the private section), so
  // the generated names carry a prefix no PSL entry has.
  const label = fc.stringMatching(/^[a-z][a-z0-9]{0,10}$/).map((l) => `policyc-${l}`);

  it("rejects every generated public suffix and accepts a name registered under it (fast-check)", () => {
    fc.assert(
      fc.property(suffix, label, (s, l) => {
        expect(codes(mail(`  relay domains ${s};`))).toEqual(["PC4101"]);
        expect(codes(mail(`  relay domains ${l}.${s};`))).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });
});

describe("trusting EXTERNAL: PC4101", () => {
  it("rejects trusting EXTERNAL, and accepts offering it untrusted", () => {
    const text =
      P +
      `mail {\n  domain mx.example.test;\n  listen smtp;\n  auth mechanisms EXTERNAL, SCRAM-SHA-256;\n  relay authenticated;\n${TLS}\n}\n`;
    expect(diagnosticsOf(text)).toEqual([
      '5:19 PC4101 Open relay: trusting EXTERNAL lets every client whose certificate verifies against "tls ca" or "tls ca-path" relay, with no account at all, and the policy cannot say which certificates may.',
    ]);
    expect(codes(text.replace("relay authenticated;", "relay authenticated SCRAM-SHA-256;"))).toEqual([]);
  });
});

describe("list files other programs read: PC4110", () => {
  const acl = (item: string, sense: string, path: string) => P + `service imapd {\n  acl ${item} ${sense} "${path}" { entries root; }\n}\n`;

  it("rejects a list over sendmail's relay-domains or the password database, naming the owner and the harm", () => {
    expect(diagnosticsOf(acl("user", "allow", "/etc/mail/relay-domains"))).toEqual([
      "3:18 PC4110 List file /etc/mail/relay-domains is sendmail's; writing an access list over it would feed sendmail data it reads with another meaning (every name in relay-domains may relay). Choose a file of its own, such as /etc/imapd.acl.",
    ]);
    expect(diagnosticsOf(acl("user", "deny", "/etc/shadow"))).toEqual([
      "3:17 PC4110 List file /etc/shadow is the password database; writing an access list over it would destroy every password and lock everyone out. Choose a file of its own, such as /etc/imapd.acl.",
    ]);
  });

  it("rejects every path of the table, folders and prefixes included", () => {
    for (const f of FOREIGN_FILES) {
      const path =
        f.match === "exact"
          ? f.path
          : f.path.startsWith("/.")
            ? `/root${f.path}authorized_keys`
            : f.match === "folder"
              ? `${f.path}x`
              : `${f.path}tab`;
      expect(codes(acl("user", "allow", path)), path).toEqual(["PC4110"]);
    }
    for (const p of [
      "/etc/shadow-",
      "/etc/sudoers.d/admins",
      "/etc/cron.allow",
      "/etc/crontab",
      "/home/alice/.ssh/authorized_keys",
      "/etc/security/limits.d/x.conf",
      "/etc/aliases.db",
    ]) {
      expect(codes(acl("user", "allow", p)), p).toEqual(["PC4110"]);
    }
  });

  it("accepts the FTP daemons' deny lists as deny lists of users only", () => {
    expect(codes(acl("user", "deny", "/etc/ftpusers"))).toEqual([]);
    expect(codes(acl("user", "deny", "/etc/vsftpd/ftpusers"))).toEqual([]);
    expect(codes(acl("user", "allow", "/etc/ftpusers"))).toEqual(["PC4110"]);
    expect(codes(acl("group", "deny", "/etc/ftpusers"))).toEqual(["PC4110"]);
  });

  it("accepts files of their own, in /etc/security too", () => {
    for (const p of [
      "/etc/imapd.acl",
      "/etc/security/ssh.groups",
      "/etc/security/mail.users",
      "/etc/mailusers",
      "/etc/groups.allow",
      "/etc/passwd.d/x",
    ]) {
      expect(codes(acl("user", "allow", p)), p).toEqual([]);
    }
  });
});

describe("listen smtps: TLS from the first byte", () => {
  const withTls = (listen: string) => P + `mail {\n  domain mx.example.test;\n  ${listen}\n${TLS}\n}\n`;

  it("adds modifier s to port 465 by any of its names", () => {
    for (const port of ["smtps", "465", "submissions"]) {
      const mc = file(withTls(`listen ${port};`), "etc/mail/sendmail.mc");
      expect(mc, port).toContain(`DAEMON_OPTIONS(\`Port=${port}, Name=SMTPS, M=s')dnl`);
    }
    expect(file(withTls("listen 465 { modifiers s; }"), "etc/mail/sendmail.mc")).toContain("Port=465, Name=SMTPS, M=s')dnl");
  });

  it("keeps explicit modifiers that include s, and refuses ones that lack it", () => {
    expect(file(withTls("listen smtps { modifiers E, s; }"), "etc/mail/sendmail.mc")).toContain("Port=smtps, Name=SMTPS, M=Es')dnl");
    expect(diagnosticsOf(withTls("listen 465 { modifiers E; }"))).toEqual([
      '4:16 PC3040 Port 465 is SMTPS, where clients start TLS at once, but its modifiers lack "s": sendmail would speak plain text there; add s to the modifiers.',
    ]);
  });

  it("needs the tls settings for any socket with modifier s", () => {
    expect(diagnosticsOf(P + "mail {\n  domain mx.example.test;\n  listen smtps;\n}\n")).toEqual([
      '4:10 PC3041 The socket "SMTPS" speaks SMTPS (modifier s), which needs "tls certificate", "tls key", "tls ca" and "tls ca-path"; without them no client could connect.',
    ]);
    expect(codes(P + "mail { domain mx.example.test; listen 2465 { modifiers s; } }\n")).toEqual(["PC3041"]);
    expect(codes(P + "mail { domain mx.example.test; listen smtp; }\n")).toEqual([]);
  });

  it("warns about a socket that requires AUTH in a mail block that offers none (PC3083)", () => {
    expect(codes(P + "mail { domain mx.example.test; listen smtp; listen submission { modifiers E, a; } }\n")).toEqual(["PC3083"]);
    expect(codes(P + "mail { domain mx.example.test; listen submission { modifiers a; } auth mechanisms PLAIN; }\n")).not.toContain(
      "PC3083",
    );
  });
});

describe("mail domains as sendmail compares them", () => {
  it("drops a trailing dot and folds case in local-host-names, the access map and the realm", () => {
    const text =
      P +
      "mail {\n  domain MX.Example.Test., mx.example.test, other.example.;\n  listen smtp;\n  auth mechanisms SCRAM-SHA-256;\n  accounts alice;\n  relay domains Partner.Example.org.;\n}\n";
    expect(codes(text)).toEqual([]);
    expect(file(text, "etc/mail/local-host-names").split("\n").slice(1)).toEqual(["mx.example.test", "other.example", ""]);
    expect(file(text, "etc/mail/access")).toContain("To:partner.example.org\tRELAY\n");
    expect(file(text, "etc/mail/sendmail.mc")).toContain("define(`confAUTH_REALM', `mx.example.test')dnl\n");
    expect(file(text, "etc/mail/sasl/Sendmail.conf.2")).toContain("saslpasswd2 -c -u mx.example.test NAME\n");
  });
});

describe("SASL accounts: the realm is the first domain", () => {
  it("sets confAUTH_REALM only when AUTH is offered, and says how clients log in", () => {
    expect(file(mail("  accounts alice;"), "etc/mail/sendmail.mc")).toContain("define(`confAUTH_REALM', `mx.example.test')dnl");
    expect(file(P + "mail { domain mx.example.test; listen smtp; }\n", "etc/mail/sendmail.mc")).not.toContain("confAUTH_REALM");
    expect(file(mail("  accounts alice;"), "etc/mail/sasl/Sendmail.conf.2")).toContain(
      "# SASL accounts the policy expects, in the realm mx.example.test (confAUTH_REALM in sendmail.mc);\n# clients log in as NAME or NAME@mx.example.test. Create each with: saslpasswd2 -c -u mx.example.test NAME\n#   alice\n",
    );
  });

  it("does not tell saslauthd users to run saslpasswd2", () => {
    const conf = file(
      P + "mail { domain mx.example.test; listen smtp; auth mechanisms PLAIN; auth backend saslauthd; accounts alice; }\n",
      "etc/mail/sasl/Sendmail.conf.2",
    );
    expect(conf).not.toContain("saslpasswd2");
    expect(conf).toContain("system accounts, whose passwords saslauthd checks");
  });

  it("checks the first domain as m4 text, since it becomes the realm (PC3029), but no other domain", () => {
    expect(diagnosticsOf(P + "mail { domain dnl.example; listen smtp; auth mechanisms SCRAM-SHA-256; }\n")).toEqual([
      '2:15 PC3029 SASL realm (the first domain) "dnl.example" would reach m4 text with the word "dnl", which m4 or sendmail-cf defines as a macro and would expand.',
    ]);
    expect(codes(P + "mail { domain dnl.example; listen smtp; }\n")).toEqual([]);
    expect(codes(P + "mail { domain mx.example, dnl.example; listen smtp; auth mechanisms SCRAM-SHA-256; }\n")).toEqual([]);
  });
});
