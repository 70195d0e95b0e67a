/**
 * README "Inside mail", `accounts`: the SASL config's header says how to
 * create each account, and an account made that way must work for the
 * logins clients really send: a bare user name and user@domain. Proved on
 * the real sendmail and Cyrus SASL, on a host whose own name is NOT the
 * mail domain (sendmail's default realm is the host name).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers.js";
import { requireTools, type Sendmail, SMTP_TOOLS, skipBanner, smtpProbe, startSendmail } from "./stack.js";

const missing = requireTools(SMTP_TOOLS);
if (missing.length > 0) console.warn(skipBanner("SASL accounts on the real sendmail", missing));

const POLICY = `platform debian;
mail {
  domain mail.example.org, mx.example.org;
  listen smtp;
  auth mechanisms PLAIN;
  relay authenticated;
  accounts alice, bob;
}
`;
const HOST = "host1.elsewhere.test";
const PASSWORD = "correct horse 7";

describe.skipIf(missing.length > 0)("SASL accounts made as the generated header says (real sendmail)", () => {
  let dir = "";
  let server: Sendmail | undefined;
  let command: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "policyc-sasl-"));
    const r = runCli(["build", "-", "-o", dir, "-q"], { input: POLICY });
    expect(r.status, r.stderr).toBe(0);
    const conf = readFileSync(join(dir, "etc/mail/sasl/Sendmail.conf.2"), "utf8");
    const m = /saslpasswd2 (-c(?: -u \S+)?) NAME/.exec(conf);
    expect(m, conf).not.toBeNull();
    command = m![1]!.split(" ");
    const realm = command.includes("-u") ? command[command.indexOf("-u") + 1]! : HOST;
    server = await startSendmail(dir, {
      hostName: HOST,
      saslAccounts: [
        { user: "alice", realm, password: PASSWORD },
        { user: "bob", realm, password: PASSWORD },
      ],
    });
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const user of ["alice", "alice@mail.example.org", "bob"]) {
    it(`logs in as ${user} and relays`, async () => {
      const r = await smtpProbe(server!, { to: "someone@far.example.net", auth: { mechanism: "PLAIN", user, password: PASSWORD } });
      expect(r.auth?.code, r.transcript).toBe(235);
      expect(r.rcpt?.code, r.transcript).toBe(250);
    });
  }

  it("refuses a wrong password", async () => {
    const r = await smtpProbe(server!, { to: "someone@far.example.net", auth: { mechanism: "PLAIN", user: "alice", password: "wrong" } });
    expect(r.auth?.code, r.transcript).toBe(535);
  });
});
