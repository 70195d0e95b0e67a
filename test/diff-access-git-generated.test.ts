import fc from "fast-check";
import { spawnSync } from "node:child_process";
import { lstatSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, tempDir } from "./helpers.js";

/**
 * README "The old version from git: diff-access --git" and "Hosts from an
 * inventory": `diff-access --git REV POLICY` reads REV's policy, includes
 * and inventory (not today's), and changes nothing in the working tree or
 * the index. Generated git histories: each commit, and then the working tree
 * (changes staged or not), is a state of a fleet folder: an inventory named
 * by the policy (`hosts.ini`, `inv/a.ini`, `inv/b.yml`, or `link.ini`, a
 * symbolic link to one of them whose target changes), whose groups (the
 * roles `shell` and `imap`, and `ops` with no role) hold hosts added and
 * removed, and an included list file whose entries change. REV is a commit
 * by HEAD~N, its id or a tag. The oracle checks REV out into a temporary
 * folder (git archive | tar, links kept) and runs `diff-access OLD NEW` on
 * the two folders: the same exit status and the same changes, gains, losses
 * and others in the JSON; with errors (an inventory that REV does not have),
 * the same codes at the same lines and columns. Runs the built CLI.
 */
const HOSTS = ["web1", "web2", "web3", "db1", "db2"];
const GROUPS = ["shell", "imap", "ops"] as const;
const INVENTORIES = ["hosts.ini", "inv/a.ini", "inv/b.yml", "link.ini"] as const;
const TARGETS = ["hosts.ini", "inv/a.ini", "inv/b.yml"] as const;

interface State {
  inventory: (typeof INVENTORIES)[number];
  linkTo: (typeof TARGETS)[number];
  /** The hosts of each group, per inventory file (each file has its own). */
  files: Record<(typeof TARGETS)[number], Record<(typeof GROUPS)[number], string[]>>;
  admins: string[];
  mailers: string[];
  /** Drop one inventory file from this state (a move: it is gone, another is named). */
  drop: (typeof TARGETS)[number] | null;
  /** Drop it even when the policy names it (directly or through link.ini): PC1040 in that version. */
  loseNamed: boolean;
}

const groupsArb = fc.record({
  shell: fc.subarray(HOSTS),
  imap: fc.subarray(HOSTS),
  ops: fc.subarray(HOSTS, { maxLength: 2 }),
});
const stateArb: fc.Arbitrary<State> = fc.record({
  inventory: fc.constantFrom(...INVENTORIES),
  linkTo: fc.constantFrom(...TARGETS),
  files: fc.record({ "hosts.ini": groupsArb, "inv/a.ini": groupsArb, "inv/b.yml": groupsArb }),
  admins: fc.subarray(["root", "alice", "bob", "carol"], { minLength: 1 }),
  mailers: fc.subarray(["alice", "dave", "erin"], { minLength: 1 }),
  drop: fc.option(fc.constantFrom(...TARGETS), { freq: 3 }),
  loseNamed: fc.nat(5).map((n) => n === 0),
});
const historyArb = fc.record({
  commits: fc.array(stateArb, { minLength: 1, maxLength: 4 }),
  worktree: stateArb,
  // The working tree as REV has it, or with REV's inventory moved to another name (no change in access either way).
  worktreeKind: fc.constantFrom("drawn", "drawn", "as REV", "moved"),
  moveTo: fc.constantFrom(...TARGETS),
  staged: fc.boolean(),
  rev: fc.nat(3),
  revSpelling: fc.constantFrom("HEAD~N", "id", "tag"),
  fromFleet: fc.boolean(),
});

const POLICY = (inventory: string) => `platform debian;
include "lists.policy";
inventory "${inventory}";
role shell {
  service sshd {
    acl user allow "/etc/ssh.users" { entries $admins; }
  }
}
role imap {
  service imapd {
    pam imap;
    acl user allow "/etc/imapd.acl" { entries $mailers; }
  }
}
`;

function ini(groups: Record<string, string[]>): string {
  return Object.entries(groups)
    .map(([g, hs]) => `[${g}]\n${hs.map((h) => `${h} ansible_host=${h}.example.net\n`).join("")}`)
    .join("\n");
}
function yaml(groups: Record<string, string[]>): string {
  const body = Object.entries(groups)
    .map(([g, hs]) => `    ${g}:\n` + (hs.length ? `      hosts:\n${hs.map((h) => `        ${h}:\n`).join("")}` : "      hosts: {}\n"))
    .join("");
  return `all:\n  children:\n${body}`;
}

function writeState(fleet: string, s: State): void {
  rmSync(fleet, { recursive: true, force: true });
  mkdirSync(join(fleet, "inv"), { recursive: true });
  writeFileSync(join(fleet, "main.policy"), POLICY(s.inventory));
  writeFileSync(join(fleet, "lists.policy"), `users admins = ${s.admins.join(", ")};\nusers mailers = ${s.mailers.join(", ")};\n`);
  for (const t of TARGETS) {
    if (t === s.drop && (s.loseNamed || (s.inventory !== t && !(s.inventory === "link.ini" && s.linkTo === t)))) continue;
    writeFileSync(join(fleet, t), t.endsWith(".yml") ? yaml(s.files[t]) : ini(s.files[t]));
  }
  if (s.inventory === "link.ini" || s.drop === null) symlinkSync(s.linkTo, join(fleet, "link.ini"));
}

interface Doc {
  changes?: unknown[];
  gains?: number;
  losses?: number;
  others?: number;
  diagnostics?: { code: string; severity: string; message: string; location: { file: string; line: number; column: number } | null }[];
}

describe("diff-access --git REV on generated histories", () => {
  it("answers as diff-access on REV checked out into a folder and the working tree; leaves the tree and index alone", () => {
    const runs = Number(process.env.POLICYC_PROPERTY_RUNS ?? 40);
    const seen = new Map<string, number>();
    fc.assert(
      fc.property(historyArb, (h) => {
        const repo = tempDir("policyc-git-gen-");
        try {
          const outcome = check(repo, h);
          seen.set(outcome, (seen.get(outcome) ?? 0) + 1);
        } finally {
          rmSync(repo, { recursive: true, force: true });
        }
      }),
      { numRuns: runs, seed: Number(process.env.POLICYC_PROPERTY_SEED ?? 20261207), endOnFailure: true },
    );
    console.log("diff-access --git outcomes:", Object.fromEntries(seen));
    for (const o of ["changes", "no change"]) expect(seen.get(o) ?? 0, o).toBeGreaterThan(0);
  }, 600_000);
});

type History = typeof historyArb extends fc.Arbitrary<infer T> ? T : never;

function check(repo: string, h: History): string {
  const git = (...args: string[]) => {
    const r = spawnSync("git", args, { cwd: repo, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
    return r.stdout;
  };
  git("init", "-q");
  git("config", "user.email", "t@example.test");
  git("config", "user.name", "t");
  const fleet = join(repo, "fleet");
  const ids: string[] = [];
  h.commits.forEach((s, i) => {
    writeState(fleet, s);
    git("add", "-A");
    git("commit", "-qm", `state ${i}`, "--allow-empty");
    ids.push(git("rev-parse", "HEAD").trim());
    git("tag", `t${i}`);
  });
  const back = h.rev % h.commits.length; // commits back from HEAD
  const index = h.commits.length - 1 - back;
  const then = h.commits[index]!;
  const named = then.inventory === "link.ini" ? then.linkTo : then.inventory;
  const moved: State = {
    ...then,
    inventory: h.moveTo,
    drop: named === h.moveTo ? null : named,
    files: { ...then.files, [h.moveTo]: then.files[named] },
  };
  writeState(fleet, h.worktreeKind === "drawn" ? h.worktree : h.worktreeKind === "as REV" ? then : moved);
  if (h.staged) git("add", "-A");
  const rev = h.revSpelling === "HEAD~N" ? `HEAD~${back}` : h.revSpelling === "id" ? ids[index]! : `t${index}`;

  // The oracle: REV checked out into a folder of its own.
  const old = join(repo, "..", `${repo.split("/").pop()}-old`);
  mkdirSync(old);
  try {
    const tar = spawnSync("sh", ["-c", `git archive ${rev} fleet | tar -x -C "${old}"`], { cwd: repo, encoding: "utf8" });
    expect(tar.status, tar.stderr).toBe(0);
    const status = git("status", "--porcelain");
    const indexBytes = readFileSync(join(repo, ".git/index"));
    const cwd = h.fromFleet ? fleet : repo;
    const policy = h.fromFleet ? "main.policy" : "fleet/main.policy";
    const viaGit = runCli(["diff-access", "--git", rev, policy, "--format", "json"], { cwd });
    const viaFolders = runCli(["diff-access", join(old, "fleet/main.policy"), policy, "--format", "json"], { cwd });
    const label = `${JSON.stringify(h)}\nrev ${rev}\n--git: ${viaGit.status}\n${viaGit.stdout}\n${viaGit.stderr}\nfolders: ${viaFolders.status}\n${viaFolders.stdout}\n${viaFolders.stderr}`;
    expect(viaGit.status, label).toBe(viaFolders.status);
    const a = JSON.parse(viaGit.stdout) as Doc;
    const b = JSON.parse(viaFolders.stdout) as Doc;
    // The old version's files are named REV:./PATH (PATH from the current folder), as `git show` takes them.
    const gitName = (file: string | undefined) =>
      file?.startsWith(old + "/") ? `${rev}:./${relative(cwd, join(repo, file.slice(old.length + 1)))}` : file;
    const shape = (d: Doc, name: (f: string | undefined) => string | undefined) => ({
      changes: d.changes,
      gains: d.gains,
      losses: d.losses,
      others: d.others,
      diagnostics: (d.diagnostics ?? []).map((x) => [
        x.code,
        x.severity,
        x.message,
        name(x.location?.file),
        x.location?.line,
        x.location?.column,
      ]),
    });
    expect(
      shape(a, (f) => f),
      label,
    ).toEqual(shape(b, gitName));
    // Nothing in the working tree or the index changed.
    expect(git("status", "--porcelain"), label).toBe(status);
    expect(readFileSync(join(repo, ".git/index")).equals(indexBytes), label).toBe(true);
    expect(lstatSync(fleet).isDirectory()).toBe(true);
    return viaGit.status !== 0
      ? `exit ${viaGit.status} ${[...new Set((a.diagnostics ?? []).map((d) => d.code))].join(" ")}`
      : (a.changes?.length ?? 0) > 0
        ? "changes"
        : "no change";
  } finally {
    rmSync(old, { recursive: true, force: true });
  }
}
