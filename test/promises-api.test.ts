/**
 * README "Programmatic API", held against the CLI a user runs: compileFile
 * reads a file as `policyc check FILE` does and gives the files `policyc
 * build` writes (same paths, bytes, modes, sha256, manifest); compile's
 * diagnostics are `--format json`'s; explain answers as `policyc explain
 * --format json` does; `version` is what `policyc --version` prints.
 * Runs on dist/api.js, the bundle a caller imports.
 */
import { createHash } from "node:crypto";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { ROOT, runCli, tempDir } from "./helpers.js";

// The bundle's types are src/api.ts's (dist/ does not exist yet when tsc runs on a fresh clone).
type Api = typeof import("../src/api.js");
const api: Api = await import(pathToFileURL(join(ROOT, "dist", "api.js")).href);

const SITE = "examples/site.policy";

describe('README "Programmatic API" agrees with the CLI', () => {
  it("compileFile gives the files build writes: path under OUT, bytes, mode, sha256, and the manifest", () => {
    const out = tempDir("policyc-api-build-");
    expect(runCli(["build", SITE, "-o", out, "-q"]).status).toBe(0);
    const r = api.compileFile(SITE);
    expect(r.ok).toBe(true);
    expect(r.errors).toBe(0);
    expect(r.files.length).toBeGreaterThan(5);
    for (const f of r.files) {
      const onDisk = readFileSync(join(out, f.path));
      expect(Buffer.from(f.content).equals(onDisk), f.path).toBe(true);
      expect(f.sha256, f.path).toBe(createHash("sha256").update(onDisk).digest("hex"));
      expect(f.mode, f.path).toBe(statSync(join(out, f.path)).mode & 0o7777);
      expect(f.target, f.path).toBe(`/${f.path}`);
      expect(typeof f.producer, f.path).toBe("string");
    }
    expect(JSON.parse(JSON.stringify(r.manifest))).toEqual(JSON.parse(readFileSync(join(out, ".policyc", "manifest.json"), "utf8")));
  });

  it("compile(text, { path }) gives the diagnostics of `check --format json`, with 1-based line and column", () => {
    const text = 'platform debian;\nservice imapd {\n  acl user allow "/f" { entries alice; onerr maybe; }\n}\n';
    const dir = tempDir("policyc-api-diag-");
    writeFileSync(join(dir, "bad.policy"), text);
    const cli = runCli(["check", "bad.policy", "--format", "json"], { cwd: dir });
    expect(cli.status).toBe(1);
    const doc = JSON.parse(cli.stdout);
    const r = api.compile(text, { path: "bad.policy" });
    expect(r.ok).toBe(false);
    expect(r.files).toEqual([]);
    expect(r.errors).toBe(doc.errors);
    expect(r.warnings).toBe(doc.warnings);
    expect(JSON.parse(JSON.stringify(r.diagnostics))).toEqual(doc.diagnostics);
    const d = r.diagnostics.find((x) => x.code === "PC3007")!;
    expect(d.location).toMatchObject({ file: "bad.policy", line: 3, column: 46 });
  });

  it('compile without a path names the policy "<stdin>" and takes includes from the current folder, as `check -` does', () => {
    const cwd = process.cwd();
    const dir = tempDir("policyc-api-stdin-");
    writeFileSync(join(dir, "lists.policy"), "users staff = alice, bob;\n");
    process.chdir(dir);
    try {
      const r = api.compile('platform debian;\ninclude "lists.policy";\nservice sshd { acl user allow "/etc/x" { entries $staff; } }\n');
      expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
      expect(r.ok).toBe(true);
      const list = r.files.find((f) => f.target === "/etc/x")!;
      expect(list.content).toBe("alice\nbob\n");
      const bad = api.compile("platform debian;\nservice sshd { pam ; }\n");
      expect(bad.diagnostics[0]!.location!.file).toBe("<stdin>");
    } finally {
      process.chdir(cwd);
    }
  });

  it("compileFile of a file that cannot be read is an error diagnostic (the code check prints), not an exception", () => {
    const dir = tempDir("policyc-api-missing-");
    const cli = runCli(["check", "nope.policy", "--format", "json"], { cwd: dir });
    const r = api.compileFile(join(dir, "nope.policy"));
    expect(r.ok).toBe(false);
    expect(r.diagnostics.map((d) => d.code)).toEqual(JSON.parse(cli.stdout).diagnostics.map((d: { code: string }) => d.code));
    expect(r.diagnostics[0]!.location).toBeNull();
  });

  it("explain answers as `policyc explain --format json` does, one answer per host; ok is false for no such service", () => {
    const pam = api.explain(readFileSync(join(ROOT, SITE)), { kind: "pam", service: "imapd", user: "dave" }, { path: SITE });
    const cli = JSON.parse(runCli(["explain", SITE, "imapd", "dave", "--format", "json"]).stdout);
    expect(pam.ok).toBe(true);
    expect(pam.answers.map((a) => [a.kind, a.decision])).toEqual([["pam", "allow"]]);
    expect(JSON.stringify(cli)).toContain(JSON.stringify(pam.answers[0]!.reason));
    const mallory = api.explain(readFileSync(join(ROOT, SITE)), { kind: "pam", service: "imapd", user: "mallory" }, { path: SITE });
    expect(mallory.answers.map((a) => a.decision)).toEqual(["deny"]);
    const relay = api.explain(
      readFileSync(join(ROOT, SITE)),
      { kind: "mail", recipient: "x@elsewhere.example", clientAddr: "198.51.100.9" },
      { path: SITE },
    );
    expect(relay.answers.map((a) => [a.kind, a.decision])).toEqual([["mail", "refuse"]]);
    const none = api.explain(readFileSync(join(ROOT, SITE)), { kind: "pam", service: "nosuch", user: "dave" }, { path: SITE });
    expect(none.ok).toBe(false);
  });

  it("format formats as `policyc fmt` does, with the .prettierrc that applies to path (config: false ignores it)", async () => {
    const dir = tempDir("policyc-api-format-");
    writeFileSync(join(dir, ".prettierrc"), '{ "printWidth": 30 }\n');
    const text = "users staff = alice, bob, carol, dave, erin, frank;\n";
    writeFileSync(join(dir, "a.policy"), text);
    expect(runCli(["fmt", "a.policy"], { cwd: dir }).status).toBe(0);
    const byFmt = readFileSync(join(dir, "a.policy"), "utf8");
    expect(byFmt).not.toBe(text);
    expect(await api.format(text, { path: join(dir, "a.policy") })).toEqual({ ok: true, text: byFmt, diagnostics: [] });
    expect((await api.format(text, { path: join(dir, "a.policy"), config: false })).text).toBe(text);
  });

  it("format of a syntax error is not ok and carries the diagnostic `check` prints", async () => {
    const dir = tempDir("policyc-api-format-bad-");
    writeFileSync(join(dir, "bad.policy"), "platform debian;\nusers a = ;\n");
    const check = JSON.parse(runCli(["check", "bad.policy", "--format", "json"], { cwd: dir }).stdout);
    const r = await api.format("platform debian;\nusers a = ;\n", { path: "bad.policy" });
    expect(r.ok).toBe(false);
    expect(JSON.parse(JSON.stringify(r.diagnostics))).toEqual(check.diagnostics);
  });

  it("version is what `policyc --version` prints", () => {
    expect(runCli(["--version"]).stdout).toMatch(new RegExp(`^policyc ${api.version.replace(/\./g, "\\.")} `));
  });
});
