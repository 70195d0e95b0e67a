import { existsSync } from "node:fs";
import { appendFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UNSHARE } from "./platform.js";
import { ExecResult, exec, sq } from "./process.js";

// ---------------------------------------------------------------------------
// The /etc sandbox
// ---------------------------------------------------------------------------

/** A test account, added to the sandbox's passwd/shadow/group only. */
export interface TestUser {
  name: string;
  /** Default: allocated from 61000 up. */
  uid?: number;
  /** Login shell. Default /bin/bash; '' leaves the field empty (pam_listfile then reads /bin/sh). */
  shell?: string;
  /** Supplementary groups (created when missing). The primary group is a new group named like the user. */
  groups?: string[];
}

/** A test group, added to the sandbox's group/gshadow only. */
export interface TestGroup {
  name: string;
  gid?: number;
  members?: string[];
}

/** Options for {@link createSandbox}. */
export interface SandboxOptions {
  users?: readonly TestUser[];
  groups?: readonly TestGroup[];
  /**
   * /etc paths removed from the copy BEFORE the tree is laid over it, so that
   * the host's own files cannot stand in for files the tree should provide.
   */
  scrub?: readonly string[];
  /**
   * Directories mirroring /etc laid over the copy after `scrub` and BEFORE the
   * tree (stand-ins for another platform's files; the tree wins).
   */
  overlays?: readonly string[];
  /** /etc paths made root:root (recursively, setgid bit dropped) after the tree is laid over the copy. */
  rootOwned?: readonly string[];
}

/**
 * The files the compiler owns for sendmail; removed from the /etc copy before
 * the tree is laid over it (the host's Debian defaults must not leak in).
 */
export const SENDMAIL_SCRUB = [
  "/etc/mail/sendmail.mc",
  "/etc/mail/sendmail.cf",
  "/etc/mail/access",
  "/etc/mail/access.db",
  "/etc/mail/local-host-names",
  "/etc/mail/relay-domains",
  "/etc/mail/sasl/Sendmail.conf.2",
  "/etc/sasldb2",
] as const;

/**
 * A private copy of /etc with a tree laid over it. `root` is a 0700 temp dir
 * holding `etc/` (bind-mounted on /etc by {@link Sandbox.run}) and `run/`
 * (scratch space visible at the same path inside the namespace).
 */
export interface Sandbox {
  root: string;
  etc: string;
  run: string;
  /** Run a bash script with the copy bind-mounted on /etc, in a fresh private mount (and PID) namespace. */
  sh(script: string, timeoutMs?: number): Promise<ExecResult>;
  /** Remove the temp dir. Idempotent. */
  cleanup(): Promise<void>;
}

let nextId = 61000;

/** Make a temp dir under the OS temp dir; the caller removes it. */
export function makeTempDir(prefix = "policyc-e2e-"): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/**
 * Copy /etc into a temp dir, remove `scrub` paths, lay `overlays` and then
 * `tree/etc` over it (modes kept, owner root), make `rootOwned` root's, then
 * add the test groups and users to the copy. Rejects if the tree has anything
 * but `etc/` (and the compiler's `.policyc/` metadata, which is not laid
 * over) at its top: nothing else could be laid over the host hermetically.
 */
export async function createSandbox(tree: string, opts: SandboxOptions = {}): Promise<Sandbox> {
  const top = await readdir(tree);
  // .policyc/ is the compiler's build metadata (manifest), not a file for the host.
  const extra = top.filter((n) => n !== "etc" && n !== ".policyc");
  if (extra.length > 0) throw new Error(`e2e: tree ${tree} has top-level entries other than etc/: ${extra.join(", ")}`);

  const root = await makeTempDir();
  const etc = join(root, "etc");
  const run = join(root, "run");
  try {
    await mkdir(run, { mode: 0o700 });
    const c = await exec("cp", ["-a", "/etc", etc], { timeoutMs: 30_000 });
    if (c.code !== 0) throw new Error(`e2e: cp -a /etc failed: ${c.stderr}`);
    for (const p of opts.scrub ?? []) {
      if (!p.startsWith("/etc/")) throw new Error(`e2e: scrub path outside /etc: ${p}`);
      await rm(join(root, p), { force: true, recursive: true });
    }
    for (const dir of opts.overlays ?? []) {
      const o = await exec("cp", ["-R", "--preserve=mode,timestamps", "--no-dereference", `${dir}/.`, `${etc}/`]);
      if (o.code !== 0) throw new Error(`e2e: laying ${dir} over /etc copy failed: ${o.stderr}`);
    }
    if (existsSync(join(tree, "etc"))) {
      // Owner: root (we are root); mode and times as the compiler wrote them.
      const o = await exec("cp", ["-R", "--preserve=mode,timestamps", "--no-dereference", `${join(tree, "etc")}/.`, `${etc}/`]);
      if (o.code !== 0) throw new Error(`e2e: laying tree over /etc copy failed: ${o.stderr}`);
    }
    for (const p of opts.rootOwned ?? []) {
      if (!p.startsWith("/etc/")) throw new Error(`e2e: rootOwned path outside /etc: ${p}`);
      const c = await exec("chown", ["-R", "--no-dereference", "root:root", join(root, p)]);
      const m = await exec("chmod", ["g-s", join(root, p)]);
      if (c.code !== 0 || m.code !== 0) throw new Error(`e2e: chown root ${p} in the copy failed: ${c.stderr}${m.stderr}`);
    }
    await addAccounts(etc, opts.users ?? [], opts.groups ?? []);
  } catch (e) {
    await rm(root, { recursive: true, force: true });
    throw e;
  }

  return {
    root,
    etc,
    run,
    sh: (script, timeoutMs = 30_000) => runInNamespace(etc, script, timeoutMs),
    cleanup: async () => {
      if (process.env.E2E_KEEP === "1") console.warn(`e2e: E2E_KEEP=1, keeping ${root}`);
      else await rm(root, { recursive: true, force: true });
    },
  };
}

/** Bash preamble: private namespace already entered; mount the copy on /etc. */
export function preamble(etcCopy: string): string {
  return ["set -u", `mount --bind ${sq(etcCopy)} /etc || { echo "e2e: mount --bind failed" >&2; exit 97; }`, ""].join("\n");
}

/**
 * Run one bash script inside a private mount (and PID) namespace
 * (`unshare -m --propagation private ...`), with `etcCopy` bind-mounted on
 * /etc. One namespace per call: batch many checks in one script for speed.
 * The mounts and any leftover processes vanish when the script exits.
 */
export function runInNamespace(etcCopy: string, script: string, timeoutMs = 30_000): Promise<ExecResult> {
  return exec("unshare", [...UNSHARE, "bash", "-c", preamble(etcCopy) + script], { timeoutMs });
}

export async function addAccounts(etc: string, users: readonly TestUser[], groups: readonly TestGroup[]): Promise<void> {
  const read = async (f: string) => (existsSync(join(etc, f)) ? await readFile(join(etc, f), "utf8") : "");
  const names = (text: string) =>
    new Set(
      text
        .split("\n")
        .filter(Boolean)
        .map((l) => l.split(":")[0]),
    );
  const passwd = names(await read("passwd"));
  const groupLines = (await read("group")).split("\n").filter(Boolean);
  const gshadowLines = (await read("gshadow")).split("\n").filter(Boolean);
  const hasGshadow = existsSync(join(etc, "gshadow"));

  const groupIndex = (name: string) => groupLines.findIndex((l) => l.split(":")[0] === name);
  const ensureGroup = (name: string, gid?: number): number => {
    const i = groupIndex(name);
    if (i >= 0) return Number(groupLines[i]!.split(":")[2]);
    const id = gid ?? nextId++;
    groupLines.push(`${name}:x:${id}:`);
    gshadowLines.push(`${name}:!::`);
    return id;
  };
  const addMember = (group: string, user: string) => {
    const i = groupIndex(group);
    const f = groupLines[i]!.split(":");
    const members = f[3] ? f[3].split(",") : [];
    if (!members.includes(user)) members.push(user);
    f[3] = members.join(",");
    groupLines[i] = f.join(":");
    const j = gshadowLines.findIndex((l) => l.split(":")[0] === group);
    if (j >= 0) {
      const g = gshadowLines[j]!.split(":");
      g[3] = f[3];
      gshadowLines[j] = g.join(":");
    }
  };

  for (const g of groups) {
    ensureGroup(g.name, g.gid);
  }
  const pw: string[] = [];
  const sh: string[] = [];
  const today = Math.floor(Date.now() / 86_400_000);
  for (const u of users) {
    if (!/^[a-z_][a-z0-9_.-]*$/.test(u.name)) throw new Error(`e2e: bad test user name ${u.name}`);
    if (passwd.has(u.name)) throw new Error(`e2e: test user ${u.name} already exists in /etc/passwd`);
    const uid = u.uid ?? nextId++;
    const gid = ensureGroup(u.name, uid);
    const shell = u.shell ?? "/bin/bash";
    if (/[:\n]/.test(shell)) throw new Error(`e2e: bad shell for test user ${u.name}: ${JSON.stringify(shell)}`);
    pw.push(`${u.name}:x:${uid}:${gid}:e2e test user:/nonexistent:${shell}`);
    sh.push(`${u.name}:*:${today - 1}:0:99999:7:::`);
    passwd.add(u.name);
  }
  for (const u of users) {
    for (const g of u.groups ?? []) {
      ensureGroup(g);
      addMember(g, u.name);
    }
  }
  for (const g of groups) for (const m of g.members ?? []) addMember(g.name, m);

  if (pw.length) await appendFile(join(etc, "passwd"), pw.join("\n") + "\n");
  if (sh.length) await appendFile(join(etc, "shadow"), sh.join("\n") + "\n");
  await writeFile(join(etc, "group"), groupLines.join("\n") + "\n");
  if (hasGshadow) await writeFile(join(etc, "gshadow"), gshadowLines.join("\n") + "\n");
}
