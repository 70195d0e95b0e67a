/**
 * README "In Makefiles, CI and deployment" and `build -M`, under the real GNU
 * make with the README's rule: the depfile's empty rules keep make working
 * when a policy drops an include and the included file is deleted; a build
 * that fails (an error in an include) fails make and leaves the depfile, the
 * manifest and every output as they were, so the next make tries again.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI, tempDir } from "./helpers.js";

const MAKEFILE = `POLICYC = node ${CLI}
out/.policyc/manifest.json: site.policy
\t$(POLICYC) build site.policy -o out -M out/.policyc/deps.mk
-include out/.policyc/deps.mk
`;

const WITH_INCLUDE =
  'platform debian;\ninclude "lists/staff.policy";\nservice sshd { acl user allow "/etc/ssh.acl" { entries $staff; } }\n';
const WITHOUT = 'platform debian;\nusers staff = root, alice;\nservice sshd { acl user allow "/etc/ssh.acl" { entries $staff; } }\n';

function make(dir: string): { status: number | null; out: string } {
  const r = spawnSync("make", ["-C", dir], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1", MAKEFLAGS: "" } });
  if (r.error) throw r.error;
  return { status: r.status, out: r.stdout + r.stderr };
}

function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of [".policyc/deps.mk", ".policyc/manifest.json", "etc/ssh.acl", "etc/pam.d/sshd"]) {
    out[p] = `${statSync(join(dir, "out", p)).mtimeMs} ${readFileSync(join(dir, "out", p), "utf8")}`;
  }
  return out;
}

describe("README: the make rule with -M, under GNU make", () => {
  it("rebuilds after an include is removed and deleted, and a failed build fails make and changes nothing", () => {
    const dir = tempDir("policyc-make-");
    mkdirSync(join(dir, "lists"));
    writeFileSync(join(dir, "Makefile"), MAKEFILE);
    writeFileSync(join(dir, "site.policy"), WITH_INCLUDE);
    writeFileSync(join(dir, "lists/staff.policy"), "users staff = root, alice;\n");

    const first = make(dir);
    expect(first.status, first.out).toBe(0);
    expect(readFileSync(join(dir, "out/.policyc/deps.mk"), "utf8")).toContain("\nlists/staff.policy:\n");
    expect(make(dir).out).toContain("is up to date");

    // An error in the include: make fails with policyc's exit status; nothing in OUT moves.
    const before = snapshot(dir);
    writeFileSync(join(dir, "lists/staff.policy"), "users staff = root, alice\n");
    const failed = make(dir);
    expect(failed.status, failed.out).not.toBe(0);
    expect(failed.out).toMatch(/lists\/staff\.policy:\d+:\d+: error PC\d{4}/);
    expect(snapshot(dir)).toEqual(before);
    // ... and make tries again next time, since the stamp did not move.
    expect(make(dir).status).not.toBe(0);

    // The policy drops the include and the file goes: the depfile's empty rule keeps make from failing.
    writeFileSync(join(dir, "site.policy"), WITHOUT);
    rmSync(join(dir, "lists"), { recursive: true });
    const dropped = make(dir);
    expect(dropped.status, dropped.out).toBe(0);
    expect(dropped.out).not.toContain("No rule to make target");
    expect(readFileSync(join(dir, "out/.policyc/deps.mk"), "utf8")).not.toContain("lists/staff.policy");
    expect(make(dir).out).toContain("is up to date");
  });
});
