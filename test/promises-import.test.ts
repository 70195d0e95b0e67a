/**
 * README "Importing a host", at the user's level: without --platform the
 * platform is guessed from the host's files and the policy's first comment
 * says so; --platform names it (and the comment says nothing of a guess);
 * the policy is written formatted as `policyc fmt` formats it; with
 * --format json the document holds the diagnostics, named by their paths
 * under DIR; a root with nothing to import is PC7007, exit 2.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkedDocument } from "./documents.js";
import { ROOT, runCli, tempDir } from "./helpers.js";

/** A host root: the example's built tree without policyc's own folder. */
function host(example: string): string {
  const dir = tempDir("policyc-promises-import-");
  expect(runCli(["build", join(ROOT, "examples", example), "-o", join(dir, "root"), "-q"]).status).toBe(0);
  rmSync(join(dir, "root", ".policyc"), { recursive: true });
  return dir;
}

describe('README "Importing a host"', () => {
  it.each([
    ["site.policy", "debian"],
    ["redhat-host.policy", "redhat"],
  ])("guesses the platform of %s's tree (%s) and says so in the first comment; --platform names it", (example, platform) => {
    const dir = host(example);
    const guessed = runCli(["import", "--root", "root"], { cwd: dir });
    expect(guessed.status, guessed.stderr).toBe(0);
    const [first, second] = guessed.stdout.split("\n");
    expect(first).toMatch(new RegExp(`^# .*\\bplatform ${platform}: guessed\\b`));
    expect(second).toBe(`platform ${platform};`);

    const named = runCli(["import", "--root", "root", "--platform", platform], { cwd: dir });
    expect(named.status).toBe(0);
    expect(named.stdout.split("\n")[0]).not.toContain("guessed");
    expect(named.stdout.split("\n")[1]).toBe(`platform ${platform};`);

    // Formatted as policyc fmt formats it.
    writeFileSync(join(dir, "imported.policy"), named.stdout);
    expect(runCli(["fmt", "--check", "imported.policy"], { cwd: dir })).toMatchObject({ status: 0, stdout: "" });
  });

  it("with --format json: -o is required; the document names each finding by its path under DIR, and a lossy import writes nothing (exit 1)", () => {
    const dir = host("site.policy");
    appendFileSync(join(dir, "root/etc/mail/access"), "From:spam@example.net\tREJECT\n");
    const noOut = runCli(["import", "--root", "root", "--format", "json"], { cwd: dir });
    expect(noOut).toMatchObject({ status: 2, stdout: "" });
    const r = runCli(["import", "--root", "root", "-o", "p.policy", "--format", "json"], { cwd: dir });
    expect(r.status).toBe(1);
    const doc = checkedDocument(r.stdout);
    const finding = doc.diagnostics.find((d: { code: string }) => d.code === "PC7005");
    expect(finding.location.file).toBe("etc/mail/access");
    expect(readFileSync(join(dir, "root/etc/mail/access"), "utf8").split("\n")[finding.location.line - 1]).toContain("REJECT");
    expect(existsSync(join(dir, "p.policy"))).toBe(false);
  });

  it("refuses a root with nothing to import: PC7007, exit 2, nothing on stdout", () => {
    const dir = tempDir("policyc-promises-import-empty-");
    mkdirSync(join(dir, "root"));
    const r = runCli(["import", "--root", "root"], { cwd: dir });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/error PC7007: /);
  });
});
