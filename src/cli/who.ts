import { whoMail, whoServices, type WhoMail, type WhoService } from "../decide/index.js";
import { viewsOf } from "./answers.js";
import { type CommandContext, type CommandSpec, defaultTemplates, MAX_WARNINGS_OPTION, TEMPLATES_OPTION } from "./command.js";
import { EXIT_OK, UsageError } from "./io.js";

/** `policyc who POLICY [SERVICE]`: who gets in, as sets over the policy's named lists. */
export const whoCommand: CommandSpec = {
  name: "who",
  synopsis: [["who POLICY [SERVICE|relay] [--host H]", "who gets in: each service's lists as sets, the relay's rules"]],
  description: `Prints the effective access of each service (or the one named) as sets over
the policy's named lists: per item, who is let in (in every allow list)
and kept out (in any deny list), with each list's file, entry count, onerr
and apply; and for "relay" (or every host with mail) the local and relay
domains, relay networks with their address count and the mechanisms
trusted to relay. Per host for a policy with host blocks.`,
  options: [{ name: "host", value: "NAME", help: "only this host, for a policy with host blocks" }, MAX_WARNINGS_OPTION, TEMPLATES_OPTION],
  exits: {
    errors: "errors in the policy, or more warnings than --max-warnings",
    usage: "wrong usage, an unknown service or host, or an unreadable policy file",
  },
  takesPolicy: false,
  run: who,
};

function who(ctx: CommandContext): number {
  const [policy, what, ...rest] = ctx.positionals;
  if (policy === undefined) throw new UsageError("who needs a policy file (or - for standard input).");
  if (rest.length) throw new UsageError(`who takes POLICY and at most one SERVICE (or relay), not ${rest.length + 1}.`);
  ctx.positionals.splice(0, ctx.positionals.length, policy);
  const compiled = ctx.compile({ skipAssertions: true });
  if (!compiled) return ctx.exitCode;
  let views = viewsOf(compiled, ctx.options.templates ?? defaultTemplates());
  const host = ctx.options.host;
  if (host !== undefined) {
    if (views[0]?.host === null) throw new UsageError("--host is only for policies with host blocks.");
    if (!views.some((v) => v.host === host)) throw new UsageError(`the policy has no host "${host}".`);
    views = views.filter((v) => v.host === host);
  }
  const services: WhoService[] = what === "relay" ? [] : views.flatMap((v) => whoServices(v, what));
  const mail: WhoMail[] = what === undefined || what === "relay" ? views.flatMap((v) => whoMail(v) ?? []) : [];
  if (what !== undefined && what !== "relay" && services.length === 0) throw new UsageError(`the policy has no service "${what}".`);
  if (what === "relay" && mail.length === 0) throw new UsageError("the policy has no mail block.");
  if (ctx.format === "json") {
    ctx.document = () => JSON.stringify({ format: "policyc-who", version: 1, services, mail }, null, 2) + "\n";
    return EXIT_OK;
  }
  const lines: string[] = [];
  for (const s of services) {
    lines.push(`${s.host ? `host ${s.host}: ` : ""}${s.service} (PAM service ${s.pamService})`);
    if (s.items.length === 0) lines.push("  no access lists: the stack alone decides");
    for (const it of s.items) {
      lines.push(`  ${it.summary}`);
      for (const l of it.lists)
        lines.push(
          `    ${l.sense} ${l.file}: ${[...l.lists.map((n) => `$${n}`), ...l.literals].join(", ")} (${l.count} entr${l.count === 1 ? "y" : "ies"}; onerr ${l.onerr}${l.apply ? `; applies to ${l.apply} only` : ""})`,
        );
    }
  }
  for (const m of mail) {
    lines.push(`${m.host ? `host ${m.host}: ` : ""}relay`);
    lines.push(`  accepts mail for: ${m.localDomains.join(", ")}`);
    lines.push(
      `  relays for anyone to: ${m.relayDomains.length ? m.relayDomains.map((d) => `${d} (and under it)`).join(", ") : "nothing"}`,
    );
    lines.push(
      `  relays for clients in: ${m.relayNetworks.length ? `${m.relayNetworks.join(", ")} (${m.relayAddresses.toLocaleString("en-US")} addresses)` : "no network"}`,
    );
    lines.push(`  relays for clients authenticated with: ${m.trustedMechanisms.length ? m.trustedMechanisms.join(", ") : "no mechanism"}`);
  }
  ctx.out(lines.join("\n") + "\n");
  return EXIT_OK;
}
