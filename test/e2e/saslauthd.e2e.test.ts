/**
 * README "Inside mail", `auth backend saslauthd`: SMTP AUTH passwords are
 * checked by saslauthd -a pam with the PAM stack of the service "smtp", so
 * the policy's access lists on `service smtp` decide who may relay. Proved on
 * the real sendmail, Cyrus SASL, saslauthd and Linux-PAM: a listed user with
 * the right password relays; an unlisted one and a wrong password are
 * refused. The unlisted user's refusal is also the measurement of the
 * service name: had saslauthd used any other PAM service, the list on
 * /etc/pam.d/smtp would not apply and that user would relay.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers.js";
import { requireTools, type Sendmail, SMTP_TOOLS, skipBanner, smtpProbe, startSendmail } from "./stack.js";

const missing = requireTools([
  ...SMTP_TOOLS,
  "saslauthd",
  "useradd",
  "chpasswd",
  "file:/usr/lib/x86_64-linux-gnu/security/pam_listfile.so",
]);
if (missing.length > 0) console.warn(skipBanner("SMTP AUTH through saslauthd and PAM (test/e2e/saslauthd.e2e.test.ts)", missing));

const LIST = "/etc/smtp-relay.acl";
const POLICY = `platform debian;
service smtp {
  acl user allow "${LIST}" {
    entries alice, carol;
  }
}
mail {
  domain mail.example.org;
  listen smtp;
  auth mechanisms PLAIN, LOGIN;
  auth backend saslauthd;
  relay authenticated;
  accounts alice, carol;
}
`;
const PASSWORD = "correct horse 7";
const FAR = "someone@far.example.net";

describe.skipIf(missing.length > 0)('SMTP AUTH through saslauthd and the PAM service "smtp" (real sendmail, saslauthd, Linux-PAM)', () => {
  let dir = "";
  let server: Sendmail | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "policyc-saslauthd-"));
    const r = runCli(["build", "-", "-o", dir, "-q"], { input: POLICY });
    expect(r.status, r.stderr).toBe(0);
    // What is deployed: the SASL config asks saslauthd, and the smtp PAM file holds the list.
    expect(readFileSync(join(dir, "etc/mail/sasl/Sendmail.conf.2"), "utf8")).toMatch(/^pwcheck_method: saslauthd$/m);
    expect(readFileSync(join(dir, "etc/pam.d/smtp"), "utf8")).toContain(`pam_listfile.so item=user sense=allow file=${LIST}`);
    server = await startSendmail(dir, {
      hostName: "host1.elsewhere.test",
      saslauthd: {
        users: ["alice", "bob", "carol"].map((name) => ({ name, password: PASSWORD })),
      },
    });
  }, 90_000);

  afterAll(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const [user, mechanism] of [
    ["alice", "PLAIN"],
    ["carol", "LOGIN"],
  ] as const) {
    it(`relays for ${user}, on the list, with the right password (AUTH ${mechanism})`, async () => {
      const r = await smtpProbe(server!, { to: FAR, auth: { mechanism, user, password: PASSWORD } });
      expect(r.auth?.code, r.transcript + server!.log()).toBe(235);
      expect(r.rcpt?.code, r.transcript).toBe(250);
    });
  }

  it("refuses bob, a system account with the right password but not on the list, and does not relay for him", async () => {
    const r = await smtpProbe(server!, { to: FAR, auth: { mechanism: "PLAIN", user: "bob", password: PASSWORD } });
    expect(r.auth?.code, r.transcript + server!.log()).toBe(535);
    expect(r.rcpt?.code, r.transcript).not.toBe(250);
    // saslauthd -d names the PAM service it used: the one PC4115 guards.
    expect(server!.log()).toMatch(/auth failure: \[user=bob\] \[service=smtp\]/);
  });

  it("refuses a listed user with a wrong password, and does not relay", async () => {
    const r = await smtpProbe(server!, { to: FAR, auth: { mechanism: "PLAIN", user: "alice", password: "wrong horse" } });
    expect(r.auth?.code, r.transcript).toBe(535);
    expect(r.rcpt?.code, r.transcript).not.toBe(250);
  });

  it("does not relay without AUTH", async () => {
    const r = await smtpProbe(server!, { to: FAR });
    expect(r.rcpt?.code, r.transcript).toBe(550);
  });
});
