import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { runCli, tempDir } from "./helpers.js";

/**
 * README "Access diff", `diff-access --git REV POLICY`: the old version is
 * POLICY and the files it included as of REV, read with git (no checkout,
 * the working tree unchanged), in a temporary git repository.
 */
const SITE = `platform debian;
include "lists/users.policy";
service sshd {
  acl user allow "/etc/ssh.users" {
    entries $admins;
  }
}
`;

let repo: string;
const git = (...args: string[]) => {
  const r = spawnSync("git", args, { cwd: repo, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
};
const write = (path: string, text: string) => {
  mkdirSync(join(repo, path, ".."), { recursive: true });
  writeFileSync(join(repo, path), text);
};

beforeEach(() => {
  repo = tempDir("policyc-git-");
  git("init", "-q");
  git("config", "user.email", "t@example.test");
  git("config", "user.name", "t");
  write("site/main.policy", SITE);
  write("site/lists/users.policy", "users admins = root, alice;\n");
  git("add", "-A");
  git("commit", "-qm", "one");
});

describe("diff-access --git REV POLICY", () => {
  it("reads the old version and its includes from the revision, and leaves the working tree as it is", () => {
    write("site/lists/users.policy", "users admins = root, alice, carol;\n");
    const before = git("status", "--porcelain");
    const mtime = statSync(join(repo, "site/lists/users.policy")).mtimeMs;
    const r = runCli(["diff-access", "--git", "HEAD", "site/main.policy"], { cwd: repo });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("gain   carol gains sshd (user allow /etc/ssh.users)\n");
    expect(r.status).toBe(0);
    expect(git("status", "--porcelain")).toBe(before);
    expect(readFileSync(join(repo, "site/lists/users.policy"), "utf8")).toContain("carol");
    expect(statSync(join(repo, "site/lists/users.policy")).mtimeMs).toBe(mtime);
  });

  it("is no change, exit 0 and no output, when the working tree matches the revision; --fail-on works as for two files", () => {
    const same = runCli(["diff-access", "--git", "HEAD", "main.policy", "--fail-on", "any"], { cwd: join(repo, "site") });
    expect([same.status, same.stdout, same.stderr]).toEqual([0, "", ""]);
    write("site/lists/users.policy", "users admins = root;\n");
    git("commit", "-qam", "two");
    // HEAD~1 had alice; the working tree (= HEAD) does not: a loss, and --fail-on gain lets it through.
    const r = runCli(["diff-access", "--git", "HEAD~1", "site/main.policy", "--fail-on", "gain", "--format", "json"], { cwd: repo });
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.changes).toEqual([{ host: null, scope: "sshd", effect: "loss", text: "alice loses sshd (user allow /etc/ssh.users)" }]);
    const back = runCli(["diff-access", "--git", "HEAD", "site/main.policy"], { cwd: repo });
    expect([back.status, back.stdout]).toEqual([0, ""]);
  });

  it("resolves includes inside the revision, not on disk: a file since deleted, a symbolic link in the revision", () => {
    symlinkSync("lists/users.policy", join(repo, "site/alias.policy"));
    write("site/main.policy", SITE.replace("lists/users.policy", "alias.policy"));
    git("add", "-A");
    git("commit", "-qm", "link");
    rmSync(join(repo, "site/alias.policy"));
    write("site/main.policy", SITE.replace("lists/users.policy", "now.policy"));
    write("site/now.policy", "users admins = root, alice, dave;\n");
    const r = runCli(["diff-access", "--git", "HEAD", "site/main.policy", "--fail-on", "gain"], { cwd: repo });
    expect(r.stdout).toBe("gain   dave gains sshd (user allow /etc/ssh.users)\n");
    expect(r.status).toBe(1);
  });

  it("shows errors of the old version at REV:./PATH: an include on disk but not in the revision is missing", () => {
    write("site/main.policy", SITE.replace("lists/users.policy", "uncommitted.policy"));
    git("commit", "-qam", "include a file never committed");
    write("site/uncommitted.policy", "users admins = root;\n");
    const r = runCli(["diff-access", "--git", "HEAD", "main.policy"], { cwd: join(repo, "site") });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^HEAD:\.\/main\.policy:2:9: error PC1011: Cannot include "uncommitted\.policy": no such file\./);
  });

  it("says why when it cannot read the old version (exit 2, PC6010): no repository, no revision, no file there", () => {
    const outside = tempDir("policyc-nogit-");
    writeFileSync(join(outside, "p.policy"), SITE);
    const cases: Array<[string[], string, RegExp]> = [
      [["--git", "HEAD", "p.policy"], outside, /PC6010: Cannot read the old version from git: p\.policy is not in a git repository\./],
      [["--git", "nosuch", "site/main.policy"], repo, /PC6010: .*"nosuch" is not a revision of the repository/],
      [
        ["--git", "HEAD", "site/new.policy"],
        repo,
        /PC6010: .*site\/new\.policy does not exist in revision HEAD \(HEAD:\.\/site\/new\.policy\)\./,
      ],
    ];
    for (const [args, cwd, message] of cases) {
      const r = runCli(["diff-access", ...args], { cwd });
      expect(r.status).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    }
    const json = runCli(["diff-access", "--git", "nosuch", "site/main.policy", "--format", "json"], { cwd: repo });
    expect(json.status).toBe(2);
    expect(JSON.parse(json.stdout).diagnostics[0].code).toBe("PC6010");
    const two = runCli(["diff-access", "--git", "HEAD", "site/main.policy", "site/main.policy"], { cwd: repo });
    expect(two.status).toBe(2);
    expect(two.stderr).toMatch(/--git REV takes one policy file, not 2/);
  });
});

/**
 * README "Hosts from an inventory": the inventory is read like an include, so
 * `--git REV` reads the inventory of REV, resolved inside the revision.
 */
describe("diff-access --git REV POLICY with an inventory", () => {
  const FLEET = `platform debian;
inventory "hosts.ini";
role shell {
  service sshd {
    acl user allow "/etc/ssh.users" {
      entries root;
    }
  }
}
`;
  const commit = (message: string) => {
    git("add", "-A");
    git("commit", "-qm", message);
  };
  /** What diff-access --git HEAD says changed for fleet/main.policy (as JSON), once it said nothing on stderr. */
  const changesSinceHead = () => {
    const r = runCli(["diff-access", "--git", "HEAD", "fleet/main.policy", "--format", "json"], { cwd: repo });
    expect(r.stderr).toBe("");
    return JSON.parse(r.stdout).changes;
  };

  it("shows a host added to the inventory since REV as a difference", () => {
    write("fleet/main.policy", FLEET);
    write("fleet/hosts.ini", "[shell]\nweb1\n");
    commit("fleet");
    write("fleet/hosts.ini", "[shell]\nweb1\nweb2\n");
    expect(changesSinceHead()).toEqual([
      { host: "web2", scope: "sshd", effect: "change", text: "service sshd is new on web2 (PAM service sshd, 1 access list)" },
    ]);
  });

  it("reads an inventory of REV that is no longer on disk", () => {
    write("fleet/main.policy", FLEET);
    write("fleet/hosts.ini", "[shell]\nweb1\nweb2\n");
    commit("fleet");
    rmSync(join(repo, "fleet/hosts.ini"));
    write("fleet/main.policy", FLEET.replace("hosts.ini", "now.ini"));
    write("fleet/now.ini", "[shell]\nweb1\n");
    expect(changesSinceHead()).toEqual([
      {
        host: "web2",
        scope: "sshd",
        effect: "change",
        text: "service sshd is no longer in the policy on web2: /etc/pam.d/sshd is the host's again",
      },
    ]);
  });

  it("follows an inventory's symbolic link as it was in REV, not as it is on disk", () => {
    write("fleet/main.policy", FLEET);
    write("fleet/inv/a.ini", "[shell]\nweb1\n");
    write("fleet/inv/b.ini", "[shell]\nweb1\nweb2\n");
    symlinkSync("inv/a.ini", join(repo, "fleet/hosts.ini"));
    commit("link to a");
    // Today the link points at b.ini: web2 is new since HEAD.
    rmSync(join(repo, "fleet/hosts.ini"));
    symlinkSync("inv/b.ini", join(repo, "fleet/hosts.ini"));
    expect(changesSinceHead()).toEqual([
      { host: "web2", scope: "sshd", effect: "change", text: "service sshd is new on web2 (PAM service sshd, 1 access list)" },
    ]);
    // Today hosts.ini is a regular file; in HEAD it was a link to a.ini.
    rmSync(join(repo, "fleet/hosts.ini"));
    write("fleet/hosts.ini", "[shell]\nweb1\nweb3\n");
    expect(changesSinceHead()).toEqual([
      { host: "web3", scope: "sshd", effect: "change", text: "service sshd is new on web3 (PAM service sshd, 1 access list)" },
    ]);
  });

  it("refuses an inventory or include of REV that leaves the policy's folder through a link, saying so as on disk (only that folder is read from REV)", () => {
    write("fleet/main.policy", FLEET);
    write("outside.ini", "[shell]\nweb1\n");
    symlinkSync("../outside.ini", join(repo, "fleet/hosts.ini"));
    commit("link out");
    rmSync(join(repo, "fleet/hosts.ini"));
    write("fleet/hosts.ini", "[shell]\nweb1\n");
    const r = runCli(["diff-access", "--git", "HEAD", "fleet/main.policy"], { cwd: repo });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /^HEAD:\.\/fleet\/main\.policy:2:11: error PC1040: Cannot read inventory hosts\.ini: it is outside HEAD:\.\/fleet, the policy's folder\./,
    );
    // The same link as an include is refused alike.
    write("fleet/main.policy", FLEET.replace('inventory "hosts.ini";', 'include "hosts.ini";'));
    git("commit", "-qm", "include the link", "fleet/main.policy"); // hosts.ini stays the link in HEAD
    const i = runCli(["diff-access", "--git", "HEAD", "fleet/main.policy"], { cwd: repo });
    expect(i.stderr).toMatch(
      /^HEAD:\.\/fleet\/main\.policy:2:9: error PC1012: Cannot include "hosts\.ini": includes must stay inside HEAD:\.\/fleet, the folder of the policy given on the command line\./,
    );
  });

  it.each([
    ["an absolute path outside the repository", () => "/etc/passwd"],
    ["a path up past the repository's top", () => "../".repeat(40) + "etc/passwd"],
    ["an absolute path into the repository, outside the folder", () => join(repo, "outside.ini")],
  ])("says a link of REV to %s is outside the folder, as the disk says of the same link", (_what, target) => {
    write("fleet/main.policy", FLEET);
    write("outside.ini", "[shell]\nweb1\n");
    symlinkSync(target(), join(repo, "fleet/hosts.ini"));
    commit("link out");
    const onDisk = runCli(["check", "fleet/main.policy"], { cwd: repo });
    expect(onDisk.stderr).toMatch(
      /^fleet\/main\.policy:2:11: error PC1040: Cannot read inventory hosts\.ini: it is outside fleet, the policy's folder\./,
    );
    rmSync(join(repo, "fleet/hosts.ini"));
    const r = runCli(["diff-access", "--git", "HEAD", "fleet/main.policy"], { cwd: repo });
    expect(r.stderr).toBe(onDisk.stderr.replace(/fleet/g, "HEAD:./fleet").replace(/\npolicyc: .*\n$/, "\n"));
  });

  it("says an include path of REV that climbs out of the folder (no link) is outside it, as on disk", () => {
    write("fleet/main.policy", FLEET.replace('inventory "hosts.ini";', 'include "../outside.policy";'));
    write("outside.policy", "users a = root;\n");
    commit("include out");
    const r = runCli(["diff-access", "--git", "HEAD", "fleet/main.policy"], { cwd: repo });
    expect(r.stderr).toMatch(
      /^HEAD:\.\/fleet\/main\.policy:2:9: error PC1012: Cannot include "\.\.\/outside\.policy": includes must stay inside HEAD:\.\/fleet, /,
    );
  });

  it("a link of REV that goes no further than a missing file is no such file, as on disk", () => {
    write("fleet/main.policy", FLEET);
    symlinkSync("../gone/hosts.ini", join(repo, "fleet/hosts.ini"));
    commit("dangling link");
    const r = runCli(["diff-access", "--git", "HEAD", "fleet/main.policy"], { cwd: repo });
    expect(r.stderr).toMatch(/^HEAD:\.\/fleet\/main\.policy:2:11: error PC1040: Cannot read inventory hosts\.ini: no such file\./);
  });

  it("reads from REV a link to an absolute path inside the folder, and one that leaves the folder and comes back", () => {
    write("fleet/main.policy", FLEET.replace('inventory "hosts.ini";', 'inventory "hosts.ini";\ninclude "lists.policy";'));
    write("fleet/inv/a.ini", "[shell]\nweb1\n");
    write("fleet/l.policy", "users a = root;\n");
    symlinkSync(join(repo, "fleet/inv/a.ini"), join(repo, "fleet/hosts.ini"));
    symlinkSync("../fleet/l.policy", join(repo, "fleet/lists.policy"));
    commit("links");
    write("fleet/inv/a.ini", "[shell]\nweb1\nweb2\n");
    expect(changesSinceHead()).toEqual([
      { host: "web2", scope: "sshd", effect: "change", text: "service sshd is new on web2 (PAM service sshd, 1 access list)" },
    ]);
  });
});
