import { explainPam, whoMail, type HostView } from "../decide/index.js";
import { viewsOf } from "./answers.js";
import { type CommandContext, type CommandSpec, defaultTemplates, MAX_WARNINGS_OPTION, TEMPLATES_OPTION } from "./command.js";
import { EXIT_OK } from "./io.js";

/** `policyc report POLICY`: the per-host access matrix for auditors. */
export const reportCommand: CommandSpec = {
  name: "report",
  synopsis: [["report POLICY [--format markdown|csv|json]", "per-host access matrix: service x user, relay rules"]],
  description: `Prints, per host, which user every service lets in: each user any user list of
the policy names (and root) against each service, answered by the decision
procedure (as explain answers it: the user in passwd, in a group named like
them, no remote host, terminal or remote user), and the relay rules with
the number of addresses the relay networks hold. --format markdown (the
default on a terminal too), csv (host,service,user,decision) or json.`,
  options: [MAX_WARNINGS_OPTION, TEMPLATES_OPTION],
  exits: { errors: "errors in the policy, or more warnings than --max-warnings", usage: "wrong usage or an unreadable policy file" },
  takesPolicy: true,
  extraFormats: ["markdown", "csv"],
  run: audit,
};

interface Row {
  host: string | null;
  service: string;
  user: string;
  decision: string;
}

function users(view: HostView): string[] {
  const names = new Set<string>(["root"]);
  for (const s of view.model.services)
    for (const a of s.acls) if (a.item === "user" || a.item === "ruser") for (const v of a.entries.values()) names.add(v);
  return [...names].sort();
}

function audit(ctx: CommandContext): number {
  const compiled = ctx.compile({ skipAssertions: true });
  if (!compiled) return ctx.exitCode;
  const views = viewsOf(compiled, ctx.options.templates ?? defaultTemplates());
  const rows: Row[] = [];
  for (const v of views)
    for (const s of v.model.services)
      for (const user of users(v))
        rows.push({ host: v.host, service: s.name, user, decision: explainPam(v, { service: s.name, user })!.decision });
  const mail = views.flatMap((v) => whoMail(v) ?? []);
  const format = ctx.format as string;
  if (format === "json") {
    ctx.document = () => JSON.stringify({ format: "policyc-report", version: 1, access: rows, relay: mail }, null, 2) + "\n";
    return EXIT_OK;
  }
  if (format === "csv") {
    const q = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
    process.stdout.write(
      ["host,service,user,decision", ...rows.map((r) => [r.host ?? "", r.service, r.user, r.decision].map(q).join(","))].join("\n") + "\n",
    );
    return EXIT_OK;
  }
  const md = (s: string) => s.replace(/\|/g, "\\|");
  const out: string[] = [];
  for (const v of views) {
    const services = v.model.services.map((s) => s.name);
    out.push(`## ${v.host ? `Host ${md(v.host)}` : "Access"}`, "");
    if (services.length) {
      out.push(`| user | ${services.map(md).join(" | ")} |`, `|---|${services.map(() => "---").join("|")}|`);
      for (const u of users(v)) {
        const cells = services.map((s) => rows.find((r) => r.host === v.host && r.service === s && r.user === u)!.decision);
        out.push(`| ${md(u)} | ${cells.join(" | ")} |`);
      }
      out.push("");
    }
    const m = mail.find((x) => x.host === v.host);
    if (m) {
      out.push("| relay rule | value |", "|---|---|");
      out.push(`| local domains | ${m.localDomains.map(md).join(", ")} |`);
      out.push(`| relay domains | ${m.relayDomains.map(md).join(", ") || "none"} |`);
      out.push(`| relay networks | ${m.relayNetworks.join(", ") || "none"} (${m.relayAddresses.toLocaleString("en-US")} addresses) |`);
      out.push(`| trusted mechanisms | ${m.trustedMechanisms.join(", ") || "none"} |`, "");
    }
  }
  // With --format sarif, stdout holds the one SARIF document: the matrix, for people, goes to stderr.
  if (format === "sarif") ctx.out(out.join("\n"));
  else process.stdout.write(out.join("\n"));
  return EXIT_OK;
}
