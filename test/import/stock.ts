/**
 * Real files no one here wrote, for the import tests: Debian's stock pam.d
 * files from the packages scripts/fetch-stock.sh unpacks into
 * $POLICYC_STOCK_DIR or /var/cache/policyc-stock, and Debian's stock
 * sendmail.mc from the sendmail-cf package scripts/fetch-stock-mail.sh
 * unpacks into .stock/debian. With CI=true a missing download throws.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../helpers.js";

export const STOCK_DIR = process.env.POLICYC_STOCK_DIR ?? "/var/cache/policyc-stock";
const PAM_PACKAGES = ["openssh-server", "login", "util-linux", "sudo", "cron", "vsftpd", "dovecot-core", "passwd", "sendmail-base"];
const STOCK_MC = join(ROOT, ".stock/debian/usr/share/sendmail/cf/debian/sendmail.mc");

/** Why the stock files are not here (undefined: they are); throws with CI=true. */
export function stockMissing(): string | undefined {
  const pam = PAM_PACKAGES.every((p) => existsSync(join(STOCK_DIR, p, ".done")));
  const why = !pam
    ? `Debian's stock pam.d files are not unpacked in ${STOCK_DIR}: run bash scripts/fetch-stock.sh`
    : !existsSync(STOCK_MC)
      ? `Debian's stock sendmail.mc is not unpacked in .stock/debian: run bash scripts/fetch-stock-mail.sh`
      : undefined;
  if (why && process.env.CI === "true") throw new Error(why);
  return why;
}

/** Every stock pam.d file of the packages: service name -> content. */
export function stockPamFiles(): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of PAM_PACKAGES) {
    const dir = join(STOCK_DIR, p, "etc/pam.d");
    for (const name of readdirSync(dir).sort()) out.set(name, readFileSync(join(dir, name), "utf8"));
  }
  return out;
}

/**
 * Debian's stock sendmail.mc as sendmailconfig installs it in
 * /etc/mail/sendmail.mc: its HostStatusDirectory line uncommented
 * (sendmail.conf's default DAEMON_HOSTSTATS=No), everything else as the
 * package ships it, the includes of /etc/mail/m4/dialup.m4 and provider.m4
 * included.
 */
export function stockMc(): string {
  return readFileSync(STOCK_MC, "utf8")
    .split("\n")
    .map((l) => (l.startsWith("dnl undefine(`confHOST_STATUS_DIRECTORY')") ? l.slice(4) : l))
    .join("\n");
}

/** Writes a file under a root, making its folders. */
export function put(root: string, path: string, content: string): void {
  mkdirSync(join(root, path, ".."), { recursive: true });
  writeFileSync(join(root, path), content);
}
