/**
 * README "Command line", diff --root DIR: a deployed file that is there but
 * cannot be read (permission, a folder, a symbolic link, a loop of links on
 * its path) is an error naming the path and the reason (PC5070, exit 2), never
 * "missing": nothing is reported as drift. Permissions are tested as nobody
 * (setpriv), since root reads anything.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkedDocument } from "./documents.js";
import { CLI, runCli, tempDir } from "./helpers.js";

const POLICY = `platform debian;
service imapd {
  pam imap;
  acl user allow "/etc/imapd.acl" { entries alice, bob; }
}
`;

const SETPRIV = ["/usr/bin/setpriv", "/bin/setpriv"].find((p) => existsSync(p));
if (!SETPRIV && process.env.CI === "true") throw new Error("diff --root permission tests: setpriv (util-linux) is missing with CI=true");
const root = process.getuid?.() === 0;

/** A folder nobody can enter, with the policy and a deployed root built from it. */
function deployed(): { dir: string; root: string } {
  const dir = tempDir();
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, "p.policy"), POLICY);
  const r = runCli(["build", "p.policy", "-o", "root", "-q"], { cwd: dir });
  expect(r.status, r.stderr).toBe(0);
  rmSync(join(dir, "root/.policyc"), { recursive: true });
  return { dir, root: join(dir, "root") };
}

/** policyc as nobody (root drops its privileges with setpriv; anyone else is already not root). */
function asNobody(args: string[], cwd: string) {
  const argv = root
    ? [SETPRIV!, "--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, CLI, ...args]
    : [process.execPath, CLI, ...args];
  const r = spawnSync(argv[0]!, argv.slice(1), { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const expectUnreadable = (r: { status: number | null; stdout: string; stderr: string }, path: string, reason: string) => {
  expect([r.status, r.stdout], r.stderr).toEqual([2, ""]);
  expect(r.stderr).toBe(
    `policyc: error PC5070: Cannot read the deployed file ${path}: ${reason}; it was not compared, and nothing is reported as drift.\n`,
  );
};

describe("diff --root: a deployed file that is there but cannot be read is an error, not drift", () => {
  it("a folder where the file should be: PC5070 naming it, exit 2, no diff", () => {
    const { dir, root: r } = deployed();
    rmSync(join(r, "etc/imapd.acl"));
    mkdirSync(join(r, "etc/imapd.acl"));
    expectUnreadable(runCli(["diff", "p.policy", "--root", "root"], { cwd: dir }), "root/etc/imapd.acl", "it is a directory");
  });

  it("a symbolic link is not followed: PC5070", () => {
    const { dir, root: r } = deployed();
    unlinkSync(join(r, "etc/imapd.acl"));
    writeFileSync(join(dir, "elsewhere"), "alice\nbob\n");
    symlinkSync(join(dir, "elsewhere"), join(r, "etc/imapd.acl"));
    expectUnreadable(
      runCli(["diff", "p.policy", "--root", "root"], { cwd: dir }),
      "root/etc/imapd.acl",
      "it is a symbolic link, which diff does not follow",
    );
  });

  it("a loop of symbolic links on its path (ELOOP): PC5070", () => {
    const { dir, root: r } = deployed();
    rmSync(join(r, "etc/pam.d"), { recursive: true });
    symlinkSync("pam.d", join(r, "etc/pam.d"));
    expectUnreadable(runCli(["diff", "p.policy", "--root", "root"], { cwd: dir }), "root/etc/pam.d/imap", "too many symbolic links");
  });

  it.skipIf(root && !SETPRIV)("a file nobody may read (as nobody): permission denied, exit 2; other drift is not reported either", () => {
    const { dir, root: r } = deployed();
    chmodSync(join(r, "etc/imapd.acl"), 0o000);
    writeFileSync(join(r, "etc/pam.d/imap"), "# edited by hand\n");
    chmodSync(join(r, "etc/pam.d/imap"), 0o644);
    expectUnreadable(asNobody(["diff", "p.policy", "--root", "root"], dir), "root/etc/imapd.acl", "permission denied");
    const json = asNobody(["diff", "p.policy", "--root", "root", "--format", "json"], dir);
    expect(json.status).toBe(2);
    const doc = checkedDocument(json.stdout);
    expect(doc.diagnostics.map((d: { code: string }) => d.code)).toEqual(["PC5070"]);
    expect(doc.changes).toBeUndefined();
    // Readable again: the hand edit is drift (exit 1), and the list matches.
    chmodSync(join(r, "etc/imapd.acl"), 0o644);
    const again = asNobody(["diff", "p.policy", "--root", "root"], dir);
    expect(again.status).toBe(1);
    expect(again.stdout).toContain("+++ policy/etc/pam.d/imap");
    expect(again.stdout).not.toContain("deployed/etc/imapd.acl");
  });

  it.skipIf(root && !SETPRIV)("a folder on its path nobody may search (as nobody): permission denied, not missing", () => {
    const { dir, root: r } = deployed();
    chmodSync(join(r, "etc/pam.d"), 0o700);
    expectUnreadable(asNobody(["diff", "p.policy", "--root", "root"], dir), "root/etc/pam.d/imap", "permission denied");
  });

  it.skipIf(root && !SETPRIV)("a deploy record nobody may read (as nobody): PC5070 naming it, stale files are not guessed", () => {
    const { dir, root: r } = deployed();
    mkdirSync(join(r, "var/lib/policyc"), { recursive: true });
    const built = runCli(["build", "p.policy", "-o", "again", "-q"], { cwd: dir });
    expect(built.status).toBe(0);
    writeFileSync(join(r, "var/lib/policyc/manifest.json"), readFileSync(join(dir, "again/.policyc/manifest.json")));
    chmodSync(join(r, "var/lib/policyc/manifest.json"), 0o600);
    expectUnreadable(asNobody(["diff", "p.policy", "--root", "root"], dir), "root/var/lib/policyc/manifest.json", "permission denied");
  });
});

describe('diff --root: a deploy record that is not a policyc manifest is an error, not "no record"', () => {
  const RECORD = "var/lib/policyc/manifest.json";
  const withRecord = (text: string) => {
    const d = deployed();
    mkdirSync(join(d.root, "var/lib/policyc"), { recursive: true });
    writeFileSync(join(d.root, RECORD), text);
    // A stale file the record would name: with the record read as "none", it would go unreported.
    mkdirSync(join(d.root, "etc/pam.d"), { recursive: true });
    writeFileSync(join(d.root, "etc/pam.d/old"), "stale\n");
    return runCli(["diff", "p.policy", "--root", "root"], { cwd: d.dir });
  };

  it.each([
    ["cut short", '{"format": "policyc-manifest", "files": [', "it is not JSON"],
    ["another format", '{"format": "something-else", "files": []}', '"format" is "something-else"'],
    ["files not a list", '{"format": "policyc-manifest", "files": {}}', '"files" is not a list'],
    ["a target with ..", '{"format": "policyc-manifest", "files": [{"host": null, "target": "/etc/../../x"}]}', 'file 1 has no "target"'],
    ["a JSON list", "[]", "not a JSON object"],
  ])("%s: PC5076 naming the record and what is wrong, exit 2, no diff", (_name, text, words) => {
    const r = withRecord(text);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(`error PC5076: The deploy record root/${RECORD} is not a policyc manifest: `);
    expect(r.stderr).toContain(words);
    expect(r.stderr).not.toContain("drifted");
  });

  it("a valid record still names the stale file it lists", () => {
    const r = withRecord(JSON.stringify({ format: "policyc-manifest", files: [{ host: null, target: "/etc/pam.d/old" }] }));
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("etc/pam.d/old");
  });
});
