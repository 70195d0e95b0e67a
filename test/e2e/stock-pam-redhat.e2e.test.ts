/**
 * README "Platforms and stock files": the protections of Red Hat 9's stock
 * PAM files (the fixtures in test/fixtures/stock/redhat-9/pam.d/) still work
 * in the files policyc writes, on the REAL Linux-PAM with pamtester. The
 * Debian host has every module these files load (pam_sepermit,
 * pam_namespace, pam_selinux, pam_loginuid, pam_keyinit, pam_motd,
 * pam_access, pam_nologin, pam_shells, pam_listfile); the included
 * password-auth, system-auth and postlogin are local-users stand-ins
 * (test/e2e/fixtures/redhat/pam.d/, laid over the sandbox's /etc copy).
 * One test per protection per service that has it:
 * - /etc/nologin refuses a normal user and lets root in (pam_nologin: the
 *   account stack of sshd, login and remote; dovecot's auth stack);
 * - /etc/security/access.conf applies to crond (pam_access in its account stack);
 * - the whole stock session stack opens;
 * and the policy's list still refuses its user inside the stock file. The
 * generic `service` template is the control: the same cases let the user in.
 */
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { FIXTURES, PAM_TOOLS, requireTools, skipBanner } from "./stack.js";
import {
  expectListRefuses,
  expectNologin,
  expectSessionOpens,
  type Results,
  show,
  type Step,
  stockPam,
  LISTED,
  USER,
} from "./stock-pam-shared.js";

const missing = requireTools(PAM_TOOLS);
if (missing.length > 0) console.warn(skipBanner("Red Hat stock PAM e2e (real Linux-PAM)", missing));
const run = missing.length > 0 ? describe.skip : describe;

const NOLOGIN_ACCOUNT = ["sshd", "login", "remote"];
const SESSIONS = ["sshd", "login", "remote", "su", "su-l", "sudo", "sudo-i", "crond", "vsftpd", "runuser", "runuser-l"];
const ACCESS_DENY = `echo "-:${USER}:ALL" >> /etc/security/access.conf`;

const redhat = stockPam({ platform: "redhat-9", overlays: [join(FIXTURES, "redhat")], restore: ["security/access.conf"] });

function steps(): Step[] {
  const out: Step[] = [
    ...NOLOGIN_ACCOUNT.flatMap((s) => redhat.nologinSteps(s, "acct_mgmt")),
    ...redhat.nologinSteps("dovecot", "authenticate"),
  ];
  out.push({ name: "crond-access", setup: ACCESS_DENY, service: "crond", user: USER, op: "acct_mgmt" });
  out.push({ name: "crond-user", service: "crond", user: USER, op: "acct_mgmt" });
  for (const service of SESSIONS) out.push({ name: `${service}-session`, service, user: USER, op: "open_session" });
  out.push({ name: "sshd-listed", service: "sshd", user: LISTED, op: "acct_mgmt" });
  return out;
}

run("Red Hat 9 stock protections in the generated PAM files, on the real Linux-PAM", () => {
  let stock: Results;
  let generic: Results;
  beforeAll(async () => {
    ({ stock, generic } = await redhat.stockAndGeneric([...new Set([...SESSIONS, ...NOLOGIN_ACCOUNT, "dovecot"])], steps()));
  }, 300_000);

  it.each([...NOLOGIN_ACCOUNT, "dovecot"])("%s: /etc/nologin refuses a normal user and lets root in (pam_nologin)", (service) => {
    expectNologin(stock, generic, service);
  });

  it("crond: /etc/security/access.conf still applies (pam_access)", () => {
    expect(stock.get("crond-user")!.ok, show(stock.get("crond-user"))).toBe(true);
    expect(stock.get("crond-access")!.ok, show(stock.get("crond-access"))).toBe(false);
    expect(generic.get("crond-access")!.ok, show(generic.get("crond-access"))).toBe(true);
  });

  it.each(SESSIONS)("%s: the whole stock session stack opens for a normal user in the sandbox", (service) => {
    expectSessionOpens(stock, service);
  });

  it("sshd: the policy's deny list still refuses its user inside the stock file", () => {
    expectListRefuses(stock);
  });
});
