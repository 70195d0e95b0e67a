/**
 * End-to-end harness: runs compiled policyc trees against the REAL Linux-PAM
 * (via pamtester) and the REAL sendmail (m4 + sendmail -bD + swaks).
 *
 * A "tree" is a directory that mirrors a host's root and today holds only
 * `etc/...` (pam.d files, pam_listfile lists, /etc/mail files).
 *
 * Nothing here touches the real /etc: every run copies /etc into a private
 * temp dir, lays the tree over the copy, adds test users to the COPY, and
 * bind-mounts the copy on /etc inside a private mount namespace
 * (`unshare -m --propagation private`, plus a PID namespace so nothing
 * outlives a run). sendmail and its SMTP clients also get a private NETWORK
 * namespace (`unshare -n`): the daemon binds the generated DaemonPortOptions
 * as they are (ports 25, 587, ... are free there), and test client addresses
 * (relay networks) are added to that namespace's lo, never to the host's
 * interfaces. Needs root (or CAP_SYS_ADMIN).
 *
 * Platforms: a tree for Red Hat is run on this Debian machine with the few
 * stand-ins Debian lacks (Red Hat-like pam.d/system-auth and password-auth
 * from fixtures/redhat/, Red Hat's cf.m4 path mapped to Debian's, the SASL
 * config where Debian's sendmail reads it, /etc/mail root-owned); see
 * {@link pamCases} and {@link startSendmail}.
 *
 * This module defines no test cases; see stack-suite.ts and *.e2e.test.ts.
 * Debugging: E2E_KEEP=1 keeps the sandboxes (their paths are printed).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, readlinkSync } from "node:fs";
import { appendFile, chmod, copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The platforms policyc targets; Red Hat trees get stand-ins for what Debian lacks. */
export type Platform = "debian" | "redhat";

/** Files a platform's trees rely on that this Debian host lacks, laid over the /etc copy (fixtures/<platform>/ mirrors /etc). */
export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "fixtures");

/** The command that installs everything this harness needs (Debian). */
export const INSTALL_COMMAND = "bash scripts/install-e2e-deps.sh";

/** Tools the PAM half needs. */
export const PAM_TOOLS = ["unshare", "mount", "pamtester", "mount-namespace"] as const;

/**
 * Tools the sendmail half needs. swaks needs the two Perl modules for
 * DIGEST-MD5 (Debian: libauthen-sasl-perl, libdigest-hmac-perl); CRAM-MD5
 * works without them.
 */
export const SMTP_TOOLS = [
  "unshare",
  "mount",
  "mount-namespace",
  "net-namespace",
  "nsenter",
  "ip",
  "m4",
  "sendmail",
  "makemap",
  "saslpasswd2",
  "swaks",
  "timeout",
  "perl:Authen::SASL",
  "perl:Digest::HMAC_MD5",
  "file:/usr/share/sendmail/cf/m4/cf.m4",
] as const;

const SEARCH_PATH = [...(process.env.PATH ?? "").split(":").filter(Boolean), "/usr/local/sbin", "/usr/sbin", "/sbin"];

/** PATH given to every command we run (sendmail tools live in /usr/sbin). */
const RUN_ENV: NodeJS.ProcessEnv = { ...process.env, PATH: [...new Set(SEARCH_PATH)].join(":"), LC_ALL: "C" };

/**
 * `unshare` arguments: a private mount namespace (for the /etc bind mount)
 * and a PID namespace whose init is our script. When that init exits the
 * kernel kills and reaps everything left inside (no orphaned sendmail
 * children), and --kill-child SIGKILLs the init if unshare itself dies.
 */
const UNSHARE = ["-m", "--propagation", "private", "-p", "--fork", "--mount-proc", "--kill-child=SIGKILL"];

function hasTool(name: string): boolean {
  if (name.startsWith("perl:")) {
    return runSync("perl", [`-M${name.slice(5)}`, "-e", "1"]) === 0;
  }
  if (name.startsWith("file:")) return existsSync(name.slice(5));
  if (name === "mount-namespace") {
    // Root (or CAP_SYS_ADMIN) and a kernel that allows private mount and PID namespaces.
    return SEARCH_PATH.some((d) => existsSync(join(d, "unshare"))) && runSync("unshare", [...UNSHARE, "true"]) === 0;
  }
  if (name === "net-namespace") {
    return SEARCH_PATH.some((d) => existsSync(join(d, "unshare"))) && runSync("unshare", [...UNSHARE, "-n", "true"]) === 0;
  }
  return SEARCH_PATH.some((d) => existsSync(join(d, name)));
}

function runSync(cmd: string, args: string[]): number | null {
  // Synchronous on purpose: requireTools is called while vitest collects tests.
  const r = spawnSync(cmd, args, { env: RUN_ENV, stdio: "ignore", timeout: 10_000 });
  return r.error ? null : r.status;
}

/**
 * Check that the given tools exist. Names are executables looked up in PATH
 * plus /usr/sbin and /sbin, or `perl:Module::Name` (a Perl module), or
 * `file:/abs/path`, or `mount-namespace` (can we create the private
 * mount + PID namespaces here: needs root), or `net-namespace` (the same
 * plus a private network namespace).
 *
 * - With env CI=true, any missing tool THROWS (so the test file fails).
 * - Otherwise returns the list of missing tools (empty when all present), so
 *   the suite can skip its tests and say so loudly (see {@link skipBanner}).
 */
export function requireTools(names: readonly string[]): string[] {
  const missing = [...new Set(names)].filter((n) => !hasTool(n));
  if (missing.length > 0 && process.env.CI === "true") {
    throw new Error(`e2e: missing tools with CI=true: ${missing.join(", ")}. Install them with: ${INSTALL_COMMAND} (as root)`);
  }
  return missing;
}

/** A loud multi-line message saying which tests are skipped and how to fix it. */
export function skipBanner(what: string, missing: readonly string[]): string {
  const line = "!".repeat(78);
  return [
    line,
    `!! SKIPPED: ${what}`,
    `!! missing: ${missing.join(", ")}`,
    `!! install: ${INSTALL_COMMAND}   (as root; needs root to run, too)`,
    `!! with CI=true these tests FAIL instead of being skipped`,
    line,
  ].join("\n");
}

// ---------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------

/** Result of a finished command. */
export interface ExecResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/**
 * Run a command to completion, with a hard timeout (SIGKILL to the child we
 * started). Never rejects for a non-zero exit: callers look at `code`.
 */
export function exec(
  cmd: string,
  args: readonly string[],
  opts: { input?: string; timeoutMs?: number; cwd?: string } = {},
): Promise<ExecResult> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: RUN_ENV, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
    child.stdin.on("error", () => {});
    child.stdin.end(opts.input ?? "");
  });
}

/** Single-quote a string for bash. */
export function sq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

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
function preamble(etcCopy: string): string {
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

async function addAccounts(etc: string, users: readonly TestUser[], groups: readonly TestGroup[]): Promise<void> {
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

// ---------------------------------------------------------------------------
// PAM
// ---------------------------------------------------------------------------

/** What pamtester reported: allowed, refused, or a broken/errored stack. */
export type PamResult = "allow" | "deny" | "error";

/** How to break a list file for one case (restored after the case). */
export type FileState = "missing" | "world-writable" | "symlink";

/** One `pamtester SERVICE USER acct_mgmt` run. */
export interface PamCase {
  user: string;
  rhost?: string;
  tty?: string;
  ruser?: string;
  /** Break this file (an /etc path) for this case only. */
  file?: { path: string; state: FileState };
}

/** A case's outcome with pamtester's own words. */
export interface PamCaseResult {
  case: PamCase;
  result: PamResult;
  /** pamtester's output (stdout+stderr). */
  output: string;
  exitCode: number;
}

/**
 * Classify pamtester output: "account management done" is allow; PAM
 * refusals (PAM_AUTH_ERR, PAM_PERM_DENIED, PAM_USER_UNKNOWN,
 * PAM_ACCT_EXPIRED, PAM_NEW_AUTHTOK_REQD) are deny; anything else
 * (PAM_SERVICE_ERR "Error in service module", missing module, ...) is error.
 * Note: pam_listfile with onerr=fail returns PAM_SERVICE_ERR on a missing
 * file, so a missing list is 'error' (a refusal all the same).
 */
export function classifyPamtester(output: string): PamResult {
  if (/account management done/.test(output)) return "allow";
  if (
    /Authentication failure|Permission denied|User not known|User account has expired|Authentication token is no longer valid|Authentication token expired/.test(
      output,
    )
  )
    return "deny";
  return "error";
}

/**
 * Run every case as `pamtester [-I rhost=..] [-I tty=..] [-I ruser=..] SERVICE USER acct_mgmt`
 * in ONE namespace, against `tree` laid over a copy of /etc with `users`
 * and `groups` added. Cases with `file` break that list file first and
 * restore it afterwards, so cases stay independent.
 *
 * Platform redhat: the tree's pam.d files `include system-auth` /
 * `password-auth`, which Debian does not have; fixtures/redhat/pam.d/ holds
 * Red Hat-like ones (RHEL's authselect "minimal" profile) and is laid over
 * the copy first.
 */
export async function pamCases(
  tree: string,
  service: string,
  cases: readonly PamCase[],
  opts: SandboxOptions & { timeoutMs?: number; platform?: Platform } = {},
): Promise<PamCaseResult[]> {
  if (!/^[A-Za-z0-9._-]+$/.test(service)) throw new Error(`e2e: bad PAM service name ${service}`);
  const fixtures = join(FIXTURES, opts.platform ?? "debian");
  const overlays = [...(existsSync(fixtures) ? [fixtures] : []), ...(opts.overlays ?? [])];
  const sb = await createSandbox(tree, { ...opts, overlays });
  try {
    const lines: string[] = [];
    cases.forEach((c, i) => {
      const args: string[] = [];
      if (c.rhost !== undefined) args.push("-I", `rhost=${c.rhost}`);
      if (c.tty !== undefined) args.push("-I", `tty=${c.tty}`);
      if (c.ruser !== undefined) args.push("-I", `ruser=${c.ruser}`);
      args.push(service, c.user, "acct_mgmt");
      const bak = join(sb.run, `bak.${i}`);
      let breakIt = "";
      let restore = "";
      if (c.file) {
        const p = c.file.path;
        // Safety: only ever touch the copy (anything under /etc inside the namespace).
        if (!p.startsWith("/etc/") || p.includes("/../")) throw new Error(`e2e: file to break must be under /etc: ${p}`);
        const P = sq(p);
        const B = sq(bak);
        switch (c.file.state) {
          case "missing":
            breakIt = `[ -e ${P} ] && mv -- ${P} ${B}`;
            restore = `[ -e ${B} ] && mv -- ${B} ${P}`;
            break;
          case "world-writable":
            breakIt = `m=$(stat -c %a ${P}); chmod o+w ${P}`;
            restore = `chmod "$m" ${P}`;
            break;
          case "symlink":
            breakIt = `mv -- ${P} ${B} && ln -s ${B} ${P}`;
            restore = `rm -f ${P}; mv -- ${B} ${P}`;
            break;
        }
      }
      lines.push(`echo "@@BEGIN ${i}"`, breakIt, `timeout 15 pamtester ${args.map(sq).join(" ")} 2>&1; echo "@@END ${i} $?"`, restore);
    });
    const r = await sb.sh(lines.join("\n") + "\n", opts.timeoutMs ?? 60_000);
    if (r.timedOut) throw new Error(`e2e: pamtester batch timed out\n${r.stdout}\n${r.stderr}`);
    if (r.code === 97) throw new Error(`e2e: could not bind-mount the /etc copy: ${r.stderr}`);
    return cases.map((c, i) => {
      const m = new RegExp(`@@BEGIN ${i}\\n([\\s\\S]*?)@@END ${i} (\\d+)`).exec(r.stdout);
      if (!m) throw new Error(`e2e: no result for PAM case ${i}\n${r.stdout}\n${r.stderr}`);
      const output = m[1]!.trim();
      return { case: c, result: classifyPamtester(output), output, exitCode: Number(m[2]) };
    });
  } finally {
    await sb.cleanup();
  }
}

// ---------------------------------------------------------------------------
// sendmail
// ---------------------------------------------------------------------------

/** Output of expanding a .mc with the real m4. */
export interface M4Result {
  cf: string;
  stderr: string;
  exitCode: number | null;
  /** "*** WARNING"/"*** ERROR" lines found in stdout or stderr. */
  problems: string[];
}

/** Where each platform's sendmail-cf keeps cf.m4 (the generated .mc includes it by this absolute path). */
export const CF_M4: Record<Platform, string> = {
  debian: "/usr/share/sendmail/cf/m4/cf.m4",
  redhat: "/usr/share/sendmail-cf/m4/cf.m4",
};

/**
 * The .mc text m4 is given on this Debian host. Debian trees: unchanged.
 * Red Hat trees include Red Hat's cf.m4 path, which Debian's sendmail-cf does
 * not have: the ONE line `include(\`/usr/share/sendmail-cf/m4/cf.m4')dnl` is
 * rewritten to Debian's path (same sendmail-cf macros, another directory;
 * cf.m4 derives _CF_DIR_ from its own path). Nothing else is touched, and a
 * Red Hat .mc without exactly that line is refused: then the tree would not
 * build on Red Hat either.
 */
export function mcForHost(mc: string, platform: Platform = "debian"): string {
  if (platform === "debian") return mc;
  const line = (path: string) => `include(\`${path}')dnl`;
  const lines = mc.split("\n");
  const hits = lines.filter((l) => l === line(CF_M4.redhat)).length;
  if (hits !== 1) {
    throw new Error(`e2e: a Red Hat sendmail.mc must have exactly one line ${line(CF_M4.redhat)} (found ${hits})`);
  }
  return lines.map((l) => (l === line(CF_M4.redhat) ? line(CF_M4.debian) : l)).join("\n");
}

/** Expand `mcPath` with the real m4 (the .mc must include cf.m4 itself; see {@link mcForHost} for Red Hat). */
export async function expandMc(mcPath: string, platform: Platform = "debian"): Promise<M4Result> {
  const text = mcForHost(await readFile(mcPath, "utf8"), platform);
  const r = await exec("m4", [], { input: text, timeoutMs: 20_000 });
  const problems = `${r.stdout}\n${r.stderr}`.split("\n").filter((l) => /\*\*\* (WARNING|ERROR)/.test(l));
  return { cf: r.stdout, stderr: r.stderr, exitCode: r.code, problems };
}

/** A SASL account created in the test sasldb. */
export interface SaslAccount {
  user: string;
  realm: string;
  password: string;
}

/** Options for {@link startSendmail}. */
export interface SendmailOptions {
  /** Canonical host name given to the test host by the test hosts file (127.0.1.1). */
  hostName: string;
  /** The tree's platform (default debian); see {@link startSendmail}. */
  platform?: Platform;
  /** Accounts to create with saslpasswd2 in the sasldb the generated SASL config names. */
  saslAccounts?: readonly SaslAccount[];
  /**
   * The /etc/aliases to use when the tree has none (the host's may be empty,
   * as on this Debian image). Default: a minimal RFC 5321 baseline
   * (`postmaster: root`). null keeps the host's.
   */
  aliases?: string | null;
  /** Extra hosts-file entries `ip name...` (the client 127.0.0.2 client.example.test is always there). */
  extraHosts?: readonly string[];
  /** Addresses the server listens on (DaemonPortOptions Addr=): added to the namespace's lo BEFORE the daemon starts. */
  serverAddresses?: readonly string[];
  /**
   * Client addresses (relay-network probes): added to the namespace's lo AFTER
   * the daemon listens, each with a hosts-file name. sendmail counts the
   * addresses of its own interfaces at start-up as local (class w) and lets
   * them relay; a client's address is not the server's.
   */
  clientAddresses?: readonly string[];
  /** The socket to wait on for the 220 greeting (default 127.0.0.1:25). */
  greetSocket?: { port: number; address?: string };
  /**
   * TLS files to create in the /etc copy before the daemon starts, at the
   * paths the policy names (`tls certificate/key/ca/ca-path`): a throwaway
   * self-signed certificate for the host name (made with openssl), its key
   * (0600), the CA file (the same certificate) and the CA folder (holding it
   * under its hash name). Like the SASL accounts, these are what the policy
   * expects to be deployed next to the generated files; the daemon reads
   * them only through the generated cf. Paths must be under /etc.
   * Needs {@link TLS_TOOLS}.
   */
  tlsFiles?: TlsFiles;
  /**
   * Start saslauthd -a pam (Cyrus SASL's password daemon, sasl2-bin) in the
   * daemon's namespaces before sendmail, for trees with `auth backend
   * saslauthd`: the system accounts are added to the /etc copy (useradd,
   * chpasswd), saslauthd's socket is made in the temp dir, and the SASL
   * config gets a `saslauthd_path` line pointing there (the generated
   * config leaves the distribution's default, /var/run/saslauthd/mux, which
   * the harness cannot own). saslauthd then checks each AUTH password
   * with the PAM stack of the service sendmail names, i.e. the tree's
   * /etc/pam.d/smtp. Its debug output (-d) is in {@link Sendmail.log}.
   */
  saslauthd?: { users: readonly { name: string; password: string }[] };
  /** Max lifetime of the daemon (watchdog; default 600 s). */
  maxLifetimeSeconds?: number;
  /** How long to wait for the 220 greeting (default 20 s). */
  startTimeoutMs?: number;
}

/** The SMTP client identity used by the probes (resolvable via the test hosts file). */
export const CLIENT = { ip: "127.0.0.2", name: "client.example.test", from: "tester@client.example.test" } as const;

/** The hosts-file name of a test client address (so that its PTR lookup succeeds: a refusal is then never a DNS one). */
export function clientHostName(address: string): string {
  return `c-${address.replace(/[.:]/g, "-")}.clients.e2e.test`;
}

/** A running test sendmail. */
export interface Sendmail {
  /** PID of our child `unshare` (the daemon runs inside its PID and network namespaces). */
  pid: number;
  /** The daemon's network namespace (`/proc/PID/ns/net`): probes run in it with nsenter. */
  netns: string;
  /** m4's expansion of the tree's sendmail.mc (stderr must be empty). */
  m4: M4Result;
  sandbox: Sandbox;
  /** Output of the setup steps (makemap, newaliases, saslpasswd2) and of the daemon. */
  log(): string;
  /**
   * SIGTERM the daemon (by pid: the PID namespace's init, timeout(1), which
   * forwards it to sendmail), wait for it (SIGKILL after 10 s; the kernel
   * then kills everything left in the namespace), remove the temp dir.
   */
  stop(): Promise<void>;
}

/** Parse `key: value` lines of a Cyrus SASL application config file. */
export function parseSaslConf(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^\s*([A-Za-z0-9_]+)\s*:\s*(.*?)\s*$/.exec(line);
    if (m && !line.trimStart().startsWith("#")) out[m[1]!] = m[2]!;
  }
  return out;
}

/** Maps the harness builds with `makemap hash` when the tree has their source. */
const HASH_MAPS = ["access", "mailertable", "virtusertable", "genericstable", "domaintable", "authinfo"];

/** Where each platform's sendmail reads its Cyrus SASL config (/etc paths). */
export const SASL_CONF: Record<Platform, string> = {
  debian: "/etc/mail/sasl/Sendmail.conf.2",
  redhat: "/etc/sasl2/Sendmail.conf",
};

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** The net namespace of a process, refusing our own (nothing may touch the host's network). */
function foreignNetns(pid: number): string {
  const path = `/proc/${pid}/ns/net`;
  const theirs = readlinkSync(path);
  if (theirs === readlinkSync("/proc/self/ns/net")) throw new Error(`e2e: pid ${pid} is in the host's network namespace; refusing`);
  return path;
}

/**
 * Start the real sendmail on the tree, in private mount, PID and network namespaces:
 * 1. sandbox: copy of /etc, {@link SENDMAIL_SCRUB} removed, tree laid over;
 *    Red Hat trees: /etc/mail made root-owned (Red Hat's is; Debian's is
 *    smmta's, which Debian's template trusts with confTRUSTED_USER) and the
 *    tree's /etc/sasl2/Sendmail.conf copied to /etc/mail/sasl/Sendmail.conf.2,
 *    where Debian's sendmail reads it (/usr/lib/sasl2/Sendmail.conf links there);
 * 2. m4 (see {@link mcForHost}) TREE/etc/mail/sendmail.mc -> /etc/mail/sendmail.cf
 *    in the copy (rejects if m4 exits non-zero; warnings are returned in `m4`);
 * 3. test /etc/hosts (`127.0.1.1 HOSTNAME realhostname`, the client, the
 *    client addresses) and a service.switch with `hosts files` (no DNS, no
 *    60 s hostname sleep);
 * 4. inside the namespace: lo up plus the server addresses, makemap hash for
 *    the maps the tree has, aliases db (sendmail -bi), saslpasswd2 for each
 *    account at the sasldb_path of the tree's SASL config (default
 *    /etc/sasldb2; must be under /etc);
 * 5. `exec timeout LIFETIME sendmail -bD -C /etc/mail/sendmail.cf` with the
 *    cf's OWN DaemonPortOptions, plus queue, pid, status, dead-letter and
 *    control-socket paths in the temp dir and no host-status dir;
 * 6. waits for the 220 greeting, then adds the client addresses to lo.
 */
export async function startSendmail(tree: string, opts: SendmailOptions): Promise<Sendmail> {
  const platform = opts.platform ?? "debian";
  const mc = join(tree, "etc/mail/sendmail.mc");
  if (!existsSync(mc)) throw new Error(`e2e: ${mc} does not exist`);
  const scrub = [...SENDMAIL_SCRUB, SASL_CONF.redhat];
  const sb = await createSandbox(tree, { scrub, rootOwned: platform === "redhat" ? ["/etc/mail"] : [] });
  let child: ChildProcess | undefined;
  try {
    const m4 = await expandMc(join(sb.etc, "mail/sendmail.mc"), platform);
    if (m4.exitCode !== 0) throw new Error(`e2e: m4 exited ${m4.exitCode}:\n${m4.stderr}`);
    await writeFile(join(sb.etc, "mail/sendmail.cf"), m4.cf, { mode: 0o644 });

    const saslConf = join(sb.root, SASL_CONF[platform]);
    if (platform !== "debian" && existsSync(saslConf)) {
      await mkdir(join(sb.root, dirname(SASL_CONF.debian)), { recursive: true });
      await copyFile(saslConf, join(sb.root, SASL_CONF.debian));
    }

    const clients = (opts.clientAddresses ?? []).filter((a) => a !== CLIENT.ip);
    for (const a of [...clients, ...(opts.serverAddresses ?? [])]) {
      if (!IPV4.test(a)) throw new Error(`e2e: only IPv4 test addresses are supported: ${a}`);
    }
    const hosts = [
      "127.0.0.1 localhost",
      `127.0.1.1 ${opts.hostName} ${hostname()}`,
      `${CLIENT.ip} ${CLIENT.name}`,
      ...clients.map((a) => `${a} ${clientHostName(a)}`),
      ...(opts.extraHosts ?? []),
    ];
    await rm(join(sb.etc, "hosts"), { force: true });
    await writeFile(join(sb.etc, "hosts"), hosts.join("\n") + "\n", { mode: 0o644 });
    const sw = join(sb.run, "service.switch");
    await writeFile(sw, "hosts\tfiles\naliases\tfiles\npasswd\tfiles\n", { mode: 0o644 });

    const setup: string[] = ["set -e", `cd ${sq(sb.run)}`, "ip link set lo up"];
    for (const a of opts.serverAddresses ?? []) if (!a.startsWith("127.")) setup.push(`ip addr add ${sq(`${a}/32`)} dev lo`);
    for (const m of HASH_MAPS) {
      if (existsSync(join(tree, "etc/mail", m))) setup.push(`makemap hash /etc/mail/${m} < /etc/mail/${m}`);
    }
    if (!existsSync(join(tree, "etc/aliases")) && opts.aliases !== null) {
      await rm(join(sb.etc, "aliases"), { force: true });
      await writeFile(join(sb.etc, "aliases"), opts.aliases ?? "postmaster: root\nMAILER-DAEMON: postmaster\n", { mode: 0o644 });
    }
    const common = [`-O`, `ServiceSwitchFile=${sw}`, "-O", "HostStatusDirectory=", "-O", `StatusFile=${join(sb.run, "sendmail.st")}`];
    setup.push(`sendmail -bi -C /etc/mail/sendmail.cf ${common.map(sq).join(" ")} >/dev/null`);

    const confPath = join(sb.root, SASL_CONF.debian);
    const conf = existsSync(confPath) ? parseSaslConf(readFileSync(confPath, "utf8")) : {};
    const sasldb = conf.sasldb_path ?? "/etc/sasldb2";
    if ((opts.saslAccounts ?? []).length > 0) {
      if (!sasldb.startsWith("/etc/")) {
        throw new Error(`e2e: sasldb_path ${sasldb} is outside /etc; the harness can only create it inside the /etc copy`);
      }
      for (const a of opts.saslAccounts ?? []) {
        setup.push(`printf '%s\\n' ${sq(a.password)} | saslpasswd2 -p -c -f ${sq(sasldb)} -u ${sq(a.realm)} ${sq(a.user)}`);
      }
    }

    if (opts.tlsFiles) await createTlsFiles(sb.root, opts.tlsFiles, opts.hostName);

    if (opts.saslauthd) {
      const dir = join(sb.run, "saslauthd");
      await mkdir(dir, { mode: 0o755 });
      await appendFile(confPath, `saslauthd_path: ${join(dir, "mux")}\n`);
      for (const u of opts.saslauthd.users) {
        if (!/^[a-z][a-z0-9_-]*$/.test(u.name) || /[:\n]/.test(u.password)) throw new Error(`e2e: bad test account ${u.name}`);
        setup.push(`useradd -M -s /usr/sbin/nologin ${sq(u.name)}`, `printf '%s:%s\\n' ${sq(u.name)} ${sq(u.password)} | chpasswd`);
      }
      setup.push(
        `saslauthd -a pam -m ${sq(dir)} -n 1 -d 2>&1 &`,
        `for i in $(seq 100); do [ -S ${sq(join(dir, "mux"))} ] && break; sleep 0.1; done`,
        `[ -S ${sq(join(dir, "mux"))} ] || { echo "e2e: saslauthd made no socket" >&2; exit 96; }`,
      );
    }

    const qdir = join(sb.run, "mqueue");
    await mkdir(qdir, { mode: 0o700 });
    await chmod(qdir, 0o700);
    const daemonArgs = [
      "-bD",
      "-C",
      "/etc/mail/sendmail.cf",
      "-O",
      `QueueDirectory=${qdir}`,
      "-O",
      `PidFile=${join(sb.run, "sendmail.pid")}`,
      "-O",
      `DeadLetterDrop=${join(sb.run, "dead.letter")}`,
      // Debian's DOMAIN(debian-mta) puts a control socket in /var/run/sendmail/mta: keep it in the temp dir.
      "-O",
      `ControlSocketName=${join(sb.run, "smcontrol")}`,
      ...common,
    ];
    setup.push(`exec timeout -s TERM ${opts.maxLifetimeSeconds ?? 600} sendmail ${daemonArgs.map(sq).join(" ")}`);

    let log = "";
    let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    const exitedP = new Promise<void>((resolve) => {
      child = spawn("unshare", [...UNSHARE, "-n", "bash", "-c", preamble(sb.etc) + setup.join("\n") + "\n"], {
        env: RUN_ENV,
        stdio: ["ignore", "pipe", "pipe"],
      });
      child.stdout!.setEncoding("utf8").on("data", (d: string) => (log += d));
      child.stderr!.setEncoding("utf8").on("data", (d: string) => (log += d));
      child.on("exit", (code, signal) => {
        exited = { code, signal };
        resolve();
      });
      child.on("error", (e) => {
        log += `spawn error: ${e.message}\n`;
        exited = { code: null, signal: null };
        resolve();
      });
    });
    const pid = child!.pid!;
    // If the test process exits without stop(): SIGKILL unshare; --kill-child takes the namespace down.
    const onExit = () => {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        /* already gone */
      }
    };
    process.once("exit", onExit);

    let stopped = false;
    const stop = async () => {
      if (stopped) return;
      stopped = true;
      process.removeListener("exit", onExit);
      if (!exited) {
        // SIGTERM the namespace's init (timeout(1), which forwards it to sendmail and
        // waits for it); unshare exits when the namespace is gone.
        const init = nsInitPid(pid);
        try {
          process.kill(init ?? pid, "SIGTERM");
        } catch {
          /* gone */
        }
        const t = await Promise.race([exitedP.then(() => "ok"), sleep(10_000).then(() => "late")]);
        if (t === "late") {
          try {
            process.kill(pid, "SIGKILL"); // --kill-child SIGKILLs the namespace init
          } catch {
            /* gone */
          }
          await Promise.race([exitedP, sleep(5_000)]);
        }
      }
      await sb.cleanup();
    };

    let netns = "";
    try {
      netns = await waitForNetns(pid, () => exited !== undefined);
      await waitForGreeting(netns, pid, opts.greetSocket ?? { port: 25 }, opts.startTimeoutMs ?? 20_000, () => exited !== undefined);
      for (const a of clients) {
        if (a.startsWith("127.")) continue; // all of 127/8 is on lo already
        const r = await exec("nsenter", [`--net=${foreignNetns(pid)}`, "ip", "addr", "add", `${a}/32`, "dev", "lo"]);
        if (r.code !== 0) throw new Error(`ip addr add ${a} in the test namespace failed: ${r.stderr}`);
      }
    } catch (e) {
      await stop();
      throw new Error(`e2e: sendmail did not start: ${(e as Error).message}\n--- setup/daemon output ---\n${log}${diagnose(log)}`);
    }
    return { pid, netns, m4, sandbox: sb, log: () => log, stop };
  } catch (e) {
    if (!child) await sb.cleanup();
    throw e;
  }
}

/** The PID (in our namespace) of the forked child of `unshare --fork` (the namespace's init). */
function nsInitPid(unsharePid: number): number | undefined {
  try {
    const kids = readFileSync(`/proc/${unsharePid}/task/${unsharePid}/children`, "utf8").trim().split(/\s+/);
    const n = Number(kids[0]);
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** Wait until `unshare` has entered its new network namespace (it unshares before it forks the script). */
async function waitForNetns(pid: number, dead: () => boolean): Promise<string> {
  for (let i = 0; i < 100; i++) {
    if (dead()) throw new Error("daemon exited before listening");
    try {
      return foreignNetns(pid);
    } catch {
      await sleep(20);
    }
  }
  throw new Error("unshare never entered a new network namespace");
}

/** Explain known setup failures in terms of the generated files. */
function diagnose(log: string): string {
  if (/makemap: error opening .* Permission denied/.test(log)) {
    return (
      "\n--- hint ---\nOn Debian /etc/mail is owned by smmta:smmsp (package default, kept in the /etc copy)." +
      " makemap (as root) only writes there when the cf trusts that owner: the .mc needs" +
      " define(`confTRUSTED_USER', `smmta') or DOMAIN(`debian-mta') (O TrustedUser=smmta)."
    );
  }
  return "";
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

/** Poll, inside the daemon's network namespace, until the socket sends an SMTP 220 greeting (then QUIT), or time out. */
async function waitForGreeting(
  netns: string,
  pid: number,
  socket: { port: number; address?: string },
  timeoutMs: number,
  dead: () => boolean,
): Promise<void> {
  const addr = socket.address ?? "127.0.0.1";
  if (!IPV4.test(addr) || !Number.isInteger(socket.port)) throw new Error(`e2e: bad greeting socket ${addr}:${socket.port}`);
  const script = [
    `end=$(( $(date +%s) + ${Math.ceil(timeoutMs / 1000)} ))`,
    'while [ "$(date +%s)" -lt "$end" ]; do',
    `  [ -d /proc/${pid} ] || { echo "daemon exited"; exit 2; }`,
    `  if exec 3<>/dev/tcp/${addr}/${socket.port}; then`,
    "    line=; IFS= read -r -t 5 line <&3 || true",
    "    printf 'QUIT\\r\\n' >&3 || true",
    "    exec 3<&- 3>&-",
    '    case "$line" in 220*) echo "$line"; exit 0;; esac',
    '    echo "last: $line"',
    "  fi 2>/dev/null",
    "  sleep 0.1",
    "done",
    "exit 1",
  ].join("\n");
  const r = await exec("nsenter", [`--net=${netns}`, "bash", "-c", script], { timeoutMs: timeoutMs + 5_000 });
  if (r.code === 0) return;
  if (dead()) throw new Error("daemon exited before listening");
  throw new Error(
    `no 220 greeting on ${addr}:${socket.port} within ${timeoutMs} ms (${(r.stdout + r.stderr).trim().split("\n").pop() ?? ""})`,
  );
}

// ---------------------------------------------------------------------------
// SMTP probes (swaks)
// ---------------------------------------------------------------------------

/** One SMTP reply: code, enhanced status (when given), and the text after them. */
export interface SmtpReply {
  code: number;
  enhanced: string | null;
  text: string;
}

/** A probe: MAIL FROM the test client, RCPT TO `to`, optionally after AUTH. */
export interface SmtpProbe {
  to: string;
  from?: string;
  auth?: { mechanism: string; user: string; password: string };
  /** The socket to connect to (default 127.0.0.1:25). */
  socket?: { port: number; address?: string };
  /** The client's source address (default {@link CLIENT}.ip, 127.0.0.2: not local, so relaying rules apply). */
  client?: string;
}

/** What swaks saw. Missing replies are null (the session stopped earlier). */
export interface ProbeResult {
  /** AUTH mechanisms from the EHLO reply (empty when none offered). */
  ehloAuth: string[];
  auth: SmtpReply | null;
  mail: SmtpReply | null;
  rcpt: SmtpReply | null;
  transcript: string;
  exitCode: number | null;
}

/**
 * Run swaks inside the daemon's network namespace, from the client address,
 * up to RCPT (`--quit-after RCPT`), and parse the replies.
 */
export async function smtpProbe(server: Pick<Sendmail, "netns">, probe: SmtpProbe): Promise<ProbeResult> {
  return swaks(server, probe, "RCPT");
}

/** Tools {@link startSendmail} with `tlsFiles` and {@link smtpSession} with `tls` need. */
export const TLS_TOOLS = ["openssl"] as const;

/** Where the policy says the TLS files are on the host (absolute paths). */
export interface TlsFiles {
  certificate: string;
  key: string;
  ca?: string;
  caPath?: string;
}

/** Create a throwaway certificate, key and CA file/folder at `files` inside the sandbox root (see SendmailOptions.tlsFiles). */
async function createTlsFiles(root: string, files: TlsFiles, hostName: string): Promise<void> {
  const inEtc = (p: string) => {
    if (!p.startsWith("/etc/") || p.split("/").includes(".."))
      throw new Error(`e2e: TLS path ${p} is outside /etc; the harness can only create it inside the /etc copy`);
    return join(root, p);
  };
  const cert = inEtc(files.certificate);
  const key = inEtc(files.key);
  for (const f of [cert, key]) await mkdir(dirname(f), { recursive: true, mode: 0o755 });
  await rm(cert, { force: true });
  await rm(key, { force: true });
  const r = await exec("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    key,
    "-out",
    cert,
    "-days",
    "2",
    "-subj",
    `/CN=${hostName}`,
  ]);
  if (r.code !== 0) throw new Error(`e2e: openssl could not make a test certificate: ${r.stderr}`);
  await chmod(key, 0o600);
  await chmod(cert, 0o644);
  if (files.ca) {
    const ca = inEtc(files.ca);
    await mkdir(dirname(ca), { recursive: true, mode: 0o755 });
    await rm(ca, { force: true });
    await copyFile(cert, ca);
    await chmod(ca, 0o644);
  }
  if (files.caPath) {
    const dir = inEtc(files.caPath);
    await mkdir(dir, { recursive: true, mode: 0o755 });
    const h = await exec("openssl", ["x509", "-noout", "-hash", "-in", cert]);
    if (h.code !== 0) throw new Error(`e2e: openssl x509 -hash failed: ${h.stderr}`);
    const named = join(dir, `${h.stdout.trim()}.0`);
    await rm(named, { force: true });
    await copyFile(cert, named);
    await chmod(named, 0o644);
  }
}

/** One SMTP session of {@link smtpSession}: the final reply to each command sent (null: none). */
export interface SessionResult {
  /** The commands actually sent (continuations are left out when the reply before was not 334), with their final replies. */
  steps: Array<{ command: string; reply: SmtpReply | null }>;
  /** AUTH mechanisms of the last EHLO reply in the session (after STARTTLS when `tls`). */
  ehloAuth: string[];
  /** The last EHLO reply listed STARTTLS. */
  ehloStarttls: boolean;
  transcript: string;
  exitCode: number | null;
}

/**
 * A raw SMTP session, for what swaks will not do: send AUTH for a mechanism
 * the server did not advertise, or run over STARTTLS without Perl's TLS
 * modules. Plain: a small Perl client (core IO::Socket::INET) from the
 * client address; `tls`: `openssl s_client -starttls smtp -bind CLIENT`
 * (it sends its own EHLO and STARTTLS), synchronised with a NOOP. Each
 * command waits for its final reply; a command starting with `+` is an AUTH
 * continuation, sent (without the `+`) only when the reply before was 334.
 */
export async function smtpSession(
  server: Pick<Sendmail, "netns">,
  p: { socket?: { port: number; address?: string }; client?: string; tls?: boolean; commands: readonly string[] },
): Promise<SessionResult> {
  const addr = p.socket?.address ?? "127.0.0.1";
  const port = String(p.socket?.port ?? 25);
  const client = p.client ?? CLIENT.ip;
  for (const c of p.commands) if (/[\r\n]/.test(c)) throw new Error(`e2e: SMTP command with a line break: ${JSON.stringify(c)}`);
  const args = p.tls
    ? ["bash", "-c", TLS_SESSION, "smtp-tls", addr, port, client, CLIENT.name, ...p.commands]
    : ["perl", "-e", PLAIN_SESSION, addr, port, client, ...p.commands];
  const r = await exec("nsenter", [`--net=${server.netns}`, ...args], { timeoutMs: 60_000 });
  if (r.timedOut) throw new Error(`e2e: SMTP session timed out\n${r.stdout}${r.stderr}`);
  const transcript = r.stdout + r.stderr;
  return { ...parseSession(r.stdout), transcript, exitCode: r.code };
}

/** Perl: connect from ARGV[2], read the greeting, send each command and print its reply lines. */
const PLAIN_SESSION = String.raw`
use strict; use IO::Socket::INET;
$| = 1;
my ($server, $port, $local, @cmds) = @ARGV;
my $s = IO::Socket::INET->new(PeerAddr => $server, PeerPort => $port, LocalAddr => $local, Proto => 'tcp', Timeout => 15)
  or do { print "*** connect: $!\n"; exit 2 };
sub reply { my $code = '';
  while (defined(my $l = <$s>)) { $l =~ s/\r?\n$//; print "<- $l\n"; if ($l =~ /^(\d{3}) /) { $code = $1; last } }
  print "*** no reply\n" if $code eq '';
  return $code }
my $last = reply();
for my $c (@cmds) {
  if ($c =~ s/^\+//) { next unless $last eq '334' }
  print " -> $c\n"; print $s "$c\r\n"; $last = reply();
  last if $last eq '';
}
close $s;
`;

/** Bash: openssl s_client does EHLO + STARTTLS; a NOOP marks where the TLS session's replies start. */
const TLS_SESSION = `
set -u
server=$1 port=$2 local=$3 helo=$4; shift 4
err=$(mktemp)
trap 'rm -f "$err"' EXIT
coproc C { exec openssl s_client -quiet -verify_quiet -starttls smtp -name "$helo" -bind "$local:0" -connect "$server:$port" 2>"$err"; }
in=\${C[0]} out=\${C[1]} pid=$C_PID
reply() { local l; last=
  while IFS= read -r -t 15 -u "$in" l; do l=\${l%$'\\r'}; echo "<- $l"
    case $l in [0-9][0-9][0-9]' '*) last=\${l:0:3}; return 0;; esac
  done; echo "*** no reply"; return 1; }
printf 'NOOP\\r\\n' >&"$out"
ok=
while IFS= read -r -t 15 -u "$in" l; do case \${l%$'\\r'} in '250 2.0.0 OK'*) ok=1; break;; esac; done
if [ -z "$ok" ]; then echo "*** no TLS session"; cat "$err"; kill "$pid" 2>/dev/null; exit 2; fi
echo "=== TLS session started"
last=250
for c in "$@"; do
  case $c in +*) [ "$last" = 334 ] || continue; c=\${c#+};; esac
  echo " -> $c"; printf '%s\\r\\n' "$c" >&"$out"
  reply || break
done
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
exit 0
`;

/** Parse a {@link smtpSession} transcript (` -> CMD` and `<- REPLY` lines). */
export function parseSession(t: string): Pick<SessionResult, "steps" | "ehloAuth" | "ehloStarttls"> {
  const steps: SessionResult["steps"] = [];
  let ehloAuth: string[] = [];
  let ehloStarttls = false;
  let current: SessionResult["steps"][number] | undefined;
  let inEhlo = false;
  for (const line of t.split("\n")) {
    const cmd = /^ -> (.*)$/.exec(line);
    if (cmd) {
      current = { command: cmd[1]!, reply: null };
      steps.push(current);
      inEhlo = /^EHLO\b/i.test(cmd[1]!);
      if (inEhlo) {
        ehloAuth = [];
        ehloStarttls = false;
      }
      continue;
    }
    const m = /^<-\s+(\d{3})([ -])(.*)$/.exec(line);
    if (!m) continue;
    if (inEhlo && m[1] === "250") {
      const auth = /^AUTH[ =](.*)$/.exec(m[3]!);
      if (auth) ehloAuth = auth[1]!.trim().split(/\s+/);
      if (/^STARTTLS\b/.test(m[3]!)) ehloStarttls = true;
    }
    if (m[2] === " " && current) {
      const e = /^(\d\.\d{1,3}\.\d{1,3})\s+(.*)$/.exec(m[3]!);
      current.reply = { code: Number(m[1]), enhanced: e ? e[1]! : null, text: e ? e[2]! : m[3]! };
    }
  }
  return { steps, ehloAuth, ehloStarttls };
}

/** AUTH commands for {@link smtpSession}: PLAIN with an initial response, LOGIN as continuations. */
export function authCommands(mechanism: string, user: string, password: string): string[] {
  const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
  if (mechanism === "PLAIN") return [`AUTH PLAIN ${b64(`\0${user}\0${password}`)}`];
  if (mechanism === "LOGIN") return ["AUTH LOGIN", `+${b64(user)}`, `+${b64(password)}`];
  throw new Error(`e2e: smtpSession cannot authenticate with ${mechanism} (only PLAIN and LOGIN)`);
}

/** The AUTH mechanisms offered in the EHLO reply to a non-local client. */
export async function ehloAuthMechanisms(server: Pick<Sendmail, "netns">, p: Pick<SmtpProbe, "socket" | "client"> = {}): Promise<string[]> {
  const r = await swaks(server, { ...p, to: `postmaster@${CLIENT.name}` }, "EHLO");
  if (!r.transcript.includes("250")) throw new Error(`e2e: no EHLO reply\n${r.transcript}`);
  return r.ehloAuth;
}

async function swaks(server: Pick<Sendmail, "netns">, p: SmtpProbe, quitAfter: "RCPT" | "EHLO"): Promise<ProbeResult> {
  const args = [
    `--net=${server.netns}`,
    "swaks",
    "--server",
    p.socket?.address ?? "127.0.0.1",
    "--port",
    String(p.socket?.port ?? 25),
    "--local-interface",
    p.client ?? CLIENT.ip,
    "--helo",
    CLIENT.name,
    "--from",
    p.from ?? CLIENT.from,
    "--to",
    p.to,
    "--quit-after",
    quitAfter,
    "--timeout",
    "15",
  ];
  if (p.auth) args.push("--auth", p.auth.mechanism, "--auth-user", p.auth.user, "--auth-password", p.auth.password);
  const r = await exec("nsenter", args, { timeoutMs: 30_000 });
  if (r.timedOut) throw new Error(`e2e: swaks timed out\n${r.stdout}${r.stderr}`);
  const transcript = r.stdout + r.stderr;
  return { ...parseTranscript(transcript), transcript, exitCode: r.code };
}

/** Parse a swaks transcript into the replies to EHLO (AUTH line), AUTH, MAIL and RCPT. */
export function parseTranscript(t: string): Omit<ProbeResult, "transcript" | "exitCode"> {
  const lines = t.split("\n");
  const replyAfter = (cmd: RegExp): SmtpReply | null => {
    // The reply to the LAST matching command (AUTH has 334 continuations).
    let i = -1;
    lines.forEach((l, k) => {
      if (cmd.test(l)) i = k;
    });
    if (i < 0) return null;
    for (let k = i + 1; k < lines.length; k++) {
      const m = /^<(?:-|\*\*)\s+(\d{3})([ -])(.*)$/.exec(lines[k]!);
      if (m && m[2] === " ") {
        if (m[1] === "334") continue;
        const e = /^(\d\.\d{1,3}\.\d{1,3})\s+(.*)$/.exec(m[3]!);
        return { code: Number(m[1]), enhanced: e ? e[1]! : null, text: e ? e[2]! : m[3]! };
      }
      if (/^ -> (MAIL|RCPT|QUIT|DATA|EHLO|HELO)\b/.test(lines[k]!)) return null;
    }
    return null;
  };
  const authLine = lines.map((l) => /^<-\s+250[- ]AUTH[ =](.*)$/.exec(l)).find((m) => m);
  return {
    ehloAuth: authLine ? authLine[1]!.trim().split(/\s+/) : [],
    auth: replyAfter(/^ -> AUTH\b/),
    mail: replyAfter(/^ -> MAIL FROM:/),
    rcpt: replyAfter(/^ -> RCPT TO:/),
  };
}

// ---------------------------------------------------------------------------
// PAM, batched: many trees' services in one namespace
// ---------------------------------------------------------------------------

/** One PAM service of one tree in a {@link pamBatch}, with the test accounts its cases need. */
export interface PamBatchUnit {
  /** A built tree (holding etc/). */
  tree: string;
  service: string;
  cases: readonly PamCase[];
  users?: readonly TestUser[];
  groups?: readonly TestGroup[];
}

/** Every file under `dir` (relative paths, '/'-separated). */
async function filesUnder(dir: string, prefix = ""): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await filesUnder(join(dir, e.name), rel)));
    else out.push(rel);
  }
  return out.sort();
}

const ACCOUNT_FILES = ["passwd", "shadow", "group", "gshadow"] as const;

/**
 * Like {@link pamCases} for many (tree, service) units in ONE private
 * namespace: a single /etc copy (with both platforms' stand-ins laid over
 * it, see {@link FIXTURES}) is bind-mounted on /etc; for each unit in turn
 * the tree's etc/ files and that unit's passwd/shadow/group/gshadow (the
 * copy's plus the unit's test accounts) are laid over it, its cases run as
 * in pamCases (a case's broken list file is restored after it), and then
 * every file the unit laid over is put back as it was (or removed), so
 * units stay independent. Results are in unit order, then case order.
 */
export async function pamBatch(units: readonly PamBatchUnit[], opts: { timeoutMs?: number } = {}): Promise<PamCaseResult[][]> {
  const empty = await makeTempDir("policyc-e2e-empty-");
  const overlays = (["debian", "redhat"] as const).map((p) => join(FIXTURES, p)).filter((d) => existsSync(d));
  let sb: Sandbox | undefined;
  try {
    sb = await createSandbox(empty, { overlays });
    const pristine = join(sb.root, "pristine");
    const c = await exec("cp", ["-a", sb.etc, pristine], { timeoutMs: 30_000 });
    if (c.code !== 0) throw new Error(`e2e: copying the sandbox's /etc failed: ${c.stderr}`);
    const lines: string[] = ["set +e"];
    for (const [k, u] of units.entries()) {
      if (!/^[A-Za-z0-9._-]+$/.test(u.service)) throw new Error(`e2e: bad PAM service name ${u.service}`);
      const dir = join(sb.run, `u${k}`);
      const etc = join(dir, "etc");
      await mkdir(etc, { recursive: true });
      const top = (await readdir(u.tree)).filter((n) => n !== "etc" && n !== ".policyc");
      if (top.length)
        throw new Error(`e2e: tree ${u.tree} has files outside etc/ (${top.join(", ")}), which the sandbox cannot lay over the host`);
      const treeFiles = await filesUnder(join(u.tree, "etc"));
      if (treeFiles.some((f) => (ACCOUNT_FILES as readonly string[]).includes(f)))
        throw new Error(`e2e: tree ${u.tree} writes an account file; cannot batch it`);
      if (treeFiles.length) {
        const o = await exec("cp", ["-R", "--preserve=mode,timestamps", "--no-dereference", `${join(u.tree, "etc")}/.`, `${etc}/`]);
        if (o.code !== 0) throw new Error(`e2e: copying tree ${u.tree} failed: ${o.stderr}`);
      }
      for (const f of ACCOUNT_FILES) if (existsSync(join(pristine, f))) await copyFile(join(pristine, f), join(etc, f));
      await addAccounts(etc, u.users ?? [], u.groups ?? []);
      lines.push(`echo "@@UNIT ${k}"`, `cp -R --preserve=mode,timestamps --no-dereference ${sq(etc)}/. /etc/`);
      u.cases.forEach((c, i) => {
        const args: string[] = [];
        if (c.rhost !== undefined) args.push("-I", `rhost=${c.rhost}`);
        if (c.tty !== undefined) args.push("-I", `tty=${c.tty}`);
        if (c.ruser !== undefined) args.push("-I", `ruser=${c.ruser}`);
        args.push(u.service, c.user, "acct_mgmt");
        let breakIt = "";
        let restore = "";
        if (c.file) {
          const p = c.file.path;
          if (!p.startsWith("/") || p.includes("/../")) throw new Error(`e2e: bad file to break: ${p}`);
          const P = sq(p);
          const B = sq(join(dir, `bak.${i}`));
          if (c.file.state === "missing") [breakIt, restore] = [`[ -e ${P} ] && mv -- ${P} ${B}`, `[ -e ${B} ] && mv -- ${B} ${P}`];
          else if (c.file.state === "world-writable") [breakIt, restore] = [`m=$(stat -c %a ${P}); chmod o+w ${P}`, `chmod "$m" ${P}`];
          else [breakIt, restore] = [`mv -- ${P} ${B} && ln -s ${B} ${P}`, `rm -f ${P}; mv -- ${B} ${P}`];
        }
        // No timeout(1) per case (one process less each): a hung pamtester times the whole batch out.
        lines.push(`echo "@@BEGIN ${k}.${i}"`, breakIt, `pamtester ${args.map(sq).join(" ")} 2>&1; echo "@@END ${k}.${i} $?"`, restore);
      });
      // Put back what the unit laid over (the tree's files, the account files).
      for (const f of [...treeFiles, ...ACCOUNT_FILES]) {
        const there = existsSync(join(pristine, f));
        if (f.split("/").includes("..")) throw new Error(`e2e: bad tree path ${f}`);
        lines.push(there ? `cp -a ${sq(join(pristine, f))} ${sq(`/etc/${f}`)}` : `rm -f -- ${sq(`/etc/${f}`)}`);
      }
    }
    const scriptFile = join(sb.run, "batch.sh");
    await writeFile(scriptFile, lines.join("\n") + "\n", { mode: 0o600 });
    const r = await sb.sh(`. ${sq(scriptFile)}\n`, opts.timeoutMs ?? 300_000);
    if (r.timedOut) throw new Error(`e2e: pamtester batch timed out\n${r.stdout.slice(-4000)}\n${r.stderr}`);
    if (r.code === 97) throw new Error(`e2e: could not bind-mount the /etc copy: ${r.stderr}`);
    // Parse in one pass: @@BEGIN k.i, output lines, @@END k.i status.
    const got = new Map<string, { output: string; code: number }>();
    let current: string | null = null;
    let buf: string[] = [];
    for (const line of r.stdout.split("\n")) {
      const b = /^@@BEGIN (\d+\.\d+)$/.exec(line);
      if (b) {
        current = b[1]!;
        buf = [];
        continue;
      }
      const e = /^@@END (\d+\.\d+) (\d+)$/.exec(line);
      if (e && e[1] === current) {
        got.set(current, { output: buf.join("\n").trim(), code: Number(e[2]) });
        current = null;
        continue;
      }
      if (current !== null) buf.push(line);
    }
    return units.map((u, k) =>
      u.cases.map((c, i) => {
        const g = got.get(`${k}.${i}`);
        if (!g) throw new Error(`e2e: no result for PAM case ${k}.${i} (${u.service} in ${u.tree})\n${r.stderr.slice(-2000)}`);
        return { case: c, result: classifyPamtester(g.output), output: g.output, exitCode: g.code };
      }),
    );
  } finally {
    await sb?.cleanup();
    await rm(empty, { recursive: true, force: true });
  }
}
