/**
 * The e2e oracle: what a policy MEANS on the real stack, derived from the
 * policy alone, independently of the compiler's own code path.
 *
 * It uses only the parser (src/syntax: bytes -> AST), never src/check or
 * src/targets: it resolves named lists itself (README "The policy
 * language": `$NAME` is the values of the list NAME, recursively; every bare
 * word and every string is a literal) and applies pam_listfile's semantics as
 * Linux-PAM 1.5.2's modules/pam_listfile/pam_listfile.c has them, measured
 * with pamtester where the manual disagrees (README "Inside acl"):
 *
 * - the module first checks apply= (only for tty, rhost, shell): a user who
 *   is not the apply target is not restricted (PAM_IGNORE);
 * - an unset or empty item never matches: sense=allow denies, sense=deny
 *   allows, and the list file is not even looked at;
 * - item=shell needs the user in passwd (else the onerr result);
 * - a missing list file gives the onerr result (fail: PAM_SERVICE_ERR, which
 *   pamtester reports as "Error in service module"); a world-writable list
 *   or one that is not a regular file (a symlink) is refused (PAM_AUTH_ERR)
 *   whatever onerr says;
 * - matching is exact (no case folding); item=group is membership (primary
 *   group or member list); tty has /dev/ stripped on both sides.
 *
 * Every acl line is `account required`, so the account stack is the acl
 * lines in policy order followed by the platform's account stack (Debian
 * `@include common-account`, Red Hat `include system-auth|password-auth`;
 * both need the user in passwd: pam_unix). With `required` lines the stack's
 * result is the FIRST failure's, so a case's outcome is the first non-passing
 * line: allow, deny (PAM_AUTH_ERR, PAM_USER_UNKNOWN) or error (PAM_SERVICE_ERR).
 *
 * The expectations are then cases chosen to exercise every list both ways
 * (each listed value, unlisted values, unset items, a user not in passwd,
 * apply targets and non-targets, broken list files) with the outcome the
 * semantics above give; and for mail the SMTP behaviour the README promises.
 *
 * The code lives in oracle/, one file per section (split so that each
 * concern can be read alone); this file re-exports all of it.
 */
export * from "./oracle/meaning.js";
export * from "./oracle/accounts.js";
export * from "./oracle/evaluate.js";
export * from "./oracle/pam-cases.js";
export * from "./oracle/smtp.js";
export * from "./oracle/entry.js";
