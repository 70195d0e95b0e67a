/**
 * README "Command line" and "Diagnostics as JSON and SARIF": `--format json`
 * (or `sarif`) prints exactly one document on stdout for every command, what
 * the command prints for people going to stderr. test/cli.test.ts covers
 * check, build, diff --root, fmt and verify; these are the others: explain,
 * test, who, report, diff-access, diff --stock and import. SARIF is checked
 * against GitHub's upload rules, the diagnostics documents against
 * schemas/ (test/documents.ts); the question-answering commands' own JSON
 * must carry the format and version their README sections name.
 */
import { createHash } from "node:crypto";
import { chmodSync, chownSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Messages } from "../src/diagnostics/messages.js";
import { checkedDocument } from "./documents.js";
import { ROOT, runCli, tempDir } from "./helpers.js";

const S = "examples/site.policy";
const importRoot = tempDir("policyc-documents-import-");
runCli(["build", S, "-o", importRoot, "-q"]);

const cases: Array<[string, string[], number, string]> = [
  ["explain pam", ["explain", S, "imapd", "dave"], 0, "policyc-explain"],
  ["explain relay, refused", ["explain", S, "relay", "x@elsewhere.example", "--client", "198.51.100.9"], 1, "policyc-explain"],
  ["test", ["test", S], 0, "policyc-diagnostics"],
  ["who", ["who", S], 0, "policyc-who"],
  ["who SERVICE", ["who", S, "imapd"], 0, "policyc-who"],
  ["report", ["report", S], 0, "policyc-report"],
  ["diff-access", ["diff-access", S, S], 0, "policyc-access-diff"],
  ["diff --stock", ["diff", S, "--stock"], 0, "policyc-diagnostics"],
  ["import", ["import", "--root", importRoot, "-o", `${tempDir("policyc-documents-out-")}/p.policy`], 0, "policyc-diagnostics"],
];

describe("--format json and sarif: one document on stdout, for the commands that answer questions too", () => {
  it.each(cases)("%s", (_label, args, status, format) => {
    const json = runCli([...args, "--format", "json"]);
    expect(json.status, json.stderr).toBe(status);
    const doc = format === "policyc-diagnostics" ? checkedDocument(json.stdout) : JSON.parse(json.stdout);
    expect([doc.format, doc.version]).toEqual([format, 1]);

    const sarif = runCli([...args, "--format", "sarif"]);
    expect(sarif.status, sarif.stderr).toBe(status);
    expect(checkedDocument(sarif.stdout).version).toBe("2.1.0");
  });

  it("report --format sarif keeps the Markdown matrix, for people, on stderr", () => {
    const r = runCli(["report", S, "--format", "sarif"]);
    expect(r.stdout.trimStart().startsWith("{")).toBe(true);
    expect(r.stderr).toContain("| user | imapd |");
    expect(r.stdout).not.toContain("| user |");
  });
  it("every code of the catalogue fits the schema's code pattern (PC6xxx assertions and PC7xxx import findings too)", () => {
    const schema = JSON.parse(readFileSync(join(ROOT, "schemas", "diagnostics.schema.json"), "utf8"));
    const pattern = new RegExp(
      schema.$defs?.diagnostic?.properties?.code?.pattern ?? schema.definitions.diagnostic.properties.code.pattern,
    );
    for (const d of Object.values(Messages)) expect(d.code, d.code).toMatch(pattern);
  });

  it("test --format json with a failed assertion (PC6001) is a valid document", () => {
    const r = runCli(["test", "-", "--format", "json"], {
      input: 'platform debian;\nservice sshd { acl user allow "/etc/ssh.acl" { entries root, alice; } }\nexpect allow sshd user mallory;\n',
    });
    expect(r.status).toBe(1);
    expect(checkedDocument(r.stdout).diagnostics.map((d: { code: string }) => d.code)).toContain("PC6001");
  });
  it("SARIF partialFingerprints survive lines moving (a hash of code, file and message), and differ between findings", () => {
    const dir = tempDir("policyc-documents-fingerprint-");
    const body =
      'service imapd { acl user allow "/f" { entries alice; onerr maybe; } }\nservice pop3d { acl user allow "/g" { entries bob; onerr never; } }\n';
    const sarif = (text: string) => {
      writeFileSync(join(dir, "p.policy"), text);
      const results = checkedDocument(runCli(["check", "p.policy", "--format", "sarif"], { cwd: dir }).stdout).runs[0].results;
      return results.map(
        (r: {
          partialFingerprints: Record<string, string>;
          locations: Array<{ physicalLocation: { region: { startLine: number } } }>;
        }) => ({
          fingerprint: r.partialFingerprints["policyc/v1"],
          line: r.locations[0]!.physicalLocation.region.startLine,
        }),
      );
    };
    const before = sarif(`platform debian;\n${body}`);
    const after = sarif(`platform debian;\n# a comment\n\n# moves every line down by three\n${body}`);
    expect(before.length).toBe(2);
    expect(after.map((r: { fingerprint: string }) => r.fingerprint)).toEqual(before.map((r: { fingerprint: string }) => r.fingerprint));
    expect(after.map((r: { line: number }) => r.line)).toEqual(before.map((r: { line: number }) => r.line + 3));
    expect(new Set(before.map((r: { fingerprint: string }) => r.fingerprint)).size).toBe(2);
  });
  it("diff --root: a change of mode or owner only still has both hashes and modes (null only for a file missing or removed)", () => {
    const dir = tempDir("policyc-documents-owner-");
    expect(runCli(["build", join(ROOT, S), "-o", join(dir, "root"), "-q"]).status).toBe(0);
    const asRoot = process.getuid!() === 0;
    if (asRoot) chownSync(join(dir, "root/etc/security/mail.users"), 1000, 1000);
    chmodSync(join(dir, "root/etc/ftpusers"), 0o600);
    const r = runCli(["diff", join(ROOT, S), "--root", join(dir, "root"), "--format", "json"]);
    expect(r.status).toBe(1);
    const doc = checkedDocument(r.stdout);
    const byPath = new Map(doc.changes.map((c: { path: string }) => [c.path, c]));
    const sha = (p: string) =>
      createHash("sha256")
        .update(readFileSync(join(dir, "root", p)))
        .digest("hex");
    expect(byPath.get("etc/security/mail.users")).toMatchObject({
      kind: "owner",
      oldSha256: sha("etc/security/mail.users"),
      newSha256: sha("etc/security/mail.users"),
      oldMode: "0644",
      newMode: "0644",
      oldOwner: asRoot ? "1000:1000" : `${process.getuid!()}:${process.getgid!()}`,
      newOwner: "root:root",
    });
    // SARIF: each change a result at the file's path, with the same fields under properties.
    const sarif = checkedDocument(runCli(["diff", join(ROOT, S), "--root", join(dir, "root"), "--format", "sarif"]).stdout);
    const drift = sarif.runs[0].results.filter((x: { ruleId: string }) => x.ruleId === "policyc/drift");
    expect(drift.map((x: { properties: object }) => x.properties)).toEqual(
      doc.changes.map(({ path: _, ...rest }: { path: string }) => rest),
    );
    expect(byPath.get("etc/ftpusers")).toMatchObject({
      kind: "mode",
      oldSha256: sha("etc/ftpusers"),
      newSha256: sha("etc/ftpusers"),
      oldMode: "0600",
      newMode: "0644",
    });
  });
  it("diff-access --format sarif with a change keeps the change's line, for people, on stderr", () => {
    const dir = tempDir("policyc-documents-access-");
    writeFileSync(join(dir, "old.policy"), 'platform debian;\nservice sshd { acl user allow "/etc/x" { entries root; } }\n');
    writeFileSync(join(dir, "new.policy"), 'platform debian;\nservice sshd { acl user allow "/etc/x" { entries root, carol; } }\n');
    const r = runCli(["diff-access", "old.policy", "new.policy", "--format", "sarif"], { cwd: dir });
    expect(r.status).toBe(0);
    expect(checkedDocument(r.stdout).version).toBe("2.1.0");
    expect(r.stderr).toContain("gain   carol gains sshd");
    const json = runCli(["diff-access", "old.policy", "new.policy", "--format", "json"], { cwd: dir });
    expect(JSON.parse(json.stdout)).toMatchObject({ format: "policyc-access-diff", gains: 1 });
  });
});
