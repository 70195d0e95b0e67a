import type { PlatformName } from "../../check/model.js";

/**
 * The PAM service files each platform's packages ship, by release: for these
 * services the generated file is templates/<platform>/pam.d/<service>, the
 * distribution's own file with `# {{header}}` first and `{{acls}}` at the
 * start of its account stack. Debian 12's come from the packages that
 * scripts/fetch-stock.sh unpacks (a test compares them line for line); Red
 * Hat 9's, which no package tool here can fetch, from the fixtures in
 * test/fixtures/stock/redhat-9/pam.d/, each naming its package, version and
 * source commit in its first line (a test compares them the same way).
 */
export const STOCK_SERVICES: Record<PlatformName, Record<string, readonly string[]>> = {
  debian: {
    "12": [
      "sshd", // openssh-server
      "login", // login
      "su",
      "su-l",
      "runuser",
      "runuser-l", // util-linux
      "sudo",
      "sudo-i", // sudo
      "cron", // cron
      "vsftpd", // vsftpd
      "dovecot", // dovecot-core
      "chfn",
      "chsh",
      "chpasswd",
      "newusers",
      "passwd", // passwd
      "smtp", // sendmail-base: sendmail's SMTP AUTH through saslauthd
    ],
  },
  redhat: {
    "9": [
      "sshd", // openssh-server
      "login",
      "remote",
      "su",
      "su-l",
      "runuser",
      "runuser-l", // util-linux
      "chfn",
      "chsh", // util-linux-user
      "sudo",
      "sudo-i", // sudo
      "crond", // cronie
      "vsftpd", // vsftpd
      "dovecot", // dovecot
      "smtp", // sendmail: smtp.sendmail, which /etc/pam.d/smtp links to
    ],
  },
};

/**
 * The template for a PAM service the platform ships no file for: what the
 * distribution itself would run for it. Debian runs /etc/pam.d/other
 * (libpam-runtime: the four common stacks), and Debian's `service` template
 * is exactly those stacks in that order. Red Hat's `other` denies
 * everything, so a daemon there gets the `service` template (password-auth,
 * as Red Hat's own daemon files use).
 */
export const UNKNOWN_SERVICE_TEMPLATE: Record<PlatformName, string> = {
  debian: "service",
  redhat: "service",
};

/** The template a service without `template` or `stack` uses, and whether it is its own stock file. */
export function stockTemplate(platform: PlatformName, release: string, pamService: string): { template: string; stock: boolean } {
  const shipped = STOCK_SERVICES[platform][release] ?? [];
  if (shipped.includes(pamService)) return { template: pamService, stock: true };
  return { template: UNKNOWN_SERVICE_TEMPLATE[platform], stock: false };
}
