/**
 * The PAM half of the decision procedure: the account stack (acct_mgmt, where
 * the access lists are) of one service, run as Linux-PAM 1.5 runs it, on the
 * pam.d files the build writes.
 *
 * - The stack is read from the generated /etc/pam.d/<service>: every
 *   `account` line in order, `@include`, `include` and `substack` followed
 *   (the host's own files, common-account, system-auth and password-auth, as
 *   the platform ships them: HOST_FILES); a file without account lines runs
 *   those of /etc/pam.d/other, as libpam does.
 * - Each line's control is Linux-PAM's action table (required is
 *   `[success=ok new_authtok_reqd=ok ignore=ignore default=bad]`, ...), and
 *   the dispatcher is libpam's _pam_dispatch_aux: ok and done set a positive
 *   result only while nothing failed, bad and die keep the first failure,
 *   reset forgets both, N skips N lines; a stack that only ignored the user
 *   answers PAM_PERM_DENIED.
 * - pam_listfile (modules/pam_listfile/pam_listfile.c, Linux-PAM 1.5.2):
 *   apply= only for tty and rhost (PAM_IGNORE for a user it does not apply
 *   to); an unset or empty item never matches (sense=allow refuses, deny
 *   lets in) before the file is opened; item=shell reads the user's passwd
 *   entry (none: the onerr result); a missing list is the onerr result
 *   (fail: PAM_SERVICE_ERR), a world-writable one or a symlink PAM_AUTH_ERR
 *   whatever onerr says; matching is exact; group is membership; tty has
 *   /dev/ stripped on both sides.
 * - pam_unix account: PAM_USER_UNKNOWN for a user not in passwd (account
 *   expiry is not modelled: the policy does not hold it); pam_nologin:
 *   PAM_AUTH_ERR for anyone but root while /etc/nologin exists, else
 *   PAM_IGNORE; pam_permit PAM_SUCCESS; pam_deny PAM_ACCT_EXPIRED (its
 *   acct_mgmt); pam_sepermit PAM_IGNORE (its stock sepermit.conf names no
 *   one). Any other module makes the answer "unknown", naming it.
 */
import type { Span } from "../diagnostics/diagnostic.js";
import type { AclModel, Entry, Model, PlatformName, ServiceModel } from "../check/model.js";
import type { ListFileState, PamRequest } from "./request.js";

/** Linux-PAM return codes the account stack can produce here. */
export type PamStatus =
  | "PAM_SUCCESS"
  | "PAM_IGNORE"
  | "PAM_AUTH_ERR"
  | "PAM_SERVICE_ERR"
  | "PAM_USER_UNKNOWN"
  | "PAM_PERM_DENIED"
  | "PAM_ACCT_EXPIRED"
  | "PAM_NEW_AUTHTOK_REQD";

/** The control words' names for the return codes, as pam.d brackets spell them. */
const STATUS_WORD: Record<PamStatus, string> = {
  PAM_SUCCESS: "success",
  PAM_IGNORE: "ignore",
  PAM_AUTH_ERR: "auth_err",
  PAM_SERVICE_ERR: "service_err",
  PAM_USER_UNKNOWN: "user_unknown",
  PAM_PERM_DENIED: "perm_denied",
  PAM_ACCT_EXPIRED: "acct_expired",
  PAM_NEW_AUTHTOK_REQD: "new_authtok_reqd",
};

/** The pam.d files of a host as the build leaves them: the generated ones, else the platform's; null when unknown. */
export type PamFiles = (name: string) => string | null;

/**
 * The account lines of the files a generated pam.d file includes that belong
 * to the host, as the platform ships them: Debian 12's common-account
 * (libpam-runtime), and on Red Hat the account stack of authselect's minimal
 * profile for system-auth and password-auth.
 */
export const HOST_FILES: Record<PlatformName, Record<string, string>> = {
  debian: {
    "common-account": [
      "account\t[success=1 new_authtok_reqd=done default=ignore]\tpam_unix.so",
      "account\trequisite\t\t\tpam_deny.so",
      "account\trequired\t\t\tpam_permit.so",
    ].join("\n"),
    // libpam-runtime's /etc/pam.d/other: what Linux-PAM runs for a stack without account lines.
    other: "@include common-auth\n@include common-account\n@include common-password\n@include common-session",
  },
  redhat: {
    "system-auth": "account required pam_unix.so\naccount required pam_permit.so",
    "password-auth": "account required pam_unix.so\naccount required pam_permit.so",
    other: "account required pam_deny.so",
  },
};

/** Where an entry came from: the named lists it was taken through, outermost first, and where each is defined. */
export type EntryOrigin = (entry: Entry, acl: AclModel) => { name: string; span: Span }[];

/** What one pam_listfile line compared. */
export interface AclTrace {
  acl: AclModel;
  /** The value compared ("" when the item is unset), after /dev/ stripping; for group, the user's groups joined with ", ". */
  compared: string | null;
  /** The entry that matched, or null when none did (or the list was not read). */
  matched: Entry | null;
  /** The named lists the matching entry came through. */
  lists: { name: string; span: Span }[];
}

/** One line of the account stack as it ran. */
export interface PamStep {
  /** The pam.d file, e.g. /etc/pam.d/sshd. */
  file: string;
  /** Its 1-based line. */
  line: number;
  text: string;
  module: string;
  control: string;
  /** What the module returned; null for a line the dispatcher jumped over. */
  result: PamStatus | null;
  /** What the control did with it: ok, done, bad, die, ignore, reset, "jump N" or "skipped". */
  action: string;
  /** Why the module answered so, in words. */
  note: string;
  acl?: AclTrace;
}

export interface PamDecision {
  kind: "pam";
  host: string | null;
  service: string;
  pamService: string;
  request: PamRequest;
  /** allow: PAM_SUCCESS; deny: any failure; unknown: a module the decision procedure does not model. */
  decision: "allow" | "deny" | "unknown";
  status: PamStatus | null;
  steps: PamStep[];
  /** The step whose result became the stack's, or null (every line ignored the user; or unknown). */
  decidedBy: number | null;
  /** One sentence. */
  reason: string;
}

/** A pam.d line's controls as libpam reads them: return word -> action. */
type Actions = Map<string, string>;

const CONTROLS: Record<string, string> = {
  required: "success=ok new_authtok_reqd=ok ignore=ignore default=bad",
  requisite: "success=ok new_authtok_reqd=ok ignore=ignore default=die",
  optional: "success=ok new_authtok_reqd=ok default=ignore",
  sufficient: "success=done new_authtok_reqd=done default=ignore",
};

function parseActions(control: string): Actions | null {
  const body = CONTROLS[control.toLowerCase()] ?? (control.startsWith("[") && control.endsWith("]") ? control.slice(1, -1) : null);
  if (body === null) return null;
  const m: Actions = new Map();
  for (const pair of body.trim().split(/\s+/)) {
    const eq = pair.indexOf("=");
    if (eq <= 0) return null;
    m.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  return m;
}

function actionFor(actions: Actions, status: PamStatus): string {
  return actions.get(STATUS_WORD[status]) ?? actions.get("default") ?? "bad";
}

/** An account line, parsed. */
interface Line {
  file: string;
  line: number;
  text: string;
  control: string;
  actions: Actions | null;
  module: string;
  args: string[];
  /** For substack: its own lines. */
  sub?: Line[];
  /** The access list of the policy this pam_listfile line reads. */
  acl?: AclModel;
}

/** Splits a pam.d line into tokens, keeping `[...]` (with `\]`) as one. */
function tokens(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (i >= text.length) break;
    let tok = "";
    while (i < text.length && !/\s/.test(text[i]!)) {
      if (text[i] === "[") {
        let j = i + 1;
        while (j < text.length && text[j] !== "]") j += text[j] === "\\" ? 2 : 1;
        tok += text.slice(i, j + 1);
        i = j + 1;
      } else tok += text[i++];
    }
    out.push(tok);
  }
  return out;
}

class Unknown extends Error {}

/** The account lines of a service's pam.d file, includes followed. */
function accountLines(name: string, files: PamFiles, platform: PlatformName, chain: string[] = []): Line[] {
  if (chain.includes(name)) throw new Unknown(`/etc/pam.d/${name} includes itself`);
  const text = files(name) ?? HOST_FILES[platform][name] ?? null;
  if (text === null) throw new Unknown(`/etc/pam.d/${name} is not written by the policy nor known for the platform`);
  const path = `/etc/pam.d/${name}`;
  const out: Line[] = [];
  text.split("\n").forEach((raw, i) => {
    const t = raw.replace(/#.*$/, "").trim();
    if (!t) return;
    const w = tokens(t);
    if (w[0] === "@include") {
      // Debian's common files of the other stacks hold no account line.
      if (/^common-(auth|password|session(-noninteractive)?)$/.test(w[1] ?? "") && files(w[1]!) === null) return;
      out.push(...accountLines(w[1] ?? "", files, platform, [...chain, name]));
      return;
    }
    const type = (w[0] ?? "").replace(/^-/, "").toLowerCase();
    if (type !== "account" || w.length < 3) return;
    const control = w[1]!;
    const module = w[2]!;
    const base = { file: path, line: i + 1, text: raw.trim() };
    if (control.toLowerCase() === "include") {
      out.push(...accountLines(module, files, platform, [...chain, name]));
    } else if (control.toLowerCase() === "substack") {
      out.push({
        ...base,
        control,
        actions: parseActions("required"),
        module,
        args: [],
        sub: accountLines(module, files, platform, [...chain, name]),
      });
    } else {
      out.push({ ...base, control, actions: parseActions(control), module, args: w.slice(3) });
    }
  });
  return out;
}

/** The module's file name: `pam_unix.so` for `/lib/security/pam_unix.so`. */
const moduleName = (m: string) => m.replace(/^.*\//, "");

const stripDev = (s: string) => (s.startsWith("/dev/") ? s.slice(5) : s);

interface Ctx {
  request: PamRequest;
  origin?: EntryOrigin;
}

/** The user's groups: as given, or one named like the user. */
function groupsOf(r: PamRequest): string[] {
  return r.groups ?? [r.user];
}

/** pam_listfile on one request. */
function listfile(line: Line, acl: AclModel, ctx: Ctx): { status: PamStatus; note: string; trace: AclTrace } {
  const r = ctx.request;
  const args = new Map(line.args.map((a) => [a.split("=")[0]!, a.includes("=") ? a.slice(a.indexOf("=") + 1) : ""]));
  const item = args.get("item") ?? acl.item;
  const sense = args.get("sense") ?? acl.sense;
  const onerr = args.get("onerr") === "succeed" ? "succeed" : "fail";
  const apply = args.get("apply") ?? null;
  const trace: AclTrace = { acl, compared: null, matched: null, lists: [] };
  const onerrResult = (why: string) =>
    onerr === "fail"
      ? { status: "PAM_SERVICE_ERR" as const, note: `${why}: onerr=fail refuses (PAM_SERVICE_ERR)`, trace }
      : { status: "PAM_SUCCESS" as const, note: `${why}: onerr=succeed lets the user through`, trace };
  const exists = r.exists ?? true;
  if (apply && (item === "tty" || item === "rhost")) {
    const target = apply.startsWith("@") ? exists && groupsOf(r).includes(apply.slice(1)) : r.user === apply;
    if (!target) return { status: "PAM_IGNORE", note: `apply=${apply} does not name ${r.user}: the list is skipped (PAM_IGNORE)`, trace };
  }
  let value: string | undefined;
  if (item === "user" || item === "group" || item === "shell") value = r.user;
  else if (item === "ruser") value = r.ruser;
  else if (item === "rhost") value = r.rhost;
  else if (item === "tty") value = r.tty === undefined ? undefined : stripDev(r.tty);
  if (!value) {
    trace.compared = "";
    return sense === "allow"
      ? { status: "PAM_AUTH_ERR", note: `${item} is unset, which never matches: sense=allow refuses`, trace }
      : { status: "PAM_SUCCESS", note: `${item} is unset, which never matches: sense=deny lets the user through`, trace };
  }
  if (item === "shell") {
    if (!exists) return onerrResult(`${r.user} is not in passwd, so there is no shell to compare`);
    value = r.shell ?? "/bin/bash";
  }
  const state: ListFileState = r.files?.[acl.file] ?? "present";
  if (state === "missing") return onerrResult(`${acl.file} is missing`);
  if (state === "world-writable" || state === "symlink")
    return {
      status: "PAM_AUTH_ERR",
      note: `${acl.file} is ${state === "symlink" ? "a symbolic link" : "world-writable"}: pam_listfile refuses whatever onerr says`,
      trace,
    };
  const groups = item === "group" ? new Set(exists ? groupsOf(r) : []) : null;
  trace.compared = groups ? [...groups].join(", ") : value;
  const entries = acl.entries;
  let hit = -1;
  for (let i = 0; i < entries.length; i++) {
    const e = entries.value(i);
    if (groups ? groups.has(e) : (item === "tty" ? stripDev(e) : e) === value) {
      hit = i;
      break;
    }
  }
  const shown = groups ? `${r.user}'s groups (${trace.compared || "none"})` : `${item} "${value}"`;
  if (hit >= 0) {
    const entry = entries.at(hit);
    trace.matched = entry;
    trace.lists = ctx.origin?.(entry, acl) ?? [];
  }
  if (sense === "allow")
    return hit >= 0
      ? { status: "PAM_SUCCESS", note: `${shown} is listed in ${acl.file}: allowed`, trace }
      : { status: "PAM_AUTH_ERR", note: `${shown} is not listed in ${acl.file}: sense=allow refuses`, trace };
  return hit >= 0
    ? { status: "PAM_AUTH_ERR", note: `${shown} is listed in ${acl.file}: sense=deny refuses`, trace }
    : { status: "PAM_SUCCESS", note: `${shown} is not listed in ${acl.file}: allowed`, trace };
}

/** What one module returns for the request. */
function runModule(line: Line, ctx: Ctx, steps: PamStep[]): { status: PamStatus; note: string; acl?: AclTrace } {
  const r = ctx.request;
  const exists = r.exists ?? true;
  if (line.sub) {
    const sub = dispatch(line.sub, ctx, steps);
    return { status: sub.status ?? "PAM_PERM_DENIED", note: `substack ${line.module}: ${sub.status ?? "every line ignored the user"}` };
  }
  switch (moduleName(line.module)) {
    case "pam_listfile.so": {
      if (!line.acl) throw new Unknown(`${line.file} line ${line.line} reads a list the policy does not write`);
      const res = listfile(line, line.acl, ctx);
      return { status: res.status, note: res.note, acl: res.trace };
    }
    case "pam_unix.so":
      return exists
        ? { status: "PAM_SUCCESS", note: `${r.user} is in passwd` }
        : { status: "PAM_USER_UNKNOWN", note: `${r.user} is not in passwd` };
    case "pam_nologin.so":
      if (!r.nologin) return { status: "PAM_IGNORE", note: "/etc/nologin does not exist" };
      return r.user === "root" && exists
        ? { status: "PAM_SUCCESS", note: "/etc/nologin exists, but root may log in" }
        : { status: "PAM_AUTH_ERR", note: "/etc/nologin exists: only root may log in" };
    case "pam_permit.so":
      return { status: "PAM_SUCCESS", note: "pam_permit lets everyone through" };
    case "pam_deny.so":
      return { status: "PAM_ACCT_EXPIRED", note: "pam_deny refuses everyone" };
    case "pam_sepermit.so":
      // Its acct_mgmt is its authenticate: PAM_IGNORE for a user no line of
      // /etc/security/sepermit.conf names, and Debian and Red Hat ship that
      // file with comments only (Red Hat's stock sshd runs it).
      return { status: "PAM_IGNORE", note: "no entry of /etc/security/sepermit.conf names the user (it ships with none)" };
    default:
      throw new Unknown(`${line.file} line ${line.line} runs ${line.module}, which the decision procedure does not model`);
  }
}

/** libpam's _pam_dispatch_aux over account lines. */
function dispatch(lines: Line[], ctx: Ctx, steps: PamStep[]): { status: PamStatus | null; decidedBy: number | null } {
  let impression: "undef" | "good" | "bad" = "undef";
  let status: PamStatus | null = null;
  let decidedBy: number | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line.actions) throw new Unknown(`${line.file} line ${line.line} has a control libpam cannot parse: ${line.control}`);
    const res = runModule(line, ctx, steps);
    const action = actionFor(line.actions, res.status);
    const step: PamStep = {
      file: line.file,
      line: line.line,
      text: line.text,
      module: moduleName(line.module),
      control: line.control,
      result: res.status,
      action,
      note: res.note,
      ...(res.acl && { acl: res.acl }),
    };
    const index = steps.push(step) - 1;
    if (action === "reset") {
      impression = "undef";
      status = null;
      decidedBy = null;
    } else if (action === "ok" || action === "done") {
      if ((impression === "undef" || (impression === "good" && status === "PAM_SUCCESS")) && res.status !== "PAM_IGNORE") {
        impression = "good";
        status = res.status;
        decidedBy = index;
      }
      if (impression !== "bad" && action === "done") break;
    } else if (action === "bad" || action === "die") {
      if (impression !== "bad") {
        impression = "bad";
        status = res.status === "PAM_IGNORE" ? null : res.status;
        decidedBy = index;
      }
      if (action === "die") break;
    } else if (/^[1-9]\d*$/.test(action)) {
      const n = Number(action);
      for (let k = 1; k <= n && i + 1 < lines.length; k++) {
        const skipped = lines[++i]!;
        steps.push({
          file: skipped.file,
          line: skipped.line,
          text: skipped.text,
          module: moduleName(skipped.module),
          control: skipped.control,
          result: null,
          action: "skipped",
          note: `jumped over by line ${line.line}`,
        });
      }
    } else if (action !== "ignore") throw new Unknown(`${line.file} line ${line.line}: unknown action ${action}`);
  }
  if (impression === "bad" && status === null) status = "PAM_PERM_DENIED";
  return { status, decidedBy };
}

/** The service a request names: by the policy's service name, else by its PAM service name. */
export function findService(model: Model, name: string): ServiceModel | undefined {
  return model.services.find((s) => s.name === name) ?? model.services.find((s) => s.pamService === name);
}

/** Attaches the policy's access lists to the pam_listfile lines of the service's own file, in order, by file. */
function attachAcls(lines: Line[], service: ServiceModel): void {
  const own = `/etc/pam.d/${service.pamService}`;
  const left = [...service.acls];
  const walk = (ls: Line[]) => {
    for (const l of ls) {
      if (l.sub) walk(l.sub);
      if (l.file !== own || moduleName(l.module) !== "pam_listfile.so") continue;
      const file = l.args.find((a) => a.startsWith("file="))?.slice(5);
      const k = left.findIndex((a) => a.file === file);
      if (k >= 0) l.acl = left.splice(k, 1)[0]!;
    }
  };
  walk(lines);
}

/**
 * Decides a PAM request on one host's model: allow, deny or unknown, with
 * every account line that ran and the one whose result became the stack's.
 */
export function decidePam(model: Model, service: ServiceModel, request: PamRequest, files: PamFiles, origin?: EntryOrigin): PamDecision {
  const steps: PamStep[] = [];
  const base = { kind: "pam" as const, host: model.host, service: service.name, pamService: service.pamService, request, steps };
  try {
    let lines = accountLines(service.pamService, files, model.platform);
    attachAcls(lines, service);
    // A file without account lines: Linux-PAM runs those of /etc/pam.d/other (measured with pamtester).
    if (lines.length === 0) lines = accountLines("other", files, model.platform);
    const { status, decidedBy } = dispatch(lines, { request, ...(origin && { origin }) }, steps);
    const final: PamStatus = status ?? "PAM_PERM_DENIED";
    const decision = final === "PAM_SUCCESS" ? "allow" : "deny";
    const by = decidedBy === null ? null : steps[decidedBy]!;
    const reason =
      by === null
        ? `every account line ignored ${request.user}: Linux-PAM answers PAM_PERM_DENIED`
        : decision === "allow"
          ? `every account line that decided let ${request.user} through`
          : `${by.file} line ${by.line} (${by.module}): ${by.note}`;
    return { ...base, decision, status: final, decidedBy, reason };
  } catch (e) {
    if (!(e instanceof Unknown)) throw e;
    return { ...base, decision: "unknown", status: null, decidedBy: null, reason: e.message };
  }
}

/** How pamtester reports a status: allow, deny (a refusal) or error (PAM_SERVICE_ERR: "Error in service module"). */
export function pamtesterResult(d: PamDecision): "allow" | "deny" | "error" | "unknown" {
  if (d.decision === "unknown") return "unknown";
  if (d.status === "PAM_SERVICE_ERR") return "error";
  return d.decision;
}
