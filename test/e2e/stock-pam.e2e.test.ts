/**
 * README "Platforms and stock files": the protections of Debian's stock PAM
 * files still work in the files policyc writes, on the REAL Linux-PAM 1.5.2
 * with pamtester (stack.ts: a private copy of /etc bind-mounted in a private
 * mount namespace). One test per protection per service that has it:
 * - /etc/nologin refuses a normal user and lets root in (pam_nologin: sshd's
 *   account stack, login's auth stack);
 * - pam_limits applies (`maxlogins 0` in limits.conf refuses the session) on
 *   every stock service whose session stack has it;
 * - the whole stock session stack opens (pam_loginuid, pam_keyinit, pam_env,
 *   pam_motd, pam_mail, pam_selinux, which does nothing with SELinux off);
 * and the policy's list still refuses its user inside the stock file. The
 * generic `service` template, which dropped these, is the control: the same
 * cases let the user in there, so the tests can tell the two apart.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { PAM_TOOLS, requireTools, skipBanner } from "./stack.js";
import {
  expectListRefuses,
  expectNologin,
  expectSessionOpens,
  LISTED,
  type Results,
  show,
  type Step,
  stockPam,
  USER,
} from "./stock-pam-shared.js";

const missing = requireTools(PAM_TOOLS);
if (missing.length > 0) console.warn(skipBanner("stock PAM e2e (real Linux-PAM)", missing));
const run = missing.length > 0 ? describe.skip : describe;

/** Debian 12 stock services whose session stack runs pam_limits (su-l and runuser-l through their includes). */
const LIMITS = ["sshd", "login", "su", "su-l", "sudo", "sudo-i", "cron", "runuser", "runuser-l"];
const SESSIONS = LIMITS;
const NO_SESSIONS = `echo "${USER} - maxlogins 0" >> /etc/security/limits.conf`;

const debian = stockPam({ platform: "debian", restore: ["security/limits.conf"] });

function steps(): Step[] {
  const out: Step[] = [...debian.nologinSteps("sshd", "acct_mgmt"), ...debian.nologinSteps("login", "authenticate")];
  for (const service of LIMITS) {
    out.push({ name: `${service}-limits`, setup: NO_SESSIONS, service, user: USER, op: "open_session" });
    out.push({ name: `${service}-session`, service, user: USER, op: "open_session" });
  }
  out.push({ name: "sshd-listed", service: "sshd", user: LISTED, op: "acct_mgmt" });
  return out;
}

run("Debian 12 stock protections in the generated PAM files, on the real Linux-PAM", () => {
  let stock: Results;
  let generic: Results;
  beforeAll(async () => {
    ({ stock, generic } = await debian.stockAndGeneric([...new Set([...LIMITS, "sshd", "login"])], steps()));
  }, 300_000);

  it.each(["sshd", "login"])("%s: /etc/nologin refuses a normal user and lets root in (pam_nologin)", (service) => {
    expectNologin(stock, generic, service);
  });

  it.each(LIMITS)("%s: limits.conf applies to the session (pam_limits: maxlogins 0 refuses it)", (service) => {
    expect(stock.get(`${service}-limits`)!.ok, show(stock.get(`${service}-limits`))).toBe(false);
    expect(stock.get(`${service}-limits`)!.output).toMatch(/too many logins/);
    expect(generic.get(`${service}-limits`)!.ok, show(generic.get(`${service}-limits`))).toBe(true);
  });

  it.each(SESSIONS)("%s: the whole stock session stack opens for a normal user in the sandbox", (service) => {
    expectSessionOpens(stock, service);
  });

  it("sshd: the policy's deny list still refuses its user inside the stock file (recipe 4.3)", () => {
    expectListRefuses(stock);
  });
});
