/**
 * README "Inside mail", `auth mechanisms`: a mail block without `auth`
 * offers no SMTP AUTH. Proved on the real sendmail with Cyrus SASL set up
 * (its plugins installed, a SASL config and an account in a sasldb): before
 * the fix the generated .mc set no confAUTH_MECHANISMS, sendmail offered its
 * default list and EHLO said `AUTH DIGEST-MD5 CRAM-MD5`. Also: with
 * `auth mechanisms` AUTH is offered as before, and without `relay
 * authenticated` (no TRUST_AUTH_MECH, class TrustAuthMech empty) a client
 * that authenticated is still refused relaying.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers.js";
import {
  authCommands,
  type Platform,
  requireTools,
  type Sendmail,
  SMTP_TOOLS,
  skipBanner,
  smtpProbe,
  smtpSession,
  startSendmail,
  TLS_TOOLS,
} from "./stack.js";

const missing = requireTools([...SMTP_TOOLS, ...TLS_TOOLS]);
if (missing.length > 0) console.warn(skipBanner("a mail block without auth on the real sendmail", missing));

const DOMAIN = "mail.example.org";
const HOST = "mx.example.test";
const PASSWORD = "correct horse 7";
const FOREIGN = "someone@far.example.net";
const TLS_DIR = "/etc/ssl/policyc-e2e";
const TLS = { certificate: `${TLS_DIR}/mx.pem`, key: `${TLS_DIR}/mx.key`, ca: `${TLS_DIR}/ca.pem`, caPath: `${TLS_DIR}/certs` };

/**
 * Cyrus SASL set up as an administrator would for sendmail, next to the
 * generated files (which, without `auth`, write no SASL config): the sasldb
 * backend and an account alice@DOMAIN.
 */
const HOST_SASL_CONF =
  "pwcheck_method: auxprop\nauxprop_plugin: sasldb\nsasldb_path: /etc/sasldb2\nmech_list: PLAIN LOGIN CRAM-MD5 DIGEST-MD5\n";
const ACCOUNT = { user: "alice", realm: DOMAIN, password: PASSWORD };

/** Build POLICY into a temp dir; `hostSasl` adds the host's own SASL config (see HOST_SASL_CONF). */
function build(policy: string, hostSasl: string | null): string {
  const dir = mkdtempSync(join(tmpdir(), "policyc-noauth-"));
  const r = runCli(["build", "-", "-o", dir, "-q"], { input: policy });
  expect(r.status, r.stderr).toBe(0);
  if (hostSasl) {
    mkdirSync(dirname(join(dir, hostSasl)), { recursive: true });
    writeFileSync(join(dir, hostSasl), HOST_SASL_CONF);
  }
  return dir;
}

const EVERY_AUTH = [...authCommands("PLAIN", `alice@${DOMAIN}`, PASSWORD), "AUTH CRAM-MD5", "AUTH DIGEST-MD5", "AUTH EXTERNAL ="];

interface Server {
  dir: string;
  server?: Sendmail;
}

function serve(platform: Platform, policy: string, opts: { hostSasl?: string; tls?: boolean }): Server {
  const s: Server = { dir: "" };
  beforeAll(async () => {
    s.dir = build(policy, opts.hostSasl ?? null);
    s.server = await startSendmail(s.dir, {
      hostName: HOST,
      platform,
      saslAccounts: [ACCOUNT],
      ...(opts.tls ? { tlsFiles: TLS } : {}),
    });
  }, 60_000);
  afterAll(async () => {
    await s.server?.stop();
    if (s.dir) rmSync(s.dir, { recursive: true, force: true });
  });
  return s;
}

describe.skipIf(missing.length > 0)("a mail block without auth offers no SMTP AUTH (real sendmail, Cyrus SASL set up)", () => {
  describe("debian, with STARTTLS", () => {
    const s = serve(
      "debian",
      `platform debian;
mail {
  domain ${DOMAIN};
  listen smtp;
  listen submission { modifiers E, a; }
  tls certificate ${TLS.certificate};
  tls key ${TLS.key};
  tls ca ${TLS.ca};
  tls ca-path ${TLS.caPath};
}
`,
      { hostSasl: "etc/mail/sasl/Sendmail.conf.2", tls: true },
    );

    it("the .cf holds an empty AuthMechanisms", () => {
      expect(s.server!.m4.cf).toMatch(/^O AuthMechanisms$/m);
    });

    for (const tls of [false, true]) {
      it(`EHLO has no AUTH line and every AUTH is refused with 504${tls ? " (after STARTTLS)" : ""}`, async () => {
        const r = await smtpSession(s.server!, { tls, commands: ["EHLO client.example.test", ...EVERY_AUTH] });
        expect(r.steps[0]?.reply?.code, r.transcript).toBe(250);
        expect(r.transcript).not.toMatch(/^<- 250[- ]AUTH\b/m);
        expect(r.ehloAuth, r.transcript).toEqual([]);
        if (tls) expect(r.transcript).toContain("=== TLS session started");
        const auths = r.steps.filter((st) => st.command.startsWith("AUTH"));
        expect(auths.length, r.transcript).toBe(4);
        for (const a of auths) expect(a.reply?.code, `${a.command}\n${r.transcript}`).toBe(504);
      }, 60_000);
    }

    it("a socket that requires AUTH (modifier a) then takes no mail: MAIL gets 530 5.7.0", async () => {
      const r = await smtpSession(s.server!, {
        socket: { port: 587 },
        commands: ["EHLO client.example.test", "MAIL FROM:<tester@client.example.test>"],
      });
      expect(r.ehloAuth, r.transcript).toEqual([]);
      expect(r.steps[1]?.reply?.code, r.transcript).toBe(530);
      expect(r.steps[1]?.reply?.enhanced, r.transcript).toBe("5.7.0");
    }, 60_000);

    it("a foreign recipient is refused relaying", async () => {
      const r = await smtpProbe(s.server!, { to: FOREIGN });
      expect(r.rcpt?.code, r.transcript).toBe(550);
      expect(r.rcpt?.enhanced, r.transcript).toBe("5.7.1");
    }, 60_000);
  });

  describe("redhat (its stock .mc keeps confAUTH_OPTIONS A and confAUTH_REALM mail)", () => {
    const s = serve("redhat", `platform redhat;\nmail {\n  domain ${DOMAIN};\n  listen smtp;\n}\n`, {
      hostSasl: "etc/sasl2/Sendmail.conf",
    });

    it("EHLO has no AUTH line and AUTH PLAIN is refused with 504", async () => {
      const r = await smtpSession(s.server!, { commands: ["EHLO client.example.test", ...EVERY_AUTH] });
      expect(r.ehloAuth, r.transcript).toEqual([]);
      expect(r.transcript).not.toMatch(/^<- 250[- ]AUTH\b/m);
      const plain = r.steps.find((st) => st.command.startsWith("AUTH PLAIN"));
      expect(plain?.reply?.code, r.transcript).toBe(504);
    }, 60_000);
  });

  describe("debian, auth mechanisms PLAIN and relay authenticated: AUTH as before", () => {
    const s = serve(
      "debian",
      `platform debian;
mail {
  domain ${DOMAIN};
  listen smtp;
  auth mechanisms PLAIN;
  relay authenticated;
  accounts alice;
}
`,
      {},
    );

    it("EHLO offers exactly PLAIN; AUTH PLAIN succeeds and relays", async () => {
      const r = await smtpProbe(s.server!, { to: FOREIGN, auth: { mechanism: "PLAIN", user: "alice", password: PASSWORD } });
      expect(r.ehloAuth, r.transcript).toEqual(["PLAIN"]);
      expect(r.auth?.code, r.transcript).toBe(235);
      expect(r.rcpt?.code, r.transcript).toBe(250);
    }, 60_000);
  });

  describe("debian, auth mechanisms PLAIN without relay authenticated (no TRUST_AUTH_MECH)", () => {
    const s = serve(
      "debian",
      `platform debian;
mail {
  domain ${DOMAIN};
  listen smtp;
  auth mechanisms PLAIN;
  accounts alice;
}
`,
      {},
    );

    it("AUTH PLAIN succeeds, and relaying is still refused (550 5.7.1)", async () => {
      expect(s.server!.m4.cf).not.toMatch(/^C\{TrustAuthMech\}/m);
      const r = await smtpProbe(s.server!, { to: FOREIGN, auth: { mechanism: "PLAIN", user: "alice", password: PASSWORD } });
      expect(r.ehloAuth, r.transcript).toEqual(["PLAIN"]);
      expect(r.auth?.code, r.transcript).toBe(235);
      expect(r.rcpt?.code, r.transcript).toBe(550);
      expect(r.rcpt?.enhanced, r.transcript).toBe("5.7.1");
    }, 60_000);

    it("a local recipient is still accepted from the authenticated client", async () => {
      const r = await smtpProbe(s.server!, { to: `postmaster@${DOMAIN}`, auth: { mechanism: "PLAIN", user: "alice", password: PASSWORD } });
      expect(r.auth?.code, r.transcript).toBe(235);
      expect(r.rcpt?.code, r.transcript).toBe(250);
    }, 60_000);
  });
});
