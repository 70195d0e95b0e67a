/**
 * Linux-PAM's control vocabulary, as libpam parses it (Linux-PAM 1.5.2,
 * libpam/pam_tokens.h and _pam_parse_control in libpam/pam_misc.c): a
 * bracket control is `[value=action ...]`, compared with strncmp, so case
 * matters; anything it cannot parse turns every action of the line into
 * `bad` (the line always fails).
 */
import { closest } from "./suggest.js";

/** The return values a bracket control may name (pam_tokens.h, in libpam's order), and `default`. */
export const PAM_RETURN_VALUES = [
  "success",
  "open_err",
  "symbol_err",
  "service_err",
  "system_err",
  "buf_err",
  "perm_denied",
  "auth_err",
  "cred_insufficient",
  "authinfo_unavail",
  "user_unknown",
  "maxtries",
  "new_authtok_reqd",
  "acct_expired",
  "session_err",
  "cred_unavail",
  "cred_expired",
  "cred_err",
  "no_module_data",
  "conv_err",
  "authtok_err",
  "authtok_recover_err",
  "authtok_lock_busy",
  "authtok_disable_aging",
  "try_again",
  "ignore",
  "abort",
  "authtok_expired",
  "module_unknown",
  "bad_item",
  "conv_again",
  "incomplete",
  "default",
] as const;

/** The named actions; an action may also be a positive jump count. */
export const PAM_ACTIONS = ["ignore", "ok", "done", "bad", "die", "reset"] as const;

/** The keyword controls (case-insensitive in libpam's strcasecmp) and what libpam makes of them. */
export const KEYWORD_CONTROLS = ["required", "requisite", "sufficient", "optional", "include", "substack"] as const;

/** Why a `[...]` control's inner text is not one libpam parses, or undefined when it is. */
export function bracketControlReason(inner: string): string | undefined {
  if (inner.trim() === "") return "it is empty";
  for (const pair of inner.trim().split(/\s+/)) {
    const eq = pair.indexOf("=");
    if (eq <= 0 || eq === pair.length - 1) {
      return `"${pair}" is not value=action (write each pair without spaces, e.g. success=ok)`;
    }
    const value = pair.slice(0, eq);
    const action = pair.slice(eq + 1);
    if (!(PAM_RETURN_VALUES as readonly string[]).includes(value)) {
      return `"${value}" is not a return value Linux-PAM knows${suggest(value, PAM_RETURN_VALUES)}; Linux-PAM would treat the line as always failing`;
    }
    if (!(PAM_ACTIONS as readonly string[]).includes(action) && !/^[1-9][0-9]*$/.test(action)) {
      return `"${action}" is not an action (ignore, ok, done, bad, die, reset or a jump count from 1)${suggest(action, PAM_ACTIONS)}; Linux-PAM would treat the line as always failing`;
    }
  }
  return undefined;
}

function suggest(word: string, vocabulary: readonly string[]): string {
  const lower = word.toLowerCase();
  if (lower !== word && vocabulary.includes(lower)) return ` (did you mean "${lower}"? Linux-PAM compares them case-sensitively)`;
  const guess = closest(word, vocabulary);
  return guess ? ` (did you mean "${guess}"?)` : "";
}

/** The actions of a normalised control (`sufficient` or `[a=b c=d]`), keyword controls spelt out as libpam defines them. */
export function controlActions(control: string): string[] {
  switch (control) {
    case "required":
      return ["ok", "bad"]; // [success=ok new_authtok_reqd=ok ignore=ignore default=bad]
    case "requisite":
      return ["ok", "die"];
    case "sufficient":
      return ["done"]; // [success=done new_authtok_reqd=done default=ignore]
    case "optional":
      return ["ok"];
    case "include":
    case "substack":
      return [];
  }
  return control
    .slice(1, -1)
    .split(/\s+/)
    .map((pair) => pair.slice(pair.indexOf("=") + 1));
}
