import type { Build } from "../check/model.js";
import type { AssertionResult } from "../decide/index.js";
import { findService } from "../decide/pam.js";

/**
 * Where build records the policy's `expect` assertions as the checks a
 * deployment runs on the live host (the Ansible role's break-glass checks),
 * relative to the output folder. Schema: schemas/checks.schema.json.
 */
export const CHECKS_PATH = ".policyc/checks.json";

interface Where {
  /** The host the check is for, or null (a policy without host blocks). */
  host: string | null;
  /** The assertion as written, and where. */
  text: string;
  source: { file: string; line: number; column: number };
}

/** pamtester SERVICE USER acct_mgmt, with the PAM items of the assertion: the role variable policyc_pam_checks' shape. */
export interface PamCheck extends Where {
  kind: "pam";
  service: string;
  user: string;
  expect: "allow" | "deny";
  op: "acct_mgmt";
  rhost?: string;
  tty?: string;
  ruser?: string;
  /** The groups and login shell the assertion assumes; on the host pamtester runs with the real account's. */
  groups?: string[];
  shell?: string;
}

/** check_rcpt in sendmail -bt: the role variable policyc_relay_probes' shape. */
export interface RelayCheck extends Where {
  kind: "relay";
  client: string;
  client_name?: string;
  rcpt: string;
  auth: string;
  expect: "accepted" | "refused";
}

/** An assertion that cannot be asked of a live host, and why. */
export interface SkippedCheck extends Where {
  reason: string;
}

export interface Checks {
  format: "policyc-checks";
  version: 1;
  policy: string;
  hosts: string[] | null;
  checks: (PamCheck | RelayCheck)[];
  skipped: SkippedCheck[];
}

/**
 * The assertions, one per host they concern (as `policyc test` runs them),
 * as checks for the live host: deterministic, in the order test prints them.
 * A request sendmail -bt cannot be given (sender, socket) is listed under
 * `skipped` with the reason, never dropped.
 */
export function makeChecks(policy: string, hosts: string[] | null, build: Build, results: readonly AssertionResult[]): Checks {
  const checks: (PamCheck | RelayCheck)[] = [];
  const skipped: SkippedCheck[] = [];
  for (const r of results) {
    const a = r.assertion;
    const where: Where = { host: r.host, text: a.text, source: { file: a.span.file.path, ...a.span.file.position(a.span.start) } };
    if (a.request.kind === "pam") {
      const q = a.request.pam;
      const model = build.hosts.find((h) => h.name === r.host)?.model;
      const answer = r.answer?.kind === "pam" ? r.answer : undefined;
      checks.push({
        ...where,
        kind: "pam",
        service: answer?.pamService ?? (model && findService(model, q.service)?.pamService) ?? q.service,
        user: q.user,
        expect: a.expected === "allow" ? "allow" : "deny",
        op: "acct_mgmt",
        ...(q.rhost !== undefined && { rhost: q.rhost }),
        ...(q.tty !== undefined && { tty: q.tty }),
        ...(q.ruser !== undefined && { ruser: q.ruser }),
        ...(q.groups && { groups: q.groups }),
        ...(q.shell !== undefined && { shell: q.shell }),
      });
    } else {
      const q = a.request.mail;
      const unsupported = [q.sender !== undefined && "sender", q.socket !== undefined && "socket"].filter(Boolean);
      if (unsupported.length) {
        skipped.push({
          ...where,
          reason: `sendmail -bt runs check_rcpt without an SMTP session: ${unsupported.join(" and ")} cannot be given to it`,
        });
        continue;
      }
      checks.push({
        ...where,
        kind: "relay",
        client: q.clientAddr ?? "192.0.2.1",
        ...(q.clientName !== undefined && { client_name: q.clientName }),
        rcpt: q.recipient.startsWith("<") ? q.recipient : `<${q.recipient}>`,
        auth: q.auth ?? "",
        expect: a.expected === "accept" ? "accepted" : "refused",
      });
    }
  }
  return { format: "policyc-checks", version: 1, policy, hosts, checks, skipped };
}
