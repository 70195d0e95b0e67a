import type { CheckContext } from "../context.js";
import { Messages } from "../../diagnostics/messages.js";
import type { AclModel, Model } from "../model.js";

/**
 * A file another program reads with its own meaning. `path` ending in "/"
 * covers everything below that folder; `prefix` covers every path that
 * starts with it (/etc/cron covers /etc/crontab and /etc/cron.d/...).
 * An exact path also covers its backup with "-" appended (/etc/shadow-).
 * `unless` lets through the one use that means the same thing to that
 * program. This table is README "Safety checks", PC4110: keep them together.
 */
interface ForeignFile {
  path: string;
  match: "exact" | "folder" | "prefix";
  owner: string;
  harm: string;
  unless?: (acl: AclModel) => boolean;
}

export const FOREIGN_FILES: readonly ForeignFile[] = [
  {
    path: "/etc/mail/",
    match: "folder",
    owner: "sendmail's",
    harm: "feed sendmail data it reads with another meaning (every name in relay-domains may relay)",
  },
  { path: "/etc/aliases", match: "prefix", owner: "sendmail's alias table", harm: "redirect or drop mail" },
  { path: "/etc/sasldb2", match: "exact", owner: "Cyrus SASL's password database", harm: "destroy every SMTP AUTH account" },
  { path: "/etc/sasl2/", match: "folder", owner: "Cyrus SASL's configuration", harm: "change how SMTP AUTH checks passwords" },
  { path: "/etc/passwd", match: "exact", owner: "the user database", harm: "destroy every account" },
  { path: "/etc/shadow", match: "exact", owner: "the password database", harm: "destroy every password and lock everyone out" },
  { path: "/etc/group", match: "exact", owner: "the group database", harm: "destroy every group" },
  { path: "/etc/gshadow", match: "exact", owner: "the group password database", harm: "destroy every group password" },
  { path: "/etc/sudoers", match: "exact", owner: "sudo's configuration", harm: "break or rewrite who may become root" },
  { path: "/etc/sudoers.d/", match: "folder", owner: "sudo's configuration", harm: "break or rewrite who may become root" },
  { path: "/etc/security/access.conf", match: "exact", owner: "a PAM module's configuration", harm: "change what that module allows" },
  { path: "/etc/security/capability.conf", match: "exact", owner: "a PAM module's configuration", harm: "change what that module allows" },
  { path: "/etc/security/chroot.conf", match: "exact", owner: "a PAM module's configuration", harm: "change what that module allows" },
  { path: "/etc/security/console.perms", match: "exact", owner: "a PAM module's configuration", harm: "change what that module allows" },
  { path: "/etc/security/console.handlers", match: "exact", owner: "a PAM module's configuration", harm: "change what that module allows" },
  { path: "/etc/security/faillock.conf", match: "exact", owner: "a PAM module's configuration", harm: "change what that module allows" },
  { path: "/etc/security/group.conf", match: "exact", owner: "a PAM module's configuration", harm: "change what that module allows" },
  { path: "/etc/security/limits.conf", match: "exact", owner: "a PAM module's configuration", harm: "change what that module allows" },
  { path: "/etc/security/namespace.conf", match: "exact", owner: "a PAM module's configuration", harm: "change what that module allows" },
  { path: "/etc/security/namespace.init", match: "exact", owner: "a PAM module's configuration", harm: "change what that module allows" },
  { path: "/etc/security/pam_env.conf", match: "exact", owner: "a PAM module's configuration", harm: "change what that module allows" },
  { path: "/etc/security/pam_winbind.conf", match: "exact", owner: "a PAM module's configuration", harm: "change what that module allows" },
  { path: "/etc/security/pwquality.conf", match: "exact", owner: "a PAM module's configuration", harm: "change what that module allows" },
  { path: "/etc/security/sepermit.conf", match: "exact", owner: "a PAM module's configuration", harm: "change what that module allows" },
  { path: "/etc/security/time.conf", match: "exact", owner: "a PAM module's configuration", harm: "change what that module allows" },
  { path: "/etc/security/limits.d/", match: "folder", owner: "a PAM module's configuration", harm: "change what that module allows" },
  { path: "/etc/security/namespace.d/", match: "folder", owner: "a PAM module's configuration", harm: "change what that module allows" },
  {
    path: "/etc/security/console.perms.d/",
    match: "folder",
    owner: "a PAM module's configuration",
    harm: "change what that module allows",
  },
  { path: "/etc/security/console.apps/", match: "folder", owner: "a PAM module's configuration", harm: "change what that module allows" },
  {
    path: "/etc/security/pwquality.conf.d/",
    match: "folder",
    owner: "a PAM module's configuration",
    harm: "change what that module allows",
  },
  {
    path: "/etc/security/opasswd",
    match: "exact",
    owner: "the password history of pam_pwhistory and pam_unix",
    harm: "corrupt every user's password history",
  },
  { path: "/etc/hosts.allow", match: "exact", owner: "TCP wrappers' allow list", harm: "change which hosts may connect" },
  { path: "/etc/hosts.deny", match: "exact", owner: "TCP wrappers' deny list", harm: "change which hosts may connect" },
  {
    path: "/etc/hosts.equiv",
    match: "exact",
    owner: "the rsh/rlogin trust list (pam_rhosts)",
    harm: "let the listed hosts log in without a password",
  },
  { path: "/etc/hosts", match: "exact", owner: "the host name table", harm: "break name resolution" },
  {
    path: "/etc/ssh/",
    match: "folder",
    owner: "the SSH server's and client's configuration and keys",
    harm: "change who may log in over SSH",
  },
  { path: "/.ssh/", match: "prefix", owner: "a user's SSH files (authorized_keys, ...)", harm: "change who may log in as that user" },
  {
    path: "/etc/cron",
    match: "prefix",
    owner: "cron's configuration (crontab, cron.d, cron.allow, cron.deny)",
    harm: "run or stop scheduled commands",
  },
  { path: "/etc/at.allow", match: "exact", owner: "at's allow list", harm: "change who may schedule commands" },
  { path: "/etc/at.deny", match: "exact", owner: "at's deny list", harm: "change who may schedule commands" },
  {
    path: "/etc/securetty",
    match: "exact",
    owner: "pam_securetty's list of terminals where root may log in",
    harm: "change where root may log in",
  },
  {
    path: "/etc/shells",
    match: "exact",
    owner: "the list of valid login shells (pam_shells, chsh, ftp daemons)",
    harm: "lock out users whose shell it no longer lists",
  },
  {
    path: "/etc/nologin",
    match: "exact",
    owner: "pam_nologin's switch: while it exists only root may log in",
    harm: "lock out every other user",
  },
  {
    path: "/run/nologin",
    match: "exact",
    owner: "pam_nologin's switch: while it exists only root may log in",
    harm: "lock out every other user",
  },
  {
    path: "/var/run/nologin",
    match: "exact",
    owner: "pam_nologin's switch: while it exists only root may log in",
    harm: "lock out every other user",
  },
  { path: "/etc/ld.so.preload", match: "exact", owner: "the dynamic linker's preload list", harm: "break every program" },
  { path: "/etc/environment", match: "exact", owner: "pam_env's environment file", harm: "change every login's environment" },
  { path: "/etc/login.defs", match: "exact", owner: "the shadow suite's configuration", harm: "change login and password rules" },
  { path: "/etc/nsswitch.conf", match: "exact", owner: "the name service switch", harm: "break user and host lookups" },
  {
    path: "/etc/ftpusers",
    match: "exact",
    owner: "the FTP daemons' list of users refused (vsftpd's own pam_listfile line reads it with sense=deny)",
    harm: "refuse FTP to the users listed, whatever this list means",
    unless: (acl) => acl.item === "user" && acl.sense === "deny",
  },
  {
    path: "/etc/vsftpd/ftpusers",
    match: "exact",
    owner: "vsftpd's list of users refused (its own pam_listfile line reads it with sense=deny)",
    harm: "refuse FTP to the users listed, whatever this list means",
    unless: (acl) => acl.item === "user" && acl.sense === "deny",
  },
];

/** The entry of FOREIGN_FILES that a path falls under, if any. */
export function foreignFile(path: string): ForeignFile | undefined {
  if (known.has(path)) return known.get(path);
  const found = FOREIGN_FILES.find((f) =>
    f.match === "exact"
      ? path === f.path || path === f.path + "-"
      : f.match === "folder"
        ? path.startsWith(f.path)
        : f.path.startsWith("/.")
          ? path.includes(f.path)
          : path.startsWith(f.path),
  );
  // A fleet asks about the same few list paths once per host: remember them (a bounded number).
  if (known.size >= 4096) known.clear();
  known.set(path, found);
  return found;
}
const known = new Map<string, ForeignFile | undefined>();

/** The services this rule has checked, per diagnostics bag: hosts sharing a statement share its service object. */
const checked = new WeakMap<object, WeakSet<object>>();

/**
 * README "Safety checks" PC4110: an access list file must not be a file that
 * another program reads with another meaning: policyc would replace it with
 * a list of names (a list at /etc/mail/relay-domains lets every listed host
 * relay; one at /etc/shadow locks everyone out). Not overridable.
 */
export function ForeignListFileRule(model: Model, { diagnostics }: CheckContext): void {
  let done = checked.get(diagnostics);
  if (!done) checked.set(diagnostics, (done = new WeakSet()));
  for (const svc of model.services) {
    // The same service object (and so the same lists) reports the same findings into this bag: once is enough.
    if (done.has(svc)) continue;
    done.add(svc);
    for (const acl of svc.acls) {
      const f = foreignFile(acl.file);
      if (!f || f.unless?.(acl)) continue;
      diagnostics.report(Messages.ForeignListFile, acl.fileSpan, { file: acl.file, owner: f.owner, harm: f.harm, name: svc.name });
    }
  }
}
