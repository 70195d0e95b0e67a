/**
 * Assertions: `expect allow sshd user root from 10.0.0.5;` and
 * `expect refuse relay from 198.51.100.7 to victim@elsewhere.example;`
 * (README "Assertions"). Each is read into a request (PC2100-PC2106 for a
 * malformed one) and run with the decision procedure on every host it
 * concerns; a wrong answer is PC6001 (PAM) or PC6002 (relay), one that
 * cannot be decided PC6003.
 */
import { type DiagnosticBag, format, type Span } from "../diagnostics/diagnostic.js";
import { Messages } from "../diagnostics/messages.js";
import type { SourceFile } from "../diagnostics/source.js";
import type { Expect } from "../syntax/ast.js";
import type { Program } from "../syntax/load.js";
import type { HostView } from "./index.js";
import { decideMail, type MailDecision } from "./mail.js";
import { decidePam, findService, type PamDecision } from "./pam.js";
import type { MailRequest, PamRequest } from "./request.js";
import { scopesOf } from "./scopes.js";

const PAM_CLAUSES: Record<string, keyof PamRequest> = {
  user: "user",
  from: "rhost",
  rhost: "rhost",
  tty: "tty",
  ruser: "ruser",
  groups: "groups",
  shell: "shell",
};
const MAIL_CLAUSES: Record<string, keyof MailRequest> = {
  from: "clientAddr",
  name: "clientName",
  to: "recipient",
  sender: "sender",
  auth: "auth",
  socket: "socket",
};

/** An assertion, read. */
export interface Assertion {
  file: SourceFile;
  node: Expect;
  /** The host block it is written in, or null: the top level, every host. */
  host: string | null;
  span: Span;
  /** Its text as written, for reports. */
  text: string;
  expected: "allow" | "deny" | "accept" | "refuse";
  request: { kind: "pam"; pam: PamRequest } | { kind: "mail"; mail: MailRequest };
}

/** One assertion run on one host. */
export interface AssertionResult {
  assertion: Assertion;
  host: string | null;
  passed: boolean;
  answer: PamDecision | MailDecision | null;
  /** Why it failed, in words (the diagnostic's message), or null. */
  message: string | null;
}

/** Reads every `expect` of a program, reporting malformed ones; returns those that can run. */
export function readAssertions(program: Program, bag: DiagnosticBag): Assertion[] {
  const out: Assertion[] = [];
  for (const { file, node } of program.shared) if (node.kind === "Expect") push(file, node, null);
  // A host's own assertions and those of the roles it takes (README "Roles"), once per host.
  const shared = new Set<unknown>(program.shared.map((s) => s.node));
  for (const scope of scopesOf(program)) {
    if (!scope.host) continue;
    for (const { file, node } of scope.items) if (node.kind === "Expect" && !shared.has(node)) push(file, node, scope.host.name);
  }
  return out;

  function push(file: SourceFile, node: Expect, host: string | null): void {
    const a = readOne(file, node, host, bag);
    if (a) out.push(a);
  }
}

function readOne(file: SourceFile, node: Expect, host: string | null, bag: DiagnosticBag): Assertion | null {
  const at = (loc: { start: number; end: number }): Span => ({ file, start: loc.start, end: loc.end });
  const verdict = node.verdict.value;
  const relay = node.subject.value === "relay";
  if (
    !["allow", "deny", "accept", "refuse"].includes(verdict) ||
    (relay && (verdict === "allow" || verdict === "deny")) ||
    (!relay && (verdict === "accept" || verdict === "refuse"))
  ) {
    bag.report(Messages.ExpectVerdict, at(node.verdict.loc), { found: verdict });
    return null;
  }
  const table: Record<string, string> = relay ? MAIL_CLAUSES : PAM_CLAUSES;
  const values: Record<string, string | string[]> = {};
  let ok = true;
  const seen = new Set<string>();
  for (const c of node.clauses) {
    const key = c.key.value;
    const field = table[key];
    if (!field) {
      bag.report(Messages.ExpectClause, at(c.key.loc), {
        key,
        what: relay ? "a relay assertion" : "a PAM assertion",
        expected: Object.keys(table).join(", "),
      });
      ok = false;
      continue;
    }
    if (seen.has(field)) {
      bag.report(Messages.ExpectDuplicateClause, at(c.key.loc), { key });
      ok = false;
      continue;
    }
    seen.add(field);
    const vs = c.values.map((v) => v.value);
    if (field === "groups") values[field] = vs;
    else if (vs.length !== 1) {
      bag.report(Messages.ExpectOneValue, at(c.loc), { key, count: vs.length });
      ok = false;
    } else values[field] = vs[0]!;
  }
  const need = relay ? "recipient" : "user";
  if (ok && values[need] === undefined) {
    bag.report(Messages.ExpectMissing, at(node.loc), { clause: relay ? '"to RECIPIENT"' : '"user NAME"' });
    ok = false;
  }
  if (!ok) return null;
  const base = {
    file,
    node,
    host,
    span: at(node.loc),
    text: file.text.slice(node.loc.start, node.loc.end),
    expected: verdict as Assertion["expected"],
  };
  if (relay) return { ...base, request: { kind: "mail", mail: values as unknown as MailRequest } };
  return { ...base, request: { kind: "pam", pam: { ...(values as unknown as PamRequest), service: node.subject.value } } };
}

/** Runs assertions on the hosts they concern, reporting each failure; every run, passed or not, is returned. */
export function runAssertions(assertions: readonly Assertion[], views: readonly HostView[], bag: DiagnosticBag): AssertionResult[] {
  const results: AssertionResult[] = [];
  for (const a of assertions) {
    const hosts = views.filter((v) => a.host === null || v.host === a.host);
    const where = a.host !== null ? `host ${a.host}` : views.length > 1 || views[0]?.host ? "any host" : "the policy";
    if (a.request.kind === "mail") {
      const req = a.request.mail;
      const withMail = hosts.filter((v) => v.model.mail);
      if (withMail.length === 0) {
        bag.report(Messages.ExpectNoMail, a.span, { where });
        continue;
      }
      for (const v of withMail) {
        const d = decideMail(v.model.mail, v.host, req);
        const passed = d.decision === a.expected;
        const on = v.host === null ? "" : ` on host ${v.host}`;
        let message: string | null = null;
        if (!passed) {
          message = format(Messages.AssertionFailedMail, {
            on,
            expected: a.expected,
            actual: d.decision,
            recipient: req.recipient,
            reason: d.reason,
          });
          bag.report(
            Messages.AssertionFailedMail,
            a.span,
            { on, expected: a.expected, actual: d.decision, recipient: req.recipient, reason: d.reason },
            d.span ? [{ message: "The rule that decided.", span: d.span }] : undefined,
          );
        }
        results.push({ assertion: a, host: v.host, passed, answer: d, message });
      }
      continue;
    }
    const req = a.request.pam;
    const withService = hosts.filter((v) => findService(v.model, req.service));
    if (withService.length === 0) {
      const names = [...new Set(hosts.flatMap((v) => v.model.services.map((s) => s.name)))];
      bag.report(
        Messages.ExpectNoService,
        { file: a.file, ...a.node.subject.loc },
        {
          name: req.service,
          where,
          names: names.length ? ` (its services: ${names.join(", ")})` : "",
        },
      );
      continue;
    }
    for (const v of withService) {
      const d = decidePam(v.model, findService(v.model, req.service)!, req, v.pamFiles, v.origin);
      const on = v.host === null ? "" : ` on host ${v.host}`;
      let message: string | null = null;
      let passed = d.decision === a.expected;
      if (d.decision === "unknown") {
        passed = false;
        message = format(Messages.AssertionUndecidable, { on, reason: d.reason });
        bag.report(Messages.AssertionUndecidable, a.span, { on, reason: d.reason });
      } else if (!passed) {
        const args = { on, expected: a.expected, service: d.service, actual: d.decision, user: req.user, reason: d.reason };
        message = format(Messages.AssertionFailed, args);
        const by = d.decidedBy === null ? undefined : d.steps[d.decidedBy]?.acl;
        const related = by
          ? [{ message: by.matched ? `The entry that matched.` : "The access list that decided.", span: by.matched ?? by.acl.span }]
          : undefined;
        bag.report(Messages.AssertionFailed, a.span, args, related);
      }
      results.push({ assertion: a, host: v.host, passed, answer: d, message });
    }
  }
  return results;
}
