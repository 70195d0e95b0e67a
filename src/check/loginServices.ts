/** The display managers: local seats, without PAM_RHOST or PAM_RUSER. */
const DISPLAY_MANAGERS = [
  "gdm-password",
  "gdm-autologin",
  "gdm-fingerprint",
  "gdm-smartcard",
  "lightdm",
  "lightdm-autologin",
  "sddm",
  "sddm-autologin",
];

/**
 * The PAM services through which people log in to a host or become root,
 * as Debian 12 and RHEL 9 (and their desktop and remote-access packages)
 * ship pam.d files for them, and which items each never sets. Sources:
 * util-linux login(1) sets PAM_RHOST only with -h (a network login through
 * telnetd/rlogind), never PAM_RUSER; util-linux su(1) and runuser(1) set
 * PAM_TTY and PAM_RUSER (the invoking user), never PAM_RHOST; sudo sets
 * PAM_RUSER, and PAM_RHOST only with sudoers' pam_rhost (default off but on
 * Solaris); OpenSSH's
 * sshd sets PAM_RHOST and PAM_TTY, never PAM_RUSER; the display managers
 * (gdm, lightdm, sddm) run local seats without PAM_RHOST or PAM_RUSER.
 * pam_listfile refuses a request whose item is unset under sense=allow.
 */
export const LOGIN_SERVICES: ReadonlySet<string> = new Set([
  "sshd",
  "login",
  "remote",
  "su",
  "su-l",
  "sudo",
  "sudo-i",
  "runuser",
  "runuser-l",
  ...DISPLAY_MANAGERS,
  "xrdp-sesman",
  "cockpit",
  "polkit-1",
]);

/** Services that never set PAM_RHOST, and why (for the message). */
export const NO_RHOST: ReadonlyMap<string, string> = new Map([
  ["login", "console logins through login never set PAM_RHOST (only login -h, for telnet, does)"],
  ...["su", "su-l", "runuser", "runuser-l"].map((s): [string, string] => [s, `${s} is a local command and never sets PAM_RHOST`]),
  ...["sudo", "sudo-i"].map((s): [string, string] => [
    s,
    `sudo sets PAM_RHOST only with "Defaults pam_rhost" in sudoers, which is off on Linux`,
  ]),
  ...DISPLAY_MANAGERS.map((s): [string, string] => [s, `the display manager's local logins never set PAM_RHOST`]),
]);

/** Services that never set PAM_RUSER, and why. */
export const NO_RUSER: ReadonlyMap<string, string> = new Map([
  ["login", "login never sets PAM_RUSER"],
  ["remote", "login never sets PAM_RUSER"],
  ["sshd", "sshd never sets PAM_RUSER"],
  ...DISPLAY_MANAGERS.map((s): [string, string] => [s, "display managers never set PAM_RUSER"]),
]);

/** Services whose account check always sees one PAM_TTY: OpenSSH's sshd sets "ssh" when PAM starts. */
export const FIXED_TTY: ReadonlyMap<string, string> = new Map([["sshd", "ssh"]]);

/** Administrators, by the item a list matches: root itself, root's groups and the admin groups, root's login shell (/bin/bash on Debian 12 and RHEL 9). */
export const ADMIN_USERS = ["root"];
export const ADMIN_GROUPS = ["root", "wheel", "sudo", "admin", "adm"];
export const ROOT_SHELLS = ["/bin/bash"];
