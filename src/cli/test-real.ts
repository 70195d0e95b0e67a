import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Build } from "../check/model.js";
import type { AssertionResult } from "../decide/index.js";
import { findService } from "../decide/pam.js";
import { diagnostic, type Diagnostic } from "../diagnostics/diagnostic.js";
import { errnoWords } from "../diagnostics/errno.js";
import { Messages } from "../diagnostics/messages.js";
import { hostPlatforms, pamMissing, type PamProbe, runPamProbes, whichTool } from "../verify/pam-real.js";
import { classify, type VerifyCase, verifyTree, VerifySetupError } from "../verify/verify.js";

/** One assertion on one host, run on the real software. */
export interface RealResult {
  result: AssertionResult;
  /** allow/deny (pamtester), accept/refuse (sendmail -bt), or what else came back. */
  actual: string;
  passed: boolean;
  /** The tool's own words. */
  output: string;
  diagnostic: Diagnostic | null;
}

/** Why the real run cannot happen at all (exit 2). */
export class RealUnavailableError extends Error {}

const oneLine = (s: string) => s.replace(/\s+/g, " ").trim().slice(0, 300);

/**
 * Runs the assertions (as the decision procedure ran them, one per host) on
 * the real PAM (pamtester in a private mount namespace over a copy of /etc
 * with the host's tree laid over it) and the real sendmail (check_rcpt in
 * `sendmail -bt`, as `policyc verify` runs it), against the built tree OUT.
 */
export function runReal(out: string, build: Build, results: readonly AssertionResult[]): RealResult[] {
  let isDir: boolean;
  try {
    isDir = statSync(out).isDirectory();
  } catch (e) {
    throw new RealUnavailableError(`cannot read the built tree ${out}: ${errnoWords(e)} (build the policy into it first)`);
  }
  if (!isDir) throw new RealUnavailableError(`${out} is not a folder (give the folder the policy is built into)`);
  const treeOf = (host: string | null): string => {
    const t = host === null ? out : join(out, host);
    if (!existsSync(join(t, "etc"))) throw new RealUnavailableError(`${t} has no etc/: is ${out} this policy's built tree?`);
    return t;
  };
  const modelOf = (host: string | null) => build.hosts.find((h) => h.name === host)?.model;
  const pam = results.filter((r) => r.assertion.request.kind === "pam");
  const mail = results.filter((r) => r.assertion.request.kind === "mail");
  const missing: string[] = [];
  if (pam.length) missing.push(...pamMissing());
  if (mail.length)
    for (const t of ["sendmail", "m4", "makemap"]) if (!whichTool(t)) missing.push(`${t} (Debian packages sendmail-bin, sendmail-cf, m4)`);
  if (missing.length) throw new RealUnavailableError(`this machine lacks ${missing.join(", ")}`);
  const here = hostPlatforms();
  for (const r of pam) {
    const platform = modelOf(r.host)?.platform;
    if (platform && !here.includes(platform))
      throw new RealUnavailableError(
        `${r.host === null ? "the tree" : `host ${r.host}`} is for platform ${platform}, this machine is ${here.join(", ") || "neither debian nor redhat"}: its PAM stack includes the platform's own files, so run --real on a ${platform} machine`,
      );
  }
  const done = new Map<AssertionResult, RealResult>();
  const fail = (r: AssertionResult, actual: string, output: string, tool: string): RealResult => {
    const expected = r.assertion.expected;
    const passed = actual === expected;
    const on = r.host === null ? "" : ` on host ${r.host}`;
    return {
      result: r,
      actual,
      passed,
      output,
      diagnostic: passed
        ? null
        : diagnostic(Messages.RealAssertionFailed, r.assertion.span, {
            on,
            expected,
            tool,
            actual,
            output: oneLine(output) || "no output",
          }),
    };
  };

  // PAM: one namespace per host tree.
  for (const host of new Set(pam.map((r) => r.host))) {
    const mine = pam.filter((r) => r.host === host);
    const model = modelOf(host);
    const probes: PamProbe[] = mine.map((r) => {
      const q = r.assertion.request.kind === "pam" ? r.assertion.request.pam : undefined!;
      const answer = r.answer?.kind === "pam" ? r.answer : undefined;
      const pamService = answer?.pamService ?? (model && findService(model, q.service)?.pamService) ?? q.service;
      return {
        pamService,
        user: q.user,
        ...(q.rhost !== undefined && { rhost: q.rhost }),
        ...(q.tty !== undefined && { tty: q.tty }),
        ...(q.ruser !== undefined && { ruser: q.ruser }),
        ...(q.groups && { groups: q.groups }),
        ...(q.shell !== undefined && { shell: q.shell }),
      };
    });
    let answers;
    try {
      answers = runPamProbes(treeOf(host), probes);
    } catch (e) {
      if (e instanceof RealUnavailableError) throw e;
      throw new RealUnavailableError((e as Error).message);
    }
    // pamtester's "error" (PAM_SERVICE_ERR: a missing list with onerr fail, a missing module) refuses too.
    mine.forEach((r, i) => done.set(r, fail(r, answers[i]!.decision === "allow" ? "allow" : "deny", answers[i]!.output, "pamtester")));
  }

  // Mail: one sendmail -bt per host tree, as verify runs it.
  for (const host of new Set(mail.map((r) => r.host))) {
    const mine = mail.filter((r) => r.host === host);
    const cases: VerifyCase[] = [];
    const asked: AssertionResult[] = [];
    for (const r of mine) {
      const q = r.assertion.request.kind === "mail" ? r.assertion.request.mail : undefined!;
      const unsupported = [q.sender !== undefined && "sender", q.socket !== undefined && "socket"].filter(Boolean);
      if (unsupported.length) {
        done.set(
          r,
          fail(
            r,
            "not run",
            `sendmail -bt runs check_rcpt without an SMTP session: ${unsupported.join(" and ")} cannot be given to it`,
            "sendmail -bt",
          ),
        );
        continue;
      }
      asked.push(r);
      cases.push({
        group: "expect",
        title: r.assertion.text,
        expect: r.assertion.expected === "accept" ? "accepted" : "refused",
        recipient: q.recipient,
        clientAddr: q.clientAddr ?? "192.0.2.1",
        authType: q.auth ?? "",
        ...(q.clientName !== undefined && { clientName: q.clientName }),
      });
    }
    if (!cases.length) continue;
    let report;
    try {
      report = verifyTree(treeOf(host), { cases });
    } catch (e) {
      if (e instanceof VerifySetupError || e instanceof RealUnavailableError) throw new RealUnavailableError(e.message.replace(/\.$/, ""));
      throw e;
    }
    if (report.problems.length) throw new RealUnavailableError(`sendmail could not answer: ${report.problems.join("; ")}`);
    asked.forEach((r, i) => {
      const c = report.results[i]!;
      const actual = c.outcome === "accepted" ? "accept" : c.outcome === "refused" ? "refuse" : c.outcome;
      done.set(r, fail(r, actual, c.summary || classify(c.answer || null).summary, "sendmail -bt"));
    });
  }
  return results.map((r) => done.get(r)!);
}
