/**
 * README "Deploying a fleet with Ansible": the shipped role
 * (ansible/roles/policyc_deploy) run by the real ansible-playbook
 * (ansible-core, connection local) against two hosts of a fleet policy,
 * mx1 and shell1. Each host is a private root on this machine: a plain
 * folder holding a copy of /etc (with test users), given to the role as
 * policyc_root. The role's checks, and this test's own, run the real
 * pamtester and sendmail -bt with that copy bind-mounted on /etc in a
 * private mount and UTS namespace (policyc_run_prefix), so the deployed
 * files are what PAM and sendmail read. Few runs, several assertions each:
 * 1. deploy: files as the manifest says, the policy's expect assertions
 *    (OUT/.policyc/checks.json) checked on each host besides the variables', folders' modes (setgid /etc/mail)
 *    unchanged, pamtester and sendmail -bt behave as the policy says,
 *    sendmail reloaded (handler) only where mail files changed;
 * 2. again: changed=0, no reload;
 * 3. --check --diff with a build that drops mx1's imapd: changes nothing;
 * 4. that build deployed: imapd's files are gone, nothing else;
 * 5. the rollback play: the last backup is back (imapd's files too);
 * 6. a build with alice hand-removed from mx1's ssh list: the policy's
 *    break-glass assertion fails (mx1 has no PAM check variables), the role rolls back, mx1 keeps its previous files; in the
 *    same run mx2 (deployed for the first time) gets a .mc that m4 warns
 *    about: validation stops before anything on mx2 changes.
 * Steps 1-5 run on mx1 and shell1 only (--limit), to keep the test short.
 */
import { spawnSync } from "node:child_process";
import {
  appendFileSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, runCli, tempDir } from "../helpers.js";
import { requireTools, skipBanner } from "./stack.js";

const missing = requireTools([
  "ansible-playbook",
  "pamtester",
  "sendmail",
  "makemap",
  "m4",
  "mount-namespace",
  "file:/usr/share/sendmail/cf/m4/cf.m4",
]);
if (missing.length > 0) console.warn(skipBanner("Ansible role e2e (real ansible-playbook)", missing));
const run = missing.length > 0 ? describe.skip : describe;

const HOSTS = ["mx1", "shell1"] as const;
/** Runs a command with ROOT/etc as /etc and a qualified host name, in private namespaces: as the host would. */
const PREFIX = [
  "unshare",
  "-m",
  "-u",
  "--propagation",
  "private",
  "sh",
  "-c",
  'mount --bind "$0/etc" /etc && hostname "$1" && shift && exec "$@"',
];
const PATH = `${process.env.PATH}:/usr/sbin:/sbin`;

let dir = "";
const root = (h: string) => join(dir, "hosts", h);

function inHost(h: string, args: string[], input = ""): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(PREFIX[0]!, [...PREFIX.slice(1), root(h), `${h}.example.test`, ...args], {
    input,
    encoding: "utf8",
    env: { ...process.env, PATH },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function pam(h: string, service: string, user: string, items: string[] = []): "allow" | "deny" | "error" {
  const r = inHost(h, ["pamtester", ...items.flatMap((i) => ["-I", i]), service, user, "acct_mgmt"]);
  if (r.status === 0) return "allow";
  return /Error in service module/.test(r.stdout + r.stderr) ? "error" : "deny";
}

function relay(h: string, client: string): "accepted" | "refused" | string {
  const script = [
    `.D{client_addr}${client}`,
    ".D{client_name}c.example.org",
    ".D{client_resolve}OK",
    ".D{auth_type}",
    ".Df",
    ".D{mail_from}<>",
    "check_rcpt <someone@example.org>",
    "",
  ].join("\n");
  const r = inHost(h, ["sendmail", "-bt", "-C", "/etc/mail/sendmail.cf", "-O", "DontProbeInterfaces=true"], script);
  const answer = /check_rcpt\s+returns:(.*)/.exec(r.stdout)?.[1];
  if (answer === undefined) return `no answer: ${r.stdout} ${r.stderr}`;
  return /\$#\s*(error|discard)/.test(answer) ? "refused" : "accepted";
}

function playbook(
  book: string,
  out: string,
  extra: string[] = [],
): { status: number | null; output: string; recap: Record<string, Record<string, number>> } {
  // Steps 1-5 run on mx1 and shell1 only; "--all" lifts that.
  const limit = extra.includes("--all") ? [] : ["--limit", "mx1,shell1"];
  const args = [...limit, ...extra.filter((a) => a !== "--all")];
  const r = spawnSync(
    "ansible-playbook",
    ["-i", join(dir, "inventory.yml"), join(ROOT, "ansible", book), "-e", `policyc_out=${out}`, ...args],
    {
      cwd: dir,
      encoding: "utf8",
      env: {
        ...process.env,
        PATH,
        HOME: dir,
        ANSIBLE_ROLES_PATH: join(ROOT, "ansible/roles"),
        ANSIBLE_LOCAL_TEMP: join(dir, "ansible-tmp"),
        ANSIBLE_REMOTE_TMP: join(dir, "ansible-tmp"),
        ANSIBLE_PIPELINING: "True",
        ANSIBLE_NOCOLOR: "1",
        ANSIBLE_RETRY_FILES_ENABLED: "False",
        ANSIBLE_DEPRECATION_WARNINGS: "False",
      },
      timeout: 170_000,
    },
  );
  const output = r.stdout + r.stderr;
  const recap: Record<string, Record<string, number>> = {};
  for (const m of output.matchAll(/^(\S+)\s+: ((?:\w+=\d+\s*)+)$/gm)) {
    recap[m[1]!] = Object.fromEntries([...m[2]!.matchAll(/(\w+)=(\d+)/g)].map((x) => [x[1]!, Number(x[2])]));
  }
  return { status: r.status, output, recap };
}

/** Every path under a host's root: mode, owner, and a file's bytes. */
function snapshot(h: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = lstatSync(p);
      out.set(
        relative(root(h), p),
        `${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid} ${st.isFile() ? readFileSync(p, "latin1") : ""}`,
      );
      if (st.isDirectory()) walk(p);
    }
  };
  walk(root(h));
  return out;
}

const dirModes = (h: string) =>
  ["", "etc", "etc/mail", "etc/pam.d", "etc/security"].map((d) => `${d}:${(statSync(join(root(h), d)).mode & 0o7777).toString(8)}`);

function build(name: string, edit: (policy: string) => string = (p) => p): string {
  writeFileSync(join(dir, "fleet", "fleet.policy"), edit(readFileSync(join(ROOT, "examples/fleet/fleet.policy"), "utf8")));
  const r = runCli(["build", "fleet/fleet.policy", "-o", name, "-q"], { cwd: dir });
  expect(r.status, r.stderr).toBe(0);
  return join(dir, name);
}

const withoutImapd = (p: string) => p.replace(/  service imapd \{[\s\S]*?\n  \}\n\n/, "");

run("Ansible role policyc_deploy on two private roots (real ansible-playbook, pamtester, sendmail)", () => {
  beforeAll(() => {
    dir = tempDir("policyc-ansible-");
    mkdirSync(join(dir, "ansible-tmp"));
    cpSync(join(ROOT, "examples/fleet"), join(dir, "fleet"), { recursive: true });
    for (const h of [...HOSTS, "mx2"]) {
      mkdirSync(root(h), { recursive: true, mode: 0o755 });
      cpSync("/etc", join(root(h), "etc"), { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
      // Test users, in the copy only: alice (an administrator, in wheel) and mallory (in no list but operators).
      appendFileSync(join(root(h), "etc/passwd"), "alice:x:1001:1001::/nonexistent:/bin/sh\nmallory:x:1002:1002::/nonexistent:/bin/sh\n");
      appendFileSync(join(root(h), "etc/shadow"), "alice:*:19000:0:99999:7:::\nmallory:*:19000:0:99999:7:::\n");
      appendFileSync(join(root(h), "etc/group"), "wheel:x:1500:alice\noperators:x:1600:mallory\n");
    }
    const host = (h: string, checks: string, probes: string) =>
      `    ${h}:\n      policyc_root: ${root(h)}\n      policyc_run_prefix: ${JSON.stringify([...PREFIX, root(h), `${h}.example.test`])}\n` +
      `      policyc_reload_command: "touch ${root(h)}/reloaded"\n      policyc_pam_checks: ${checks}\n      policyc_relay_probes: ${probes}\n`;
    writeFileSync(
      join(dir, "inventory.yml"),
      "all:\n  vars:\n    ansible_connection: local\n    ansible_python_interpreter: /usr/bin/python3\n  hosts:\n" +
        // mx1's PAM checks come from the policy alone (OUT/.policyc/checks.json: its expect assertions); the others add variables.
        host(
          "mx1",
          "[]",
          '[{client: 203.0.113.9, rcpt: "<someone@example.org>", expect: refused}, {client: 192.0.2.9, rcpt: "<someone@example.org>", expect: accepted}]',
        ) +
        host("shell1", "[{service: login, user: root, tty: tty1, expect: allow}]", "[]") +
        host(
          "mx2",
          "[{service: sshd, user: alice, expect: allow}]",
          '[{client: 203.0.113.9, rcpt: "<someone@example.org>", expect: refused}]',
        ),
    );
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("deploys, is idempotent, changes nothing in check mode, removes stale files, rolls back a lockout", { timeout: 300_000 }, () => {
    const modes = Object.fromEntries(HOSTS.map((h) => [h, dirModes(h)]));
    expect(modes.mx1).toContain("etc/mail:2755");
    const v1 = build("out1");
    const manifest = JSON.parse(readFileSync(join(v1, ".policyc/manifest.json"), "utf8")) as {
      files: { path: string; host: string; target: string; mode: string }[];
    };

    // 1. Deploy.
    const first = playbook("deploy.yml", v1, ["-v"]);
    expect(first.status, first.output).toBe(0);
    // The policy's assertions ran on every host after activation, besides the variables' checks.
    for (const text of ["expect allow sshd user alice groups alice, wheel;", "expect deny sshd user mallory groups mallory;"])
      expect(first.output.split(text).length - 1, text).toBeGreaterThanOrEqual(HOSTS.length);
    expect(first.output).toContain("expect refuse relay from 198.18.0.9 to victim@elsewhere.example;");
    for (const h of HOSTS) {
      expect(first.recap[h]?.failed, h).toBe(0);
      expect(dirModes(h), h).toEqual(modes[h]);
      for (const f of manifest.files.filter((x) => x.host === h)) {
        const st = statSync(join(root(h), f.target));
        expect([(st.mode & 0o7777).toString(8).padStart(4, "0"), st.uid, st.gid], f.target).toEqual([f.mode, 0, 0]);
        expect(readFileSync(join(root(h), f.target), "utf8"), f.target).toBe(readFileSync(join(v1, f.path), "utf8"));
      }
      const diff = runCli(["diff", "fleet/fleet.policy", "--root", root(h), "--host", h, "-q"], { cwd: dir });
      expect([diff.status, diff.stdout], h).toEqual([0, ""]);
    }
    expect(
      manifest.files.some((f) => f.host === "mx2" && existsSync(join(root("mx1"), f.target)) && f.target === "/etc/mail/sendmail.mc"),
    ).toBe(true);
    expect(readFileSync(join(root("mx1"), "etc/mail/sendmail.mc"), "utf8")).toBe(
      readFileSync(join(v1, "mx1/etc/mail/sendmail.mc"), "utf8"),
    );
    // The real PAM and sendmail, reading the deployed files.
    expect([
      pam("mx1", "sshd", "alice"),
      pam("mx1", "sshd", "mallory"),
      pam("mx1", "imap", "alice"),
      pam("mx1", "imap", "mallory"),
    ]).toEqual(["allow", "deny", "allow", "deny"]);
    // shell1's tty list applies to the operators group (apply @operators): mallory is one, root is not.
    expect([
      pam("shell1", "login", "mallory", ["tty=tty1"]),
      pam("shell1", "login", "mallory", ["tty=tty5"]),
      pam("shell1", "login", "root", ["tty=tty5"]),
    ]).toEqual(["allow", "deny", "allow"]);
    expect([relay("mx1", "203.0.113.9"), relay("mx1", "192.0.2.9"), relay("mx1", "198.51.100.9")]).toEqual([
      "refused",
      "accepted",
      "refused",
    ]);
    // The handler reloaded sendmail where its files changed, only there.
    expect([existsSync(join(root("mx1"), "reloaded")), existsSync(join(root("shell1"), "reloaded"))]).toEqual([true, false]);
    rmSync(join(root("mx1"), "reloaded"));

    // 2. Again: nothing changes, no reload.
    const again = playbook("deploy.yml", v1);
    expect(again.status, again.output).toBe(0);
    expect(HOSTS.map((h) => [again.recap[h]?.changed, again.recap[h]?.failed])).toEqual([
      [0, 0],
      [0, 0],
    ]);
    expect(existsSync(join(root("mx1"), "reloaded"))).toBe(false);

    // 3. --check --diff with a build that drops mx1's imapd: shows it, changes nothing.
    const v2 = build("out2", withoutImapd);
    const before = Object.fromEntries(HOSTS.map((h) => [h, snapshot(h)]));
    const check = playbook("deploy.yml", v2, ["--check", "--diff"]);
    expect(check.status, check.output).toBe(0);
    expect(check.output).toContain("/etc/imapd.acl (removed)");
    expect(check.output).toContain("/etc/pam.d/imap (removed)");
    expect(check.recap.mx1?.changed).toBeGreaterThan(0);
    for (const h of HOSTS) expect(snapshot(h), h).toEqual(before[h]);

    // 4. Deploy it: imapd's files are gone from mx1, nothing else.
    const dropped = playbook("deploy.yml", v2);
    expect(dropped.status, dropped.output).toBe(0);
    expect([existsSync(join(root("mx1"), "etc/imapd.acl")), existsSync(join(root("mx1"), "etc/pam.d/imap"))]).toEqual([false, false]);
    const afterDrop = snapshot("mx1");
    const gone = [...before.mx1!.keys()].filter((p) => !afterDrop.has(p));
    expect(gone.filter((p) => !p.startsWith("var/lib/policyc/backup"))).toEqual(["etc/imapd.acl", "etc/pam.d/imap"]);
    expect(runCli(["diff", "fleet/fleet.policy", "--root", root("mx1"), "--host", "mx1", "-q"], { cwd: dir }).status).toBe(0);
    expect(dirModes("mx1")).toEqual(modes.mx1);

    // 5. The rollback play: mx1's last backup (before step 4) comes back.
    const rollback = playbook("rollback.yml", v2, ["--all", "--limit", "mx1"]);
    expect(rollback.status, rollback.output).toBe(0);
    expect(readFileSync(join(root("mx1"), "etc/imapd.acl"), "utf8")).toBe(readFileSync(join(v1, "mx1/etc/imapd.acl"), "utf8"));
    expect(readFileSync(join(root("mx1"), "etc/pam.d/imap"), "utf8")).toBe(readFileSync(join(v1, "mx1/etc/pam.d/imap"), "utf8"));
    writeFileSync(join(dir, "fleet", "fleet.policy"), readFileSync(join(ROOT, "examples/fleet/fleet.policy"), "utf8"));
    expect(runCli(["diff", "fleet/fleet.policy", "--root", root("mx1"), "--host", "mx1", "-q"], { cwd: dir }).status).toBe(0);

    // 6. A broken build: alice's group hand-removed from mx1's ssh list. The check fails, mx1 is rolled back.
    const v3 = build("out3");
    const list = join(v3, "mx1/etc/security/ssh.groups");
    writeFileSync(list, readFileSync(list, "utf8").replace(/^wheel\n/m, ""));
    const mc = join(v3, "mx2/etc/mail/sendmail.mc");
    writeFileSync(mc, readFileSync(mc, "utf8") + "define(`unfinished'\n");
    const kept = snapshot("mx1");
    const stock = snapshot("mx2");
    const mx2Modes = dirModes("mx2");
    const locked = playbook("deploy.yml", v3, ["--all"]);
    expect(locked.status).not.toBe(0);
    expect(locked.recap.mx1?.failed).toBe(1);
    expect(locked.recap.shell1?.failed).toBe(0);
    expect(locked.output).toContain("the host was rolled back to its files before this run");
    // The check that failed is the policy's own assertion, named with its line (mx1 has no PAM check variables).
    expect(locked.output).toContain(
      "expect allow sshd user alice groups alice, wheel; (fleet/fleet.policy:67; pamtester sshd alice acct_mgmt) " +
        "[the assertion assumes groups alice, wheel; pamtester ran with the host's account]: deny, expected allow",
    );
    const now = snapshot("mx1");
    for (const [p, v] of kept) if (!p.startsWith("var/lib/policyc/backup")) expect(now.get(p), p).toBe(v);
    expect(pam("mx1", "sshd", "alice")).toBe("allow");
    expect(dirModes("mx1")).toEqual(modes.mx1);
    expect(locked.recap.mx2?.failed).toBe(1);
    expect(locked.output).toContain("the new mail files of mx2 do not validate");
    expect(snapshot("mx2")).toEqual(stock);
    expect(dirModes("mx2")).toEqual(mx2Modes);
  });
});
