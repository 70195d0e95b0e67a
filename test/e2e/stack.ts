/**
 * End-to-end harness: runs compiled policyc trees against the REAL Linux-PAM
 * (via pamtester) and the REAL sendmail (m4 + sendmail -bD + swaks).
 *
 * A "tree" is a directory that mirrors a host's root and today holds only
 * `etc/...` (pam.d files, pam_listfile lists, /etc/mail files).
 *
 * Nothing here touches the real /etc: every run copies /etc into a private
 * temp dir, lays the tree over the copy, adds test users to the COPY, and
 * bind-mounts the copy on /etc inside a private mount namespace
 * (`unshare -m --propagation private`, plus a PID namespace so nothing
 * outlives a run). sendmail and its SMTP clients also get a private NETWORK
 * namespace (`unshare -n`): the daemon binds the generated DaemonPortOptions
 * as they are (ports 25, 587, ... are free there), and test client addresses
 * (relay networks) are added to that namespace's lo, never to the host's
 * interfaces. Needs root (or CAP_SYS_ADMIN).
 *
 * Platforms: a tree for Red Hat is run on this Debian machine with the few
 * stand-ins Debian lacks (Red Hat-like pam.d/system-auth and password-auth
 * from fixtures/redhat/, Red Hat's cf.m4 path mapped to Debian's, the SASL
 * config where Debian's sendmail reads it, /etc/mail root-owned); see
 * {@link pamCases} and {@link startSendmail}.
 *
 * This module defines no test cases; see stack-suite.ts and *.e2e.test.ts.
 * Debugging: E2E_KEEP=1 keeps the sandboxes (their paths are printed).
 *
 * The code lives in stack/, one file per section (split so that each
 * concern can be read alone); this file re-exports all of it.
 */
export * from "./stack/platform.js";
export * from "./stack/process.js";
export * from "./stack/sandbox.js";
export * from "./stack/pam.js";
export * from "./stack/sendmail.js";
export * from "./stack/smtp.js";
export * from "./stack/pam-batch.js";
