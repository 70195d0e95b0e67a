import fc from "fast-check";
import { posix } from "node:path";
import { describe, expect, it } from "vitest";
import { codesOf, propertyRuns } from "./helpers.js";

/**
 * README "Safety checks", PC4110 (list files that belong to another program:
 * the table) and PC3027 (list files that are relative, contain `.` or `..`,
 * hold white space, `#` or brackets, or lie in `/etc/pam.d`). Generated list
 * paths: the table's paths and folders, spelt plainly or disguised (`//`,
 * `/./`, a `..` detour, a trailing `/`), benign paths beside them, relative
 * paths, white space, `#`, brackets, under /etc/pam.d; as `acl user allow`
 * or `acl user deny` (the ftpusers files are allowed only as a deny list).
 * The oracle reads the README: a path pam_listfile would open at a file of
 * the table (after the kernel's normalisation) is never accepted; a path
 * PC3027 describes is PC3027; a plain path of the table is PC4110; any other
 * is accepted.
 */
const TABLE_FILES = [
  ..."access.conf capability.conf chroot.conf console.perms console.handlers faillock.conf group.conf limits.conf namespace.conf namespace.init pam_env.conf pam_winbind.conf pwquality.conf sepermit.conf time.conf opasswd"
    .split(" ")
    .map((f) => `/etc/security/${f}`),
  ..."passwd shadow group gshadow sudoers passwd- shadow- group- gshadow- sudoers- sasldb2 hosts.allow hosts.deny hosts.equiv hosts at.allow at.deny securetty shells nologin ld.so.preload environment login.defs nsswitch.conf"
    .split(" ")
    .map((f) => `/etc/${f}`),
  "/run/nologin",
  "/var/run/nologin",
];
const TABLE_FOLDERS = [
  "/etc/mail/",
  "/etc/sasl2/",
  "/etc/ssh/",
  "/etc/sudoers.d/",
  "/etc/security/limits.d/",
  "/etc/security/namespace.d/",
  "/etc/security/console.perms.d/",
  "/etc/security/console.apps/",
  "/etc/security/pwquality.conf.d/",
];
const FTP = ["/etc/ftpusers", "/etc/vsftpd/ftpusers"];
const BENIGN = [
  "/etc/security/ssh.groups",
  "/etc/imapd.acl",
  "/srv/lists/users",
  "/etc/mailer.list",
  "/etc/sshd.users",
  "/etc/hostsfile",
  "/etc/passwords.list",
];

function foreign(p: string, sense: string): boolean {
  if (FTP.includes(p)) return sense !== "deny";
  return (
    TABLE_FILES.includes(p) ||
    TABLE_FOLDERS.some((f) => p.startsWith(f)) ||
    p.split("/").slice(0, -1).includes(".ssh") ||
    p.startsWith("/etc/cron") ||
    p.startsWith("/etc/aliases")
  );
}

const base = fc.oneof(
  fc.constantFrom(...TABLE_FILES, ...FTP, ...BENIGN),
  fc
    .tuple(
      fc.constantFrom(...TABLE_FOLDERS, "/home/alice/.ssh/", "/root/.ssh/", "/etc/cron.d/", "/etc/aliases."),
      fc.constantFrom("x", "users", "db"),
    )
    .map(([f, n]) => f + n),
);
const disguise = fc.constantFrom(
  "none",
  "none",
  "double slash",
  "dot",
  "detour",
  "trailing slash",
  "relative",
  "space",
  "hash",
  "bracket",
  "pam.d",
);
const anyCase = fc.record({ base, disguise, at: fc.nat(10), sense: fc.constantFrom("allow", "deny") });

function spell(p: string, how: string, at: number): string {
  const parts = p.split("/");
  const i = 1 + (at % (parts.length - 1));
  switch (how) {
    case "double slash":
      return [...parts.slice(0, i), "", ...parts.slice(i)].join("/");
    case "dot":
      return [...parts.slice(0, i), ".", ...parts.slice(i)].join("/");
    case "detour":
      return [...parts.slice(0, i), "tmp", "..", ...parts.slice(i)].join("/");
    case "trailing slash":
      return p + "/";
    case "relative":
      return p.slice(1);
    case "space":
      return p + " x";
    case "hash":
      return p + "#1";
    case "bracket":
      return p + "[1]";
    case "pam.d":
      return "/etc/pam.d/" + posix.basename(p);
    default:
      return p;
  }
}

describe("list file paths, on generated spellings", () => {
  it("a file of another program is never accepted however spelt; PC3027 and PC4110 where the README says", () => {
    fc.assert(
      fc.property(anyCase, ({ base: b, disguise: how, at, sense }) => {
        const path = spell(b, how, at);
        const text = `platform debian;\nservice imapd { pam imap; acl user ${sense} "${path}" { entries root, alice; } }\n`;
        const codes = codesOf(text).filter((c) => c !== "PC4003" && c !== "PC3081");
        const label = `${sense} ${JSON.stringify(path)}: ${codes.join(" ")}`;
        const parts = path.split("/");
        const pc3027 =
          !path.startsWith("/") ||
          parts.slice(1).some((c) => c === "." || c === ".." || c === "") ||
          /[\s#[\]]/.test(path) ||
          path.startsWith("/etc/pam.d/");
        const lands = posix.normalize(path).replace(/\/$/, "");
        if (pc3027) expect(codes, label).toContain("PC3027");
        else if (foreign(path, sense)) expect(codes, label).toContain("PC4110");
        else expect(codes, label).toEqual([]);
        // Whatever the spelling: a path that lands on a file of another program is refused.
        if (path.startsWith("/") && foreign(lands, sense)) expect(codes.length, label).toBeGreaterThan(0);
      }),
      propertyRuns(500),
    );
  });
});
