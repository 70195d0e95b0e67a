/**
 * README "Platforms and stock files": on Red Hat (RHEL 9 family) a service
 * whose PAM file a package ships gets that file with policyc's header first
 * and the policy's pam_listfile lines at the start of its account stack. No
 * RPM can be fetched here, so the stock files are the fixtures in
 * test/fixtures/stock/redhat-9/pam.d/, each naming in its first line the
 * package, version and source (repository and commit) it was taken from;
 * every Red Hat template must be its fixture plus only the policy's lines.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { STOCK_SERVICES } from "../../src/targets/pam/stock.js";
import { codesOf, compileText, TEMPLATES } from "../helpers.js";
import { rules, stockFileTests, type StockPlatform } from "./stock-shared.js";

const FIXTURES = join(__dirname, "../fixtures/stock/redhat-9/pam.d");
const SERVICES = [...STOCK_SERVICES.redhat["9"]!];
/** The files other services include: fixtures (what the templates rely on), never templates. */
const INCLUDED = ["system-auth", "password-auth", "postlogin", "other"];

/** A fixture's first line (where it comes from) and its text, as the package installs it. */
function fixture(name: string): { source: string; text: string } {
  const [source, ...rest] = readFileSync(join(FIXTURES, name), "utf8").split("\n");
  return { source: source!, text: rest.join("\n") };
}

const REDHAT: StockPlatform = {
  platform: "redhat-9",
  services: SERVICES,
  stock: (service) => fixture(service).text,
  denyItems: { user: "mallory", group: "games", shell: "/bin/false" },
  allow: false,
  maxLists: 3,
  numRuns: 60,
};

describe("Red Hat 9 stock PAM files (fixtures in test/fixtures/stock/redhat-9/pam.d)", () => {
  it("has a fixture for every Red Hat stock template and for the files they include, and nothing else", () => {
    expect(readdirSync(FIXTURES).sort()).toEqual([...SERVICES, ...INCLUDED].sort());
    for (const s of SERVICES) expect(readdirSync(join(TEMPLATES, "redhat/9/pam.d"))).toContain(s);
  });

  it("names in each fixture's first comment the package, its version and the source URL and commit", () => {
    for (const name of [...SERVICES, ...INCLUDED]) {
      const { source } = fixture(name);
      expect(source, name).toMatch(/^# Red Hat Enterprise Linux 9 \/etc\/pam\.d\/\S+/);
      expect(source, name).toMatch(/package [^(]*?\b[0-9][\w.~+-]*\.el9/);
      expect(source, name).toMatch(/https:\/\/github\.com\/[\w.-]+\/[\w.-]+ (branch el9 )?commit [0-9a-f]{40}/);
    }
  });

  stockFileTests(REDHAT);

  it("keeps the fixture's text byte for byte: each template is the fixture with the header first and {{acls}} in its account stack", () => {
    for (const s of SERVICES) {
      const template = readFileSync(join(TEMPLATES, "redhat/9/pam.d", s), "utf8");
      const [header, ...rest] = template.split("\n");
      expect(header, s).toBe("# {{header}}");
      expect(rest.filter((l) => l !== "{{acls}}").join("\n"), s).toBe(fixture(s).text);
      expect(
        rest.filter((l) => l === "{{acls}}"),
        s,
      ).toHaveLength(1);
    }
  });

  it("keeps the protections of the stock files where they have them (pam_nologin, pam_access, pam_sepermit, pam_loginuid, pam_namespace, pam_limits via the included stacks)", () => {
    const content = (pam: string) =>
      compileText(
        `platform redhat;\nservice x {\n  pam ${pam};\n  acl user deny "/etc/security/x.deny" { entries mallory; }\n}\n`,
      ).files!.find((f) => f.path === `etc/pam.d/${pam}`)!.content;
    expect(content("sshd")).toMatch(/^account\s+required\s+pam_nologin\.so$/m);
    expect(content("sshd")).toMatch(/^account\s+required\s+pam_sepermit\.so$/m);
    expect(content("login")).toMatch(/^account\s+required\s+pam_nologin\.so$/m);
    expect(content("remote")).toMatch(/^account\s+required\s+pam_nologin\.so$/m);
    expect(content("dovecot")).toMatch(/^auth\s+required\s+pam_nologin\.so$/m);
    expect(content("crond")).toMatch(/^account\s+required\s+pam_access\.so$/m);
    for (const s of ["sshd", "login", "remote"]) expect(content(s)).toMatch(/^session\s+required\s+pam_namespace\.so$/m);
    expect(content("vsftpd")).toMatch(
      /^auth\s+required\s+pam_listfile\.so item=user sense=deny file=\/etc\/vsftpd\/ftpusers onerr=succeed$/m,
    );
    // pam_limits comes from the included stacks (system-auth and password-auth both have it).
    for (const inc of ["system-auth", "password-auth"])
      expect(rules(fixture(inc).text)).toContain("session     required                                     pam_limits.so");
  });

  it("a service Red Hat ships no file for gets the `service` template (password-auth), since Red Hat's own /etc/pam.d/other denies everything", () => {
    expect(rules(fixture("other").text).every((l) => /\bpam_deny\.so$/.test(l))).toBe(true);
    const generated = compileText(
      'platform redhat;\nservice imapd {\n  pam imap;\n  acl user allow "/etc/imapd.acl" { entries root, alice; }\n}\n',
    ).files!.find((f) => f.path === "etc/pam.d/imap")!;
    expect(rules(generated.content).filter((l) => !l.includes("pam_listfile"))).toEqual(
      ["auth", "account", "password", "session"].map((t) => `${t.padEnd(10)} include      password-auth`),
    );
    expect(generated.stock).toBeUndefined();
  });

  it("refuses the included files as a policy's PAM service (they are the host's, shared by other services)", () => {
    for (const inc of INCLUDED) expect(codesOf(`platform redhat;\nservice x { pam ${inc}; }\n`).length, inc).toBeGreaterThan(0);
  });
});
