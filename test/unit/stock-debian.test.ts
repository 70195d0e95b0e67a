/**
 * README "Platforms and stock files": on Debian 12 a service whose PAM file a
 * package ships gets exactly that file, with policyc's header first and the
 * policy's pam_listfile lines (each under its comment) at the start of the
 * account stack; nothing of the stock file is lost or moved. Proved against
 * the packages themselves: scripts/fetch-stock.sh downloads and unpacks them
 * (no install) into $POLICYC_STOCK_DIR or /var/cache/policyc-stock. With
 * CI=true a missing download fails these tests instead of skipping them.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { STOCK_SERVICES } from "../../src/targets/pam/stock.js";
import { compileText, TEMPLATES } from "../helpers.js";
import { isAccount, isRule, stockFileTests, type StockPlatform } from "./stock-shared.js";

const STOCK_DIR = process.env.POLICYC_STOCK_DIR ?? "/var/cache/policyc-stock";
/** The packages scripts/fetch-stock.sh unpacks, with every pam.d file each ships on Debian 12. */
const PACKAGES: Record<string, string[]> = {
  "openssh-server": ["sshd"],
  login: ["login"],
  "util-linux": ["runuser", "runuser-l", "su", "su-l"],
  sudo: ["sudo", "sudo-i"],
  cron: ["cron"],
  vsftpd: ["vsftpd"],
  "dovecot-core": ["dovecot"],
  passwd: ["chfn", "chpasswd", "chsh", "newusers", "passwd"],
  "libpam-runtime": ["other"],
  "sendmail-base": ["smtp"],
};
const fetched = Object.keys(PACKAGES).every((p) => existsSync(join(STOCK_DIR, p, ".done")));
if (!fetched) {
  const msg = `stock-file tests need the Debian packages unpacked in ${STOCK_DIR}: run bash scripts/fetch-stock.sh`;
  if (process.env.CI === "true") throw new Error(msg);
  console.warn(`\n*** SKIPPED: ${msg} ***\n`);
}
const run = fetched ? describe : describe.skip;

/** The package's own file for a PAM service. */
function packageFile(service: string): string {
  const pkg = Object.keys(PACKAGES).find((p) => PACKAGES[p]!.includes(service))!;
  return readFileSync(join(STOCK_DIR, pkg, "etc/pam.d", service), "utf8");
}
const SERVICES = [...STOCK_SERVICES.debian["12"]!];

const DEBIAN: StockPlatform = {
  platform: "debian",
  services: SERVICES,
  stock: packageFile,
  denyItems: { user: "mallory", group: "games", tty: "ttyS9", shell: "/bin/false", rhost: "203.0.113.9", ruser: "eve" },
  allow: true,
  maxLists: 4,
  numRuns: 150,
};

run("Debian 12 stock PAM files (packages unpacked by scripts/fetch-stock.sh)", () => {
  it("ships a template for every pam.d file of the packages, and only for those", () => {
    const shipped = Object.values(PACKAGES)
      .flat()
      .filter((s) => s !== "other")
      .sort();
    expect([...SERVICES].sort()).toEqual(shipped);
    for (const [pkg, names] of Object.entries(PACKAGES))
      expect(readdirSync(join(STOCK_DIR, pkg, "etc/pam.d")).sort()).toEqual([...names].sort());
  });

  stockFileTests(DEBIAN);

  it("gives a service Debian ships no file for Debian's /etc/pam.d/other: the same rules in the same order, the lists first in the account stack", () => {
    const generated = compileText(
      'platform debian;\nservice imapd {\n  pam imap;\n  acl user allow "/etc/imapd.acl" { entries root, alice; }\n}\n',
    ).files!.find((f) => f.path === "etc/pam.d/imap")!.content;
    const rules = generated.split("\n").filter(isRule);
    expect(rules.filter((l) => !l.includes("pam_listfile.so"))).toEqual(packageFile("other").split("\n").filter(isRule));
    expect(rules.indexOf("account required pam_listfile.so item=user sense=allow file=/etc/imapd.acl onerr=fail")).toBe(
      rules.findIndex(isAccount),
    );
    expect(readFileSync(join(TEMPLATES, "debian/pam.d/service"), "utf8").split("\n").filter(isRule)).toEqual([
      "@include common-auth",
      "{{acls}}",
      ...packageFile("other").split("\n").filter(isRule).slice(1),
    ]);
  });
});
