/**
 * README "Diagnostics as JSON and SARIF": with --format json or sarif,
 * stdout holds exactly one document for every command, valid against the
 * published schemas (JSON) or GitHub's upload rules (SARIF, test/documents.ts);
 * build --check and diff put their changes in it.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkedDocument, githubSarifProblems, schemaErrors } from "./documents.js";
import { ROOT, runCli, tempDir } from "./helpers.js";

const GOOD = `platform debian;
service imapd {
  pam imap;
  acl user allow "/etc/imapd.acl" { entries alice, bob; }
}
`;
const sha = (s: string) => createHash("sha256").update(s).digest("hex");

function folder(): string {
  const dir = tempDir();
  writeFileSync(join(dir, "good.policy"), GOOD);
  return dir;
}

describe("machine output: build --check and diff put their changes in the document", () => {
  it("build --check --format json lists each changed file with its kind, hashes, modes and patch", () => {
    const dir = folder();
    expect(runCli(["build", "good.policy", "-o", "out", "-q"], { cwd: dir }).status).toBe(0);
    const acl = join(dir, "out/etc/imapd.acl");
    const before = readFileSync(acl, "utf8");
    writeFileSync(acl, "alice\nmallory\n");
    const outOfDate = checkedDocument(runCli(["build", "good.policy", "-o", "out", "--check", "--format", "json"], { cwd: dir }).stdout);
    expect(outOfDate.changes).toEqual([
      {
        path: "etc/imapd.acl",
        kind: "modify",
        oldSha256: sha("alice\nmallory\n"),
        newSha256: sha(before),
        oldMode: "0644",
        oldOwner: null,
        newOwner: null,
        newMode: "0644",
        patch: expect.stringContaining("-mallory\n+bob\n"),
      },
    ]);
    expect(outOfDate.compared).toBe("out");
    writeFileSync(acl, before);
    const r = runCli(["build", "good.policy", "-o", "out", "--check", "--format", "json"], { cwd: dir });
    expect(r.status).toBe(0);
    expect(checkedDocument(r.stdout).changes).toEqual([]);
  });

  it("diff --root --format json|sarif reports a missing file as add with only its new hash", () => {
    const dir = folder();
    mkdirSync(join(dir, "root")); // an empty root: every file is missing (a root that is not there is PC5060)
    const r = runCli(["diff", "good.policy", "--root", "root", "--format", "json"], { cwd: dir });
    expect(r.status).toBe(1);
    const doc = checkedDocument(r.stdout);
    expect(doc.changes.map((c: { path: string; kind: string; oldSha256: string | null }) => [c.path, c.kind, c.oldSha256])).toEqual([
      ["etc/imapd.acl", "add", null],
      ["etc/pam.d/imap", "add", null],
    ]);
    expect(doc.changes[0].patch).toMatch(/^diff deployed\/etc\/imapd.acl policy\/etc\/imapd.acl\nnew file mode 100644\n/);
    const sarif = checkedDocument(runCli(["diff", "good.policy", "--root", "root", "--format", "sarif"], { cwd: dir }).stdout);
    const results = sarif.runs[0].results;
    expect(results.map((x: { ruleId: string }) => x.ruleId)).toEqual(["policyc/drift", "policyc/drift"]);
    expect(results[0].locations[0].physicalLocation.artifactLocation.uri).toBe("root/etc/imapd.acl");
    expect(results[0].properties).toMatchObject({
      kind: "add",
      oldSha256: null,
      newSha256: doc.changes[0].newSha256,
      patch: doc.changes[0].patch,
    });
  });

  it("diff --stock --format json has the stock file's changes, exit 0", () => {
    const dir = folder();
    writeFileSync(join(dir, "good.policy"), GOOD.replace("pam imap;", "pam sshd;"));
    const r = runCli(["diff", "good.policy", "--stock", "--format", "json"], { cwd: dir });
    expect(r.status).toBe(0);
    const doc = checkedDocument(r.stdout);
    expect(doc.changes.find((c: { path: string }) => c.path === "etc/pam.d/sshd")).toMatchObject({ kind: "modify", oldMode: "0644" });
  });
});

describe("machine output: fmt --check lists the files it would change in the document", () => {
  it("json and sarif", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "ugly.policy"), "platform   debian;\n");
    writeFileSync(join(dir, "fine.policy"), "platform debian;\n");
    const r = runCli(["fmt", "--check", "ugly.policy", "fine.policy", "--format", "json"], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("ugly.policy\n");
    expect(checkedDocument(r.stdout).changes).toEqual([
      {
        path: "ugly.policy",
        kind: "modify",
        oldSha256: sha("platform   debian;\n"),
        newSha256: sha("platform debian;\n"),
        oldMode: null,
        oldOwner: null,
        newOwner: null,
        newMode: null,
        patch: expect.stringContaining("-platform   debian;\n+platform debian;\n"),
      },
    ]);
    const sarif = checkedDocument(runCli(["fmt", "--check", "ugly.policy", "--format", "sarif"], { cwd: dir }).stdout);
    expect(sarif.runs[0].results.map((x: { ruleId: string; locations: unknown }) => [x.ruleId, x.locations])).toEqual([
      ["policyc/unformatted", [{ physicalLocation: { artifactLocation: { uri: "ugly.policy" } } }]],
    ]);
  });
});

describe("machine output: SARIF for GitHub code scanning", () => {
  it("has rule metadata from the catalogue and README: descriptions, help and a helpUri to the section", () => {
    const r = runCli(["check", "examples/cookbook.policy", "--format", "sarif"]);
    const sarif = checkedDocument(r.stdout);
    const rule = sarif.runs[0].tool.driver.rules.find((x: { id: string }) => x.id === "PC4005");
    expect(rule.shortDescription.text).toBe("DIGEST-MD5 (obsolete)");
    expect(rule.fullDescription.text).toContain("DIGEST-MD5 is obsolete (RFC 6331)");
    expect(rule.helpUri).toMatch(/#safety-checks$/);
    expect(rule.help.text).toContain('section "Safety checks"');
    // The anchor is a heading of the README.
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    expect(readme).toMatch(/^### Safety checks$/m);
  });

  it("points a finding about no line at the file given, and standard input at a real URI", () => {
    const missing = runCli(["check", "missing.policy", "--format", "sarif"]);
    expect(missing.status).toBe(2);
    const a = checkedDocument(missing.stdout).runs[0].results[0];
    expect([a.ruleId, a.locations]).toEqual(["PC1010", [{ physicalLocation: { artifactLocation: { uri: "missing.policy" } } }]]);
    const stdin = runCli(["check", "-", "--format", "sarif"], { input: "platform debian;\nservice x { pam ; }\n" });
    const b = checkedDocument(stdin.stdout).runs[0].results[0];
    expect(b.locations[0].physicalLocation.artifactLocation.uri).toBe("file:///dev/stdin");
  });

  it("the checks of GitHub's rules fail on what GitHub rejects", () => {
    const bad = {
      $schema: "https://example.com/sarif.json",
      version: "2.1.0",
      runs: [
        {
          tool: { driver: { name: "policyc", rules: [{ id: "PC1" }] } },
          results: [{ ruleId: "PC1", message: { text: "x" }, locations: [] }],
        },
      ],
    };
    expect(githubSarifProblems(bad).map((p) => p.split(":")[0])).toEqual([
      "Base1011",
      "GH2012",
      "GH2012",
      "GH2012",
      "runs[0].tool.driver.rules[0] (PC1) has no helpUri to a README section",
      "GH1015",
      "GH1015",
    ]);
    expect(
      schemaErrors("diagnostics", { format: "policyc-diagnostics", version: 1, diagnostics: [{ code: "X" }], errors: 0, warnings: 0 })
        .length,
    ).toBeGreaterThan(0);
  });
});

describe('--max-warnings N (README "In CI")', () => {
  const cookbook = "examples/cookbook.policy"; // two warnings: PC4005, PC4006

  it("check fails with more warnings than N (exit 1, PC5050 in the document), passes with N or fewer", () => {
    const over = runCli(["check", cookbook, "--max-warnings", "1", "--format", "sarif"]);
    expect(over.status).toBe(1);
    const results = checkedDocument(over.stdout).runs[0].results.map((r: { ruleId: string; level: string }) => `${r.ruleId} ${r.level}`);
    expect(results).toEqual(["PC5050 error", "PC4005 warning", "PC4006 warning"]);
    expect(runCli(["check", cookbook, "--max-warnings", "2", "-q"])).toMatchObject({ status: 0 });
    const human = runCli(["check", cookbook, "--max-warnings", "0"]);
    expect(human.status).toBe(1);
    expect(human.stderr).toContain("error PC5050: 2 warnings, more than --max-warnings 0 allows; nothing written.");
  });

  it("build writes nothing over the limit", () => {
    const dir = tempDir();
    const r = runCli(["build", join(ROOT, cookbook), "-o", join(dir, "out"), "--max-warnings", "0", "--format", "json"]);
    expect(r.status).toBe(1);
    expect(checkedDocument(r.stdout)).toMatchObject({ errors: 1, warnings: 2 });
    expect(() => readFileSync(join(dir, "out", "etc", "mail", "sendmail.mc"))).toThrow();
  });

  it("test fails over the limit too, even when every assertion passes", () => {
    expect(runCli(["test", cookbook, "--max-warnings", "2", "-q"]).status).toBe(0);
    const r = runCli(["test", cookbook, "--max-warnings", "1"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("error PC5050: 2 warnings, more than --max-warnings 1 allows");
  });

  it("takes only a whole number", () => {
    const r = runCli(["check", cookbook, "--max-warnings", "-1"]);
    expect(r.status).toBe(2);
    const s = runCli(["check", cookbook, "--max-warnings", "few"]);
    expect([s.status, s.stderr]).toEqual([
      2,
      'policyc: --max-warnings takes a whole number of warnings from 0, not "few".\nRun "policyc --help" for usage.\n',
    ]);
  });
});

describe('acknowledged warnings in machine output (README "Safety checks")', () => {
  function acknowledged(): string {
    const dir = tempDir();
    const text = readFileSync(join(ROOT, "examples", "cookbook.policy"), "utf8").replace(
      /(auth mechanisms DIGEST-MD5, CRAM-MD5;\n)/,
      '$1  unsafe PC4005 "the recipe\'s clients only speak DIGEST-MD5";\n',
    );
    expect(text).toContain("unsafe PC4005");
    writeFileSync(join(dir, "site.policy"), text);
    return dir;
  }

  it("JSON marks the warning suppressed with the reason; it is not counted, printed, or held against --max-warnings", () => {
    const dir = acknowledged();
    const r = runCli(["check", "site.policy", "--format", "json", "--max-warnings", "1"], { cwd: dir });
    expect(r.status).toBe(0);
    const doc = checkedDocument(r.stdout);
    expect([doc.warnings, doc.suppressed]).toEqual([1, 1]);
    const d = doc.diagnostics.find((x: { code: string }) => x.code === "PC4005");
    expect(d.suppressed).toMatchObject({
      kind: "inSource",
      justification: "the recipe's clients only speak DIGEST-MD5",
      location: { file: "site.policy" },
    });
    const human = runCli(["check", "site.policy"], { cwd: dir });
    expect(human.stderr).not.toContain("PC4005");
    expect(human.stderr).toContain("is valid (1 warning, 1 acknowledged)");
  });

  it("SARIF gives the result a suppression with the justification", () => {
    const r = runCli(["check", "site.policy", "--format", "sarif"], { cwd: acknowledged() });
    const results = checkedDocument(r.stdout).runs[0].results;
    const pc4005 = results.find((x: { ruleId: string }) => x.ruleId === "PC4005");
    expect(pc4005.suppressions).toEqual([
      {
        kind: "inSource",
        status: "accepted",
        justification: "the recipe's clients only speak DIGEST-MD5",
        location: expect.objectContaining({ physicalLocation: expect.objectContaining({ artifactLocation: { uri: "site.policy" } }) }),
      },
    ]);
    expect(results.find((x: { ruleId: string }) => x.ruleId === "PC4006").suppressions).toBeUndefined();
  });
});
