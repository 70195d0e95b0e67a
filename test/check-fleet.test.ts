/**
 * README "Performance": `policyc check` of a fleet keeps no host's files past
 * that host (compile's keepFiles: false). Nothing of it may show: the
 * findings, their order, the assertions and the file count must be what a
 * compile that keeps every file (build) gives.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compile, type CompileResult } from "../src/compile.js";
import { CLI, TEMPLATES } from "./helpers.js";

// The bench's fleet generator (plain JavaScript, untyped).
const { fleet } = (await import("../scripts/fleet.js" as string)) as { fleet: (n: number) => { policy: string; inventory: string } };

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The fleet of scripts/fleet.js with n hosts, `edit` applied to its policy; the policy's path. */
function fleetPolicy(n: number, edit: (policy: string) => string = (p) => p): string {
  const dir = mkdtempSync(join(tmpdir(), "policyc-check-fleet-"));
  dirs.push(dir);
  const { policy, inventory } = fleet(n);
  writeFileSync(join(dir, "fleet.policy"), edit(policy));
  writeFileSync(join(dir, "fleet.ini"), inventory);
  return join(dir, "fleet.policy");
}

function run(path: string, keepFiles?: boolean): CompileResult {
  const bytes = readFileSync(path);
  return compile(path, bytes, { templates: TEMPLATES, ...(keepFiles !== undefined && { keepFiles }) });
}

function findings(r: CompileResult): string[] {
  return r.diagnostics.sorted().map((d) => {
    const at = (s: typeof d.span) => (s ? `${s.file.path}:${s.start}-${s.end}` : "");
    return `${at(d.span)} ${d.severity} ${d.code} ${d.message} ${JSON.stringify((d.related ?? []).map((r) => [r.message, at(r.span)]))}`;
  });
}

function assertions(r: CompileResult): string[] {
  return (r.assertions ?? []).map((a) => `${a.host} ${a.passed} ${a.message}`);
}

/** Assertions for every host, for some hosts (a host block's own), passing and failing. */
function withAssertions(policy: string): string {
  const host = policy.indexOf("\nhost ");
  const open = policy.indexOf("{\n", host) + 2;
  return (
    policy.slice(0, open) +
    "  expect deny su user mallory;\n  expect allow sshd user root;\n" +
    policy.slice(open) +
    "expect deny login user mallory;\nexpect allow login user nobody-listed;\nexpect accept relay to postmaster@example.org;\n"
  );
}

describe("check of a fleet without keeping files", () => {
  it("counts the files a build makes and keeps none", () => {
    const path = fleetPolicy(40);
    const kept = run(path);
    const counted = run(path, false);
    expect(findings(kept)).toEqual([]);
    expect(findings(counted)).toEqual([]);
    expect(kept.files!.length).toBeGreaterThan(40 * 20);
    expect(kept.fileCount).toBe(kept.files!.length);
    expect(counted.fileCount).toBe(kept.files!.length);
    expect(counted.files).toBeUndefined();
  });

  it("runs every assertion on every host it concerns, with the findings of a build, in its order", () => {
    const path = fleetPolicy(40, withAssertions);
    const kept = run(path);
    const counted = run(path, false);
    expect(kept.diagnostics.errorCount).toBeGreaterThan(0);
    expect(findings(counted)).toEqual(findings(kept));
    expect(assertions(counted)).toEqual(assertions(kept));
    // every host with a login service was asked, and the host block's own assertions ran on that host only
    expect(assertions(kept).filter((a) => a.includes("false")).length).toBeGreaterThan(1);
    expect(new Set((kept.assertions ?? []).filter((a) => a.assertion.host !== null).map((a) => a.host)).size).toBe(1);
    expect(counted.fileCount).toBeUndefined();
  });

  it("prints what it printed when it kept the files: policyc check --format json, exit code", () => {
    const path = fleetPolicy(12, withAssertions);
    const cli = spawnSync(process.execPath, [CLI, "check", path, "--format", "json"], { encoding: "utf8" });
    expect(cli.status).toBe(1);
    const doc = JSON.parse(cli.stdout) as { diagnostics: { code: string; message: string }[]; errors: number };
    const kept = run(path);
    expect(doc.errors).toBe(kept.diagnostics.errorCount);
    expect(doc.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual(kept.diagnostics.sorted().map((d) => `${d.code} ${d.message}`));
    const clean = spawnSync(process.execPath, [CLI, "check", fleetPolicy(12)], { encoding: "utf8" });
    expect(clean.status).toBe(0);
    expect(clean.stderr).toContain(`it produces ${run(fleetPolicy(12)).files!.length} files.`);
  });
});
