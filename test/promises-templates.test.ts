/**
 * README "Generated files": "A site can copy `templates/`, edit it and pass
 * `--templates DIR`", at the user's level: the edit is in the built file, the
 * depfile names the site's template (so make rebuilds when it changes), and a
 * template the site removed is an error (PC5001), never a fallback to the
 * shipped one: nothing is written.
 */
import { appendFileSync, cpSync, existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, runCli, TEMPLATES, tempDir } from "./helpers.js";

describe("build --templates DIR: a site's copy of the templates", () => {
  it("uses the edited copy, names it in the depfile, and refuses a missing template without falling back", () => {
    const dir = tempDir("policyc-promises-templates-");
    const site = join(dir, "site-templates");
    cpSync(TEMPLATES, site, { recursive: true });
    cpSync(join(ROOT, "examples", "site.policy"), join(dir, "site.policy"));
    appendFileSync(join(site, "debian/pam.d/service"), "# SITE-EDIT: kept by every service built from this template\n");

    const r = runCli(["build", "site.policy", "-o", "out", "--templates", "site-templates", "-M", "deps.mk", "-q"], { cwd: dir });
    expect(r.status, r.stderr).toBe(0);
    // imapd has no stock file of its own on Debian: it is built from pam.d/service.
    expect(readFileSync(join(dir, "out/etc/pam.d/imap"), "utf8")).toContain("# SITE-EDIT: kept by every service");
    const deps = readFileSync(join(dir, "deps.mk"), "utf8");
    expect(deps).toContain("site-templates/debian/pam.d/service");
    expect(deps).not.toContain(TEMPLATES);

    rmSync(join(site, "debian/pam.d/service"));
    const out2 = join(dir, "out2");
    const missing = runCli(["build", "site.policy", "-o", "out2", "--templates", "site-templates"], { cwd: dir });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/error PC5001: Template site-templates\/debian\/pam\.d\/service is missing/);
    expect(existsSync(out2)).toBe(false);
    // check and diff take the same option and find the same error.
    expect(runCli(["check", "site.policy", "--templates", "site-templates"], { cwd: dir }).stderr).toContain("PC5001");
    expect(runCli(["diff", "site.policy", "--stock", "--templates", "site-templates"], { cwd: dir }).stderr).toContain("PC5001");
  });
});
