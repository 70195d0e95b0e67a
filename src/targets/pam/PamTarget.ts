import type { Span } from "../../diagnostics/diagnostic.js";
import { Messages } from "../../diagnostics/messages.js";
import type { AclModel, ServiceModel } from "../../check/model.js";
import { PLATFORMS } from "../../check/model.js";
import { stockTemplate } from "./stock.js";
import { shownPath } from "../header.js";
import { type EmitContext, FILE_MODE, type OutputFile, type Target } from "../Target.js";

/**
 * Linux-PAM reads a pam.d line with fgets() into a 1024-byte buffer
 * (_pam_assemble_line in libpam/pam_handlers.c): a longer line is read in
 * pieces and the rest parsed as a line of its own, even after a '#'. Every
 * generated line stays under this many bytes.
 */
export const PAM_LINE_LIMIT = 1023;

/** The pam_listfile line for one access list. */
export function listfileLine(acl: AclModel): string {
  let line = `account required pam_listfile.so item=${acl.item} sense=${acl.sense} file=${acl.file} onerr=${acl.onerr}`;
  if (acl.apply) line += ` apply=${acl.apply}`;
  if (acl.quiet) line += " quiet";
  return line;
}

/**
 * The comment above a pam_listfile line: where its list comes from. The list
 * file itself holds only entries (pam_listfile has no comment syntax), so
 * its provenance is here and in the manifest.
 */
export function provenanceComment(acl: AclModel): string {
  const path = acl.fileSpan.file.path === "<stdin>" ? "standard input" : shownPath(acl.fileSpan.file.path);
  const { line } = acl.fileSpan.file.position(acl.fileSpan.start);
  return `# ${acl.file}: the ${acl.item} ${acl.sense} list at ${path} line ${line}.`;
}

/** A generated line and the policy value it comes from. */
interface Origin {
  span: Span;
  what: string;
}

/** The lines of a custom stack, with the access lists exactly where `account acls;` stands, or else before the first account line. */
function customStack(service: ServiceModel, acls: string[], origins: Map<string, Origin>): string {
  const out: string[] = [];
  const hasMarker = service.stack!.some((e) => e.kind === "acls");
  let placed = false;
  for (const entry of service.stack!) {
    const here = hasMarker ? entry.kind === "acls" : entry.kind === "line" && entry.type.replace(/^-/, "") === "account";
    if (here && !placed) {
      out.push(...acls);
      placed = true;
    }
    if (entry.kind === "line") {
      const line = [entry.type, entry.control, entry.module, ...entry.args].join(" ");
      origins.set(line, { span: entry.span, what: "this stack line" });
      out.push(line);
    }
  }
  if (!placed) out.push(...acls);
  return out.join("\n");
}

/** /etc/pam.d/SERVICE for every service: the platform template, or the policy's own stack. */
export const PamTarget: Target = {
  name: "pam",
  platforms: PLATFORMS,
  emit(ctx: EmitContext): OutputFile[] {
    const out: OutputFile[] = [];
    for (const service of ctx.model.services) {
      // A service shared by hosts of one platform release is rendered once (its findings too).
      const known = rendered.get(service);
      if (known && known.templates === ctx.templates && known.header === ctx.header) {
        if (known.file) out.push(known.file);
        continue;
      }
      const file = renderService(ctx, service);
      if (ctx.reused?.(service) !== false) rendered.set(service, { templates: ctx.templates, header: ctx.header, file });
      if (file) out.push(file);
    }
    return out;
  },
};

/** Each service's file as last rendered, with the store and header it was rendered with. */
const rendered = new WeakMap<ServiceModel, { templates: EmitContext["templates"]; header: string; file: OutputFile | null }>();

/** The pam.d file of one service, or null (reported) when it cannot be made. */
function renderService(ctx: EmitContext, service: ServiceModel): OutputFile | null {
  const origins = new Map<string, Origin>();
  const acls: string[] = [];
  for (const acl of service.acls) {
    const comment = provenanceComment(acl);
    const line = listfileLine(acl);
    origins.set(comment, { span: acl.fileSpan, what: "the comment naming this list file and the policy file" });
    origins.set(line, { span: acl.fileSpan, what: "the pam_listfile line of this list file" });
    acls.push(comment, line);
  }
  const vars = {
    header: ctx.header,
    service: service.name,
    pam_service: service.pamService,
    acls: acls.join("\n"),
    stack: "",
  };
  const chosen =
    service.stack || service.templateSet
      ? { template: service.template, stock: false }
      : stockTemplate(ctx.model.platform, ctx.model.release, service.pamService);
  const content = service.stack
    ? ctx.templates.render("pam.d/custom", { ...vars, stack: customStack(service, acls, origins) }, ["stack"])
    : ctx.templates.render(`pam.d/${chosen.template}`, vars, ["acls"]);
  if (content === undefined) return null;
  // The distribution's file this one is built from: the same template without the policy's lines.
  const stock = chosen.stock ? stripHeader(ctx.templates.render(`pam.d/${chosen.template}`, { ...vars, acls: "" }), ctx.header) : undefined;
  if (!linesFit(ctx, service, content, origins)) return null;
  checkAccountStack(ctx, service, content);
  return {
    path: `etc/pam.d/${service.pamService}`,
    content,
    mode: FILE_MODE,
    producer: `service "${service.name}"`,
    origins: [service.span],
    ...(stock !== undefined ? { stock } : {}),
  };
}

/** Debian's included stacks that hold no account line (libpam-runtime 1.5.2). */
const NO_ACCOUNT_LINES = new Set(["common-auth", "common-password", "common-session", "common-session-noninteractive"]);

/** The account stack a Red Hat or Debian host adds after the lists, as a stack line. */
const ACCOUNT_STACK: Record<string, string> = {
  redhat: "account include password-auth;",
  debian: "account include common-account;",
};

/**
 * Warns about an account stack that refuses everyone, measured with pamtester
 * on Linux-PAM 1.5.2: a file without account lines runs /etc/pam.d/other's,
 * which on Red Hat is pam_deny (PC3080); a stack of only pam_listfile lines
 * with apply= returns PAM_IGNORE from each for a user they do not apply to,
 * and libpam refuses a stack where nothing but PAM_IGNORE was returned
 * (PAM_PERM_DENIED, PC3081). An `@include` of a file other than Debian's
 * auth, password and session stacks may hold account lines: a file with one
 * is left alone.
 */
function checkAccountStack(ctx: EmitContext, service: ServiceModel, content: string): void {
  // The same rendered text for another host (the template store keeps one string per rendering) is read once.
  let known = accountStacks.get(ctx.templates);
  if (!known) accountStacks.set(ctx.templates, (known = new Map()));
  let found = known.get(content);
  if (found === undefined) known.set(content, (found = accountStackOf(content)));
  if (found === "none") {
    if (ctx.model.platform === "redhat") ctx.diagnostics.report(Messages.PamNoAccountStack, service.span, { pam: service.pamService });
    return;
  }
  if (found !== "applyOnly") return;
  ctx.diagnostics.report(Messages.PamOnlyApplyLists, service.span, {
    pam: service.pamService,
    lists: service.acls.map((a) => a.file).join(", "),
    stack: ACCOUNT_STACK[ctx.model.platform] ?? "",
  });
}

/** What checkAccountStack found in a text, by template store (one per compile and platform). */
const accountStacks = new WeakMap<object, Map<string, AccountStack>>();

/** "included": an included stack may hold account lines; "none": no account line; "applyOnly": only pam_listfile lines with apply=; "fine". */
type AccountStack = "included" | "none" | "applyOnly" | "fine";

function accountStackOf(content: string): AccountStack {
  const rules = content.split("\n").filter((l) => l.trim() !== "" && !l.trimStart().startsWith("#"));
  const includes = rules.filter((l) => l.trimStart().startsWith("@include")).map((l) => l.trim().split(/\s+/)[1] ?? "");
  if (includes.some((f) => !NO_ACCOUNT_LINES.has(f))) return "included";
  const account = rules.filter((l) => /^-?account$/i.test(l.trim().split(/\s+/)[0] ?? ""));
  if (account.length === 0) return "none";
  return account.every((l) => /^account required pam_listfile\.so .* apply=\S+/.test(l)) ? "applyOnly" : "fine";
}

/** A rendered template without the line that holds policyc's header. */
function stripHeader(text: string | undefined, header: string): string | undefined {
  if (text === undefined) return undefined;
  return text
    .split("\n")
    .filter((line) => !line.includes(header))
    .join("\n");
}

/** Reports every line of a pam.d file that Linux-PAM would not read whole; true when all fit. */
function linesFit(ctx: EmitContext, service: ServiceModel, content: string, origins: Map<string, Origin>): boolean {
  // A line of fewer than LIMIT/3 UTF-16 units is under LIMIT bytes, and only
  // a line with a backslash can continue: most files need no closer look.
  if (content.length < PAM_LINE_LIMIT / 3 && !content.includes("\\")) return true;
  let ok = true;
  const originOf = (line: string): Origin =>
    origins.get(line) ?? {
      span: service.span,
      what: line.includes(ctx.header) ? "the header comment, which names the policy file" : "a template line, with this service's names",
    };
  content.split("\n").forEach((line, i) => {
    if (continues(line)) {
      const what = origins.get(line)?.what ?? `line ${i + 1} of the template`;
      ctx.diagnostics.report(Messages.PamLineContinues, originOf(line).span, { line: i + 1, pam: service.pamService, what });
      ok = false;
    }
    if (line.length < PAM_LINE_LIMIT / 3) return;
    const bytes = Buffer.byteLength(line);
    if (bytes < PAM_LINE_LIMIT) return;
    const origin = originOf(line);
    ctx.diagnostics.report(Messages.PamLineTooLong, origin.span, { line: i + 1, pam: service.pamService, bytes, what: origin.what });
    ok = false;
  });
  return ok;
}

/**
 * Does Linux-PAM join the next line to this one? _pam_assemble_line skips a
 * line that is blank or starts with '#', ends a line at its first '#', and
 * otherwise continues it when its last character before trailing blanks is
 * a backslash (the next comment lines are skipped, not joined: the line
 * after them is).
 */
function continues(line: string): boolean {
  const text = line.replace(/^[ \t]+/, "");
  if (text === "" || text.startsWith("#") || text.includes("#")) return false;
  return text.replace(/[ \t]+$/, "").endsWith("\\");
}
