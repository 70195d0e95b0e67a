import type { PamCase, PamResult } from "../stack.js";
import { AccountStep, AclMeaning } from "./meaning.js";
import { Accounts } from "./accounts.js";

// ---------------------------------------------------------------------------
// The account stack, evaluated
// ---------------------------------------------------------------------------

/** `ignored`: the module returned PAM_IGNORE (apply= does not name the user); it passes but decides nothing. */
type LineResult = { r: "pass" | "deny" | "error"; why: string; ignored?: true };

export const stripDev = (s: string) => (s.startsWith("/dev/") ? s.slice(5) : s);

/** What one pam_listfile line returns for a case. */
export function listfile(acl: AclMeaning, c: PamCase, db: Accounts): LineResult {
  const onerr = (why: string): LineResult =>
    acl.onerr === "fail" ? { r: "error", why: `${why}, onerr=fail` } : { r: "pass", why: `${why}, onerr=succeed` };
  const where = `${acl.item} ${acl.sense} ${acl.file}`;
  if (acl.apply) {
    const target = acl.apply.kind === "user" ? c.user === acl.apply.name : db.inGroup(c.user, acl.apply.name);
    if (!target) return { r: "pass", why: `${where} does not apply to ${c.user}`, ignored: true };
  }
  let value: string | undefined;
  switch (acl.item) {
    case "user":
    case "group":
    case "shell":
      value = c.user;
      break;
    case "ruser":
      value = c.ruser;
      break;
    case "rhost":
      value = c.rhost;
      break;
    case "tty":
      value = c.tty === undefined ? undefined : stripDev(c.tty);
      break;
  }
  if (!value) {
    return acl.sense === "deny"
      ? { r: "pass", why: `${acl.item} unset never matches (${where})` }
      : { r: "deny", why: `${acl.item} unset never matches (${where})` };
  }
  if (acl.item === "shell") {
    const sh = db.shell(value);
    if (sh === undefined) return onerr(`${value} not in passwd for ${where}`);
    value = sh === "" ? "/bin/sh" : sh;
  }
  if (c.file && c.file.path === acl.file) {
    if (c.file.state === "missing") return onerr(`${acl.file} missing`);
    return { r: "deny", why: `${acl.file} ${c.file.state} is refused` };
  }
  const matched = acl.entries.some((e) =>
    acl.item === "group" ? db.inGroup(value!, e) : (acl.item === "tty" ? stripDev(e) : e) === value,
  );
  const shown = acl.item === "group" ? `${value}'s groups` : value;
  if (acl.sense === "allow") return matched ? { r: "pass", why: `${shown} listed` } : { r: "deny", why: `${shown} not in ${acl.file}` };
  return matched ? { r: "deny", why: `${shown} listed in ${acl.file}` } : { r: "pass", why: `${shown} not listed` };
}

/** The acct_mgmt outcome of a case: the first line that does not pass decides (all lines are required). */
export function evaluate(steps: readonly AccountStep[], c: PamCase, db: Accounts): { expect: PamResult; why: string } {
  const passed: string[] = [];
  let decided = false;
  for (const s of steps) {
    let res: LineResult;
    if (s.kind === "acl") res = listfile(s.acl, c, db);
    else if (s.kind === "unix") res = db.exists(c.user) ? { r: "pass", why: "in passwd" } : { r: "deny", why: `not in passwd (${s.why})` };
    else if (s.kind === "permit") res = { r: "pass", why: "pam_permit" };
    else res = { r: "deny", why: "pam_deny" };
    if (res.r !== "pass") return { expect: res.r, why: res.why };
    passed.push(res.why);
    if (!res.ignored) decided = true;
  }
  // Every line returned PAM_IGNORE: Linux-PAM has no result and answers PAM_PERM_DENIED
  // (measured with pamtester: "Permission denied", root included).
  if (!decided) return { expect: "deny", why: `every account line ignored the user (${passed.join("; ")}): PAM_PERM_DENIED` };
  return { expect: "allow", why: passed.filter((w) => !/^in passwd$|^pam_permit$/.test(w)).join("; ") || "passes every line" };
}
