/**
 * Hostile symbolic links planted in the output tree by an unprivileged user
 * (nobody, via setpriv), then a build as root: nothing outside OUT is
 * written or removed, and the build says which link it refused (PC5004).
 */
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readTree, runCli, tempDir } from "../helpers.js";

const root = process.getuid?.() === 0;
const asRoot = process.env.CI === "true" ? it : it.skipIf(!root);
const NOBODY = 65534;

/** Runs a command as nobody, as a local user would. */
function asNobody(...argv: string[]): void {
  const r = spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", ...argv], { encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
}

function chownTree(dir: string): void {
  chownSync(dir, NOBODY, NOBODY);
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) chownTree(join(dir, e.name));
    else chownSync(join(dir, e.name), NOBODY, NOBODY);
  }
}

const V1 =
  'platform debian;\nservice imapd { pam imap; acl user allow "/etc/imapd.acl" { entries root; } }\nservice old { acl user allow "/etc/old/f.acl" { entries root; } }\n';
const V2 = 'platform debian;\nservice imapd { pam imap; acl user allow "/etc/imapd.acl" { entries root, alice; } }\n';

/** A folder with the policies, OUT built from V1 as root and handed to nobody, and a root-owned victim folder. */
function setup() {
  const dir = tempDir("policyc-links-");
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, "v1.policy"), V1);
  writeFileSync(join(dir, "v2.policy"), V2);
  const out = join(dir, "out");
  expect(runCli(["build", "v1.policy", "-o", "out", "-q"], { cwd: dir }).status).toBe(0);
  chownTree(out);
  const victim = join(dir, "victim");
  mkdirSync(victim);
  writeFileSync(join(victim, "imap"), "root's own file\n");
  // The same bytes as the stale list: a removal that followed the link would find its hash matching.
  writeFileSync(join(victim, "f.acl"), readFileSync(join(out, "etc/old/f.acl")));
  return { dir, out, victim, before: readTree(victim) };
}

describe("fault: symbolic links planted by an unprivileged user", () => {
  asRoot("a link on a folder the build writes into: refused, nothing written through it", () => {
    const { dir, out, victim, before } = setup();
    asNobody("mv", join(out, "etc/pam.d"), join(out, "etc/pam.d.away"));
    asNobody("ln", "-s", victim, join(out, "etc/pam.d"));
    const r = runCli(["build", "v2.policy", "-o", "out"], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("error PC5004: Refusing to write through the symbolic link out/etc/pam.d in the output tree.");
    expect(readTree(victim)).toEqual(before);
  });

  asRoot("a link on the folder of a stale file: refused, the file behind it is not removed", () => {
    const { dir, out, victim, before } = setup();
    asNobody("mv", join(out, "etc/old"), join(out, "etc/old.away"));
    asNobody("ln", "-s", victim, join(out, "etc/old"));
    const r = runCli(["build", "v2.policy", "-o", "out"], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("error PC5004: Refusing to write through the symbolic link out/etc/old in the output tree.");
    expect(readTree(victim)).toEqual(before);
  });

  asRoot("a link as OUT/.policyc: the manifest does not land in its target", () => {
    const { dir, out, victim, before } = setup();
    chownSync(out, NOBODY, NOBODY);
    asNobody("mv", join(out, ".policyc"), join(out, "policyc.away"));
    asNobody("ln", "-s", victim, join(out, ".policyc"));
    const r = runCli(["build", "v2.policy", "-o", "out"], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("error PC5004: Refusing to write through the symbolic link out/.policyc in the output tree.");
    expect(readTree(victim)).toEqual(before);
  });

  asRoot("links named like temporaries and like the old predictable names: never followed, never removed", () => {
    const { dir, out, victim, before } = setup();
    const planted: string[] = [];
    for (const d of ["etc", "etc/pam.d", ".policyc"]) {
      const tmpLike = join(out, d, ".policyc-tmp-" + "0123456789abcdef".repeat(2));
      asNobody("ln", "-s", join(victim, "imap"), tmpLike);
      planted.push(tmpLike);
    }
    // The names the old writer used, for the next pids.
    const pids = Array.from({ length: 200 }, (_, i) => process.pid + i).join(" ");
    asNobody("sh", "-c", `for p in ${pids}; do ln -s "$1" "$2/.policyc-$p.tmp"; done`, "sh", join(victim, "imap"), join(out, ".policyc"));
    const r = runCli(["build", "v2.policy", "-o", "out", "-q"], { cwd: dir });
    expect(r.status, r.stderr).toBe(0);
    expect(readTree(victim)).toEqual(before);
    for (const p of planted) expect(lstatSync(p).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(out, "etc/imapd.acl"), "utf8")).toContain("alice");
    expect(existsSync(join(out, "etc/old/f.acl"))).toBe(false);
  });
});
