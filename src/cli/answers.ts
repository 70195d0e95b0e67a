/**
 * What explain and test share: the decision procedure's view of a compiled
 * policy (each host's model with the pam.d files the build writes and the
 * platform's stock files), and decisions as text and as JSON.
 */
import type { MailDecision, PamDecision } from "../decide/index.js";
import type { Span } from "../diagnostics/diagnostic.js";
export { viewsOf } from "../compile.js";

/** A span as file:line:col. */
export function where(span: Span): string {
  const p = span.file.position(span.start);
  return `${span.file.path}:${p.line}:${p.column}`;
}

/** A span as JSON. */
export function location(span: Span | null): { file: string; line: number; column: number } | null {
  if (!span) return null;
  const p = span.file.position(span.start);
  return { file: span.file.path, line: p.line, column: p.column };
}

/** A PAM decision for people: the answer, then every account line that ran. */
export function pamText(d: PamDecision): string {
  const r = d.request;
  const items = [
    r.rhost !== undefined ? `rhost ${r.rhost}` : "",
    r.tty !== undefined ? `tty ${r.tty}` : "",
    r.ruser !== undefined ? `ruser ${r.ruser}` : "",
  ].filter(Boolean);
  const head = `${d.host ? `host ${d.host}: ` : ""}${d.service} (PAM service ${d.pamService}), user ${r.user}${items.length ? `, ${items.join(", ")}` : ""}`;
  const lines = [`${head}: ${d.decision.toUpperCase()}${d.status ? ` (${d.status})` : ""}`];
  d.steps.forEach((s, i) => {
    const mark = i === d.decidedBy ? "=>" : "  ";
    lines.push(`${mark} ${s.file}:${s.line}  ${s.control} ${s.module}: ${s.result ?? "not run"}, ${s.action}`);
    lines.push(`     ${s.note}`);
    if (s.acl) {
      const a = s.acl.acl;
      lines.push(`     list: acl ${a.item} ${a.sense} ${a.file} at ${where(a.span)}`);
      if (s.acl.matched) {
        const via = s.acl.lists.map((l) => `$${l.name} (${where(l.span)})`).join(" -> ");
        lines.push(`     matched entry "${s.acl.matched.value}" at ${where(s.acl.matched)}${via ? ` via ${via}` : ""}`);
      } else if (s.acl.compared !== null) lines.push(`     no entry matched`);
    }
  });
  lines.push(`decided: ${d.reason}`);
  return lines.join("\n") + "\n";
}

/** A mail decision for people. */
export function mailText(d: MailDecision): string {
  const r = d.request;
  const head = `${d.host ? `host ${d.host}: ` : ""}relay to ${r.recipient} from ${r.clientAddr ?? "192.0.2.1"}${r.auth ? ` (AUTH ${r.auth})` : ""}`;
  return `${head}: ${d.decision.toUpperCase()} (${d.rule})\ndecided: ${d.reason}${d.span ? ` (${where(d.span)})` : ""}\n`;
}

/** A PAM decision as JSON. */
export function pamJson(d: PamDecision): object {
  return {
    kind: "pam",
    host: d.host,
    service: d.service,
    pamService: d.pamService,
    request: d.request,
    decision: d.decision,
    status: d.status,
    reason: d.reason,
    decidedBy: d.decidedBy,
    steps: d.steps.map((s) => ({
      file: s.file,
      line: s.line,
      text: s.text,
      module: s.module,
      control: s.control,
      result: s.result,
      action: s.action,
      note: s.note,
      acl: s.acl
        ? {
            item: s.acl.acl.item,
            sense: s.acl.acl.sense,
            file: s.acl.acl.file,
            onerr: s.acl.acl.onerr,
            apply: s.acl.acl.apply,
            location: location(s.acl.acl.span),
            compared: s.acl.compared,
            matched: s.acl.matched ? { value: s.acl.matched.value, location: location(s.acl.matched) } : null,
            lists: s.acl.lists.map((l) => ({ name: l.name, location: location(l.span) })),
          }
        : null,
    })),
  };
}

/** A mail decision as JSON. */
export function mailJson(d: MailDecision): object {
  return {
    kind: "mail",
    host: d.host,
    request: d.request,
    decision: d.decision,
    rule: d.rule,
    domain: d.domain,
    reason: d.reason,
    location: location(d.span),
  };
}
