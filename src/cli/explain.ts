import { explainMail, explainPam, type MailDecision, type MailRequest, type PamDecision, type PamRequest } from "../decide/index.js";
import { toJson } from "./report.js";
import { type CommandContext, type CommandSpec, defaultTemplates, MAX_WARNINGS_OPTION, TEMPLATES_OPTION } from "./command.js";
import { mailJson, mailText, pamJson, pamText, viewsOf } from "./answers.js";
import { EXIT_ERRORS, EXIT_OK, UsageError } from "./io.js";

/**
 * `policyc explain POLICY SERVICE USER [items]`: one PAM request, allow or deny, and why.
 * `policyc explain POLICY relay RECIPIENT [client]`: one mail recipient, accept or refuse, and why.
 */
export const explainCommand: CommandSpec = {
  name: "explain",
  synopsis: [
    ["explain POLICY SERVICE USER [--rhost H] [--tty T] ...", "would PAM let USER into SERVICE, and why"],
    ["explain POLICY relay RECIPIENT [--client ADDR] ...", "would sendmail accept mail to RECIPIENT, and why"],
  ],
  description: `Answers one request the way the built tree answers it on the host, and says
why. For a PAM service: the account stack of /etc/pam.d/SERVICE as
Linux-PAM runs it (acct_mgmt), every line in order with what it compared,
which entry of which access list matched (and the named lists and include
files it came from, with file:line:col) and the line that decided. The
host's account databases are not in the policy: give the user's groups and
login shell where the lists look at them. For "relay": sendmail's
check_rcpt on the generated configuration, accept or refuse, and the rule
and policy line that decided. With host blocks, every host is answered
unless --host names one. Exit 0 when every answer is allow or accept.`,
  options: [
    { name: "rhost", value: "HOST", help: "PAM_RHOST, the remote host (default: unset)" },
    { name: "tty", value: "TTY", help: "PAM_TTY (default: unset)" },
    { name: "ruser", value: "USER", help: "PAM_RUSER, the remote user (default: unset)" },
    { name: "groups", value: "G,G", help: "the user's groups (default: one named like the user)" },
    { name: "shell", value: "PATH", help: "the user's login shell (default: /bin/bash)" },
    { name: "unknown-user", help: "the user is not in passwd" },
    { name: "nologin", help: "/etc/nologin exists" },
    { name: "missing", value: "FILE", help: "this list file is missing on the host" },
    { name: "client", value: "ADDR", help: "relay: the client's IP address (default: 192.0.2.1)" },
    { name: "client-name", value: "NAME", help: "relay: the client's resolved host name" },
    { name: "sender", value: "ADDR", help: "relay: the envelope sender (default: <>)" },
    { name: "auth", value: "MECH", help: "relay: the SMTP AUTH mechanism the client used" },
    { name: "socket", value: "NAME", help: "relay: the listen socket's name (default: the first)" },
    { name: "host", value: "NAME", help: "the host to ask, for a policy with host blocks" },
    MAX_WARNINGS_OPTION,
    TEMPLATES_OPTION,
  ],
  exits: {
    errors: "a request was denied or refused, could not be decided, or the policy has errors (or more warnings than --max-warnings)",
    usage: "wrong usage, an unknown service or host, or an unreadable policy file",
  },
  takesPolicy: false,
  run: explain,
};

function explain(ctx: CommandContext): number {
  const [policy, what, subject, ...rest] = ctx.positionals;
  if (policy === undefined) throw new UsageError("explain needs a policy file (or - for standard input).");
  if (what === undefined || subject === undefined) throw new UsageError("explain needs a request: SERVICE USER, or relay RECIPIENT.");
  if (rest.length) throw new UsageError(`explain takes POLICY SERVICE USER or POLICY relay RECIPIENT; "${rest[0]}" is one word too many.`);
  const o = ctx.options;
  const mail = what === "relay";
  const pamOnly = (["rhost", "tty", "ruser", "groups", "shell", "unknown-user", "nologin", "missing"] as const).find(
    (k) => o[k] !== undefined,
  );
  const mailOnly = (["client", "client-name", "sender", "auth", "socket"] as const).find((k) => o[k] !== undefined);
  if (mail && pamOnly) throw new UsageError(`--${pamOnly} is for PAM requests, not relay.`);
  if (!mail && mailOnly) throw new UsageError(`--${mailOnly} is for relay requests, not PAM.`);
  ctx.positionals.splice(0, ctx.positionals.length, policy);
  const compiled = ctx.compile({ skipAssertions: true });
  if (!compiled) return ctx.exitCode;
  let views = viewsOf(compiled, o.templates ?? defaultTemplates());
  const hosts = views.map((v) => v.host);
  if (o.host !== undefined) {
    if (hosts[0] === null) throw new UsageError("--host is only for policies with host blocks.");
    if (!hosts.includes(o.host)) throw new UsageError(`the policy has no host "${o.host}"; its hosts are ${hosts.join(", ")}.`);
    views = views.filter((v) => v.host === o.host);
  }
  const answers: Array<PamDecision | MailDecision> = [];
  if (mail) {
    const req: MailRequest = { recipient: subject };
    if (o.client !== undefined) req.clientAddr = o.client;
    if (o["client-name"] !== undefined) req.clientName = o["client-name"];
    if (o.sender !== undefined) req.sender = o.sender;
    if (o.auth !== undefined) req.auth = o.auth;
    if (o.socket !== undefined) req.socket = o.socket;
    for (const v of views) {
      if (req.socket && v.model.mail && !v.model.mail.listen.some((l) => l.name === req.socket))
        throw new UsageError(`${v.host ? `host ${v.host} has` : "the mail block has"} no socket named "${req.socket}".`);
      answers.push(explainMail(v, req));
    }
  } else {
    const req: PamRequest = { service: what, user: subject };
    if (o.rhost !== undefined) req.rhost = o.rhost;
    if (o.tty !== undefined) req.tty = o.tty;
    if (o.ruser !== undefined) req.ruser = o.ruser;
    if (o.groups !== undefined)
      req.groups = o.groups
        .split(",")
        .map((g) => g.trim())
        .filter(Boolean);
    if (o.shell !== undefined) req.shell = o.shell;
    if (o["unknown-user"]) req.exists = false;
    if (o.nologin) req.nologin = true;
    if (o.missing !== undefined) req.files = { [o.missing]: "missing" };
    for (const v of views) {
      const d = explainPam(v, req);
      if (d) answers.push(d);
    }
    if (answers.length === 0) {
      const names = [...new Set(views.flatMap((v) => v.model.services.map((s) => s.name)))];
      throw new UsageError(
        `the policy has no service "${what}"${names.length ? `; its services are ${names.join(", ")}` : ""} (for mail, write: relay RECIPIENT).`,
      );
    }
  }
  const ok = answers.every((a) => a.decision === "allow" || a.decision === "accept");
  if (ctx.format === "json") {
    ctx.document = () =>
      JSON.stringify(
        {
          format: "policyc-explain",
          version: 1,
          answers: answers.map((a) => (a.kind === "pam" ? pamJson(a) : mailJson(a))),
          ok,
          diagnostics: JSON.parse(
            toJson({
              diagnostics: compiled.result.diagnostics.sorted(),
              errors: 0,
              warnings: compiled.result.diagnostics.warningCount,
              version: ctx.version,
            }),
          ).diagnostics,
        },
        null,
        2,
      ) + "\n";
  }
  ctx.out(answers.map((a) => (a.kind === "pam" ? pamText(a) : mailText(a))).join("\n"));
  return ok ? EXIT_OK : EXIT_ERRORS;
}
