/**
 * README "Platforms and stock files": the distribution's stock files differ
 * between releases, so they live in templates/<platform>/<release>/ (pam.d/
 * one file per stock PAM service of that release, mail/sendmail.mc), and
 * policyc's own templates (service, local, custom, Sendmail.conf), the same
 * for every release, in templates/<platform>/. A template is read from the
 * release's folder when it has it, else from the platform's.
 */
import { cpSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compile } from "../../src/compile.js";
import { PLATFORMS, RELEASES } from "../../src/check/model.js";
import { STOCK_SERVICES } from "../../src/targets/pam/stock.js";
import { tempDir, TEMPLATES } from "../helpers.js";

const OWN: Record<string, string[]> = { "pam.d": ["custom", "local", "service"], mail: ["Sendmail.conf"] };

describe("templates: one folder per platform release for the stock files", () => {
  it.each(PLATFORMS)("%s: a folder per known release holding exactly its stock PAM files and its sendmail.mc", (platform) => {
    const entries = readdirSync(join(TEMPLATES, platform)).sort();
    expect(entries).toEqual([...RELEASES[platform], "mail", "pam.d"].sort());
    for (const release of RELEASES[platform]) {
      const dir = join(TEMPLATES, platform, release);
      expect(statSync(dir).isDirectory()).toBe(true);
      expect(readdirSync(join(dir, "pam.d")).sort()).toEqual([...STOCK_SERVICES[platform][release]!].sort());
      expect(readdirSync(join(dir, "mail"))).toEqual(["sendmail.mc"]);
    }
  });

  it.each(PLATFORMS)("%s: the platform folder holds only policyc's own templates, the same for every release", (platform) => {
    for (const [sub, names] of Object.entries(OWN)) expect(readdirSync(join(TEMPLATES, platform, sub)).sort()).toEqual(names);
  });

  /** Compiles a one-service policy against a templates folder; the pam.d file written. */
  function pamFile(templates: string, policy: string, service: string): string | undefined {
    const r = compile("t.policy", new TextEncoder().encode(policy), { templates });
    return r.files?.find((f) => f.path === `etc/pam.d/${service}`)?.content;
  }

  it("reads a template from the release's folder first: a site's release folder wins over its platform folder", () => {
    const dir = tempDir("policyc-releases-");
    cpSync(TEMPLATES, dir, { recursive: true });
    mkdirSync(join(dir, "debian/12/pam.d"), { recursive: true });
    writeFileSync(join(dir, "debian/12/pam.d/service"), "# {{header}}\n# the release's own\n{{acls}}\n@include common-account\n");
    const policy = 'platform debian-12;\nservice imapd { pam imap; acl user deny "/etc/x.deny" { entries mallory; } }\n';
    expect(pamFile(dir, policy, "imap")).toContain("# the release's own");
    expect(pamFile(TEMPLATES, policy, "imap")).not.toContain("# the release's own");
  });

  it("still reads a site's copy laid out before release folders (its stock files in templates/<platform>/pam.d/)", () => {
    const dir = tempDir("policyc-releases-old-");
    cpSync(TEMPLATES, dir, { recursive: true });
    rmSync(join(dir, "redhat/9"), { recursive: true });
    writeFileSync(join(dir, "redhat/pam.d/sshd"), "# {{header}}\n# site sshd\n{{acls}}\naccount include password-auth\n");
    const sshd = pamFile(dir, 'platform redhat;\nservice sshd { acl user deny "/etc/x.deny" { entries mallory; } }\n', "sshd");
    expect(sshd).toContain("# site sshd");
    expect(pamFile(TEMPLATES, 'platform redhat;\nservice sshd { acl user deny "/etc/x.deny" { entries mallory; } }\n', "sshd")).toContain(
      "pam_sepermit.so",
    );
  });
});
