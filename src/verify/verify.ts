/**
 * `policyc verify OUT`: prove on the real sendmail that a built tree's mail
 * configuration refuses to relay for strangers and relays for whom it should.
 *
 * Everything happens in a private temp dir (always removed):
 *  1. the tree's sendmail.mc is expanded by the real m4 with sendmail-cf's
 *     macros (any m4 diagnostic is a problem);
 *  2. the expanded cf is pointed at the tree's data files instead of the
 *     host's: class files (`Fw/etc/mail/local-host-names`, `FR-o
 *     /etc/mail/relay-domains`, ...) become temp copies of the tree's files (or
 *     empty files), and database maps (`Kaccess hash /etc/mail/access`) are
 *     built with makemap from the tree's sources into the temp dir;
 *  3. `sendmail -bt -C TEMP.cf` (address test mode, no daemon) runs the
 *     check_rcpt ruleset on each case, with the SMTP session's macros
 *     ({client_addr}, {client_name}, {client_resolve}, {auth_type},
 *     {auth_authen}, and the null sender as $f for delay_checks) set by `.D` lines; the ruleset's last answer decides:
 *     `$# error` with a 5xx is a refusal, anything else not `$# error` or
 *     `$# discard` is an acceptance, and a 4xx (a map that could not be read,
 *     ...) is neither.
 *
 * Host lookups are made hermetic with `-O ServiceSwitchFile` (hosts: files)
 * and `-O HostsFile` (empty), and `-O DontProbeInterfaces=true` keeps this
 * machine's interface addresses out of class w.
 *
 * The unqualified host name trap: before sendmail reads its command line or
 * any cf it looks up its own host name, and when the name has no domain part
 * and no lookup qualifies it, it sleeps 60 s ("My unqualified host name (...)
 * unknown; sleeping for retry"), even with -bt. No -O option, cf line or
 * macro can help (they are read later; the environment is cleared before the
 * resolver starts). On such hosts verify runs sendmail in a private UTS
 * namespace whose host name is qualified (`unshare --uts` as root, or a user
 * namespace otherwise); when that is impossible it says why and stops.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join, resolve, sep } from "node:path";
import { formatBytes, NotRegularFileError, readFailure, readRegularFile } from "../syntax/read.js";
import { checkCf, describeFindings, M4_PROLOGUE, scanMc } from "./untrusted.js";

/** A recipient domain that can never be ours (RFC 6761 reserves .invalid). */
export const FOREIGN_DOMAIN = "relay-test.invalid";
/** The foreign recipient of the relay tests. */
export const FOREIGN_RECIPIENT = `someone@${FOREIGN_DOMAIN}`;
/** The reverse-DNS name the foreign client is given. */
export const FOREIGN_CLIENT_NAME = `client.${FOREIGN_DOMAIN}`;
/**
 * The host name sendmail gets in a private UTS namespace: qualified (so no 60 s pause), never
 * resolvable, and in a domain ($m) of its own, so that features keyed to "our domain"
 * (relay_entire_domain, ...) do not take the foreign client for a neighbour.
 */
export const NAMESPACE_HOSTNAME = "mx.policyc-verify.invalid";
/** The Debian packages verify needs. */
import { DEBIAN_PACKAGES } from "./packages.js";
export { DEBIAN_PACKAGES };

/** Foreign client addresses, tried in order: documentation ranges first (RFC 5737, 2544, 6598). */
const FOREIGN_ADDRESS_CANDIDATES = ["192.0.2.1", "198.51.100.1", "203.0.113.1", "198.18.0.1", "100.64.0.1"];

const TIMEOUT_MS = { probe: 10_000, m4: 30_000, makemap: 20_000, sendmail: 60_000, slowSendmail: 300_000, hostnameProbe: 3_000 };

/** verify could not run at all (missing tools, no tree, unusable host): exit 2. */
export class VerifySetupError extends Error {}

export interface VerifyOptions {
  /** sendmail-cf's cf folder (the one holding m4/cf.m4). Default: from the .mc's include line. */
  cfDir?: string;
  /** Run sendmail directly even when its unqualified-host-name pause (60 s) cannot be avoided. */
  allowHostnameDelay?: boolean;
  /** Run these check_rcpt cases instead of the ones derived from the tree (the decision procedure's end-to-end test asks its own). */
  cases?: VerifyCase[];
}

export type Expectation = "refused" | "accepted";
export type Outcome = "refused" | "accepted" | "tempfail" | "no answer";

/** One check_rcpt test. */
export interface VerifyCase {
  /** Short group name: foreign, trick, local, auth, untrusted-auth, relay-domain, relay-network. */
  group: string;
  /** What is being shown, for the report. */
  title: string;
  expect: Expectation;
  recipient: string;
  clientAddr: string;
  /** {auth_type}; "" for an unauthenticated client. */
  authType: string;
  /** {client_name}, the client's resolved host name; default a name in a foreign domain. */
  clientName?: string;
}

export interface CaseResult extends VerifyCase {
  outcome: Outcome;
  /** The ruleset's final answer as sendmail printed it ("" when none). */
  answer: string;
  /** The answer in a form for people ("550 Relaying denied. ..." or "RELAY"). */
  summary: string;
  ok: boolean;
}

export interface VerifyReport {
  tree: string;
  sendmailVersion: string;
  cfDir: string;
  /** How sendmail was run: directly, or in a private namespace with a qualified host name. */
  runMode: string;
  /** The foreign client address chosen (outside every relay prefix), or null when there is none. */
  foreignAddress: string | null;
  /** Things about the run worth knowing that are not failures. */
  notes: string[];
  /** m4 or sendmail diagnostics and setup failures: each one fails the run. */
  problems: string[];
  results: CaseResult[];
  ok: boolean;
}

// ---------------------------------------------------------------------------
// Reading the tree
// ---------------------------------------------------------------------------

/** What the tree says it wants, read from its own files. */
export interface TreeFacts {
  mc: string;
  /** The cf.m4 path of the .mc's include line, or null. */
  include: string | null;
  /** That include's line (0-based), or null. */
  includeLine: number | null;
  /** confAUTH_MECHANISMS (empty: no AUTH), or sendmail's default list when the .mc does not define it. */
  offered: string[];
  /** TRUST_AUTH_MECH's mechanisms, or null when the .mc has no TRUST_AUTH_MECH. */
  trustLine: string[] | null;
  localDomains: string[];
  /** To: (or untagged) RELAY domains of the access map, and domains of class R. */
  relayDomains: string[];
  /** Connect: (or untagged) RELAY IPv4 prefixes of the access map, and prefixes of class R. */
  relayPrefixes: string[];
}

/**
 * sendmail's AuthMechanisms when the .mc does not define confAUTH_MECHANISMS
 * (proto.m4). policyc always defines it, empty when the policy offers no AUTH
 * (then sendmail offers none).
 */
const SENDMAIL_DEFAULT_MECHANISMS = ["EXTERNAL", "GSSAPI", "KERBEROS_V4", "DIGEST-MD5", "CRAM-MD5"] as const;

const IPV4_PREFIX = /^\d{1,3}(\.\d{1,3}){0,3}$/;
const DOMAIN = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?$/;

/** Is an m4 line not commented out with dnl? */
function isLiveMcLine(l: string): boolean {
  return !/^\s*dnl\b/.test(l) && !/^\s*#/.test(l);
}

/** Words of a class file (sendmail reads up to `#`, then splits on white space). */
function classWords(text: string): string[] {
  return text
    .split("\n")
    .map((l) => l.replace(/#.*$/, "").trim())
    .flatMap((l) => (l ? l.split(/\s+/) : []));
}

/** Parses an access map source into relay domains and relay prefixes. */
export function parseAccess(text: string): { relayDomains: string[]; relayPrefixes: string[] } {
  const relayDomains: string[] = [];
  const relayPrefixes: string[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const [key, value = ""] = line.split(/\s+/, 2);
    if (!key || value.split(/\s+/)[0]!.toUpperCase() !== "RELAY") continue;
    const m = /^([A-Za-z][A-Za-z_]*):(.*)$/.exec(key);
    const tag = m && m[1]!.toLowerCase() !== "ipv6" ? m[1]!.toLowerCase() : "";
    const k = (tag ? m![2]! : key).toLowerCase();
    if ((tag === "connect" || tag === "") && IPV4_PREFIX.test(k)) relayPrefixes.push(k);
    else if ((tag === "to" || tag === "") && DOMAIN.test(k) && !IPV4_PREFIX.test(k)) relayDomains.push(k.replace(/\.$/, ""));
  }
  return { relayDomains, relayPrefixes };
}

/** The most verify reads of one file of the tree. */
const MAX_TREE_FILE_BYTES = 64 * 1024 * 1024;

/**
 * A file of the tree as text, or null when it does not exist. The tree may come from someone
 * else, so only a regular file inside the tree is read (no FIFO to hang on, no device, no link
 * out of the tree to a file of this host), and at most MAX_TREE_FILE_BYTES of it.
 */
export function readTreeFile(tree: string, path: string): string | null {
  const shown = join(tree, path);
  let real: string;
  try {
    real = realpathSync.native(shown);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new VerifySetupError(`cannot read ${shown}: ${readFailure(e)}.`);
  }
  const root = realpathSync.native(tree);
  if (!real.startsWith(root.endsWith(sep) ? root : root + sep)) {
    throw new VerifySetupError(`${shown} leads out of the tree (to ${real}); verify reads only the tree's own files.`);
  }
  let bytes: Uint8Array;
  try {
    bytes = readRegularFile(real, MAX_TREE_FILE_BYTES);
  } catch (e) {
    if (e instanceof NotRegularFileError)
      throw new VerifySetupError(`${shown} is ${e.what}, not a regular file; verify reads only regular files.`);
    throw new VerifySetupError(`cannot read ${shown}: ${readFailure(e)}.`);
  }
  if (bytes.length > MAX_TREE_FILE_BYTES)
    throw new VerifySetupError(`${shown} is larger than ${formatBytes(MAX_TREE_FILE_BYTES)}, the most verify reads of one file.`);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("utf8");
}

function readIfExists(tree: string, path: string): string | null {
  return readTreeFile(tree, path);
}

/** Reads the tree's sendmail.mc, local-host-names, access and relay-domains. */
export function readTreeFacts(tree: string): TreeFacts {
  const mcPath = join(tree, "etc/mail/sendmail.mc");
  const mc = readTreeFile(tree, "etc/mail/sendmail.mc");
  if (mc === null)
    throw new VerifySetupError(`${mcPath} does not exist: give the folder "policyc build -o" wrote (it must hold etc/mail/sendmail.mc).`);
  let include: string | null = null;
  let includeLine: number | null = null;
  let offered: string[] | null = null;
  let trustLine: string[] | null = null;
  for (const [i, l] of mc.split("\n").entries()) {
    if (!isLiveMcLine(l)) continue;
    const inc = /^\s*include\(\s*`([^`']*\/m4\/cf\.m4)'\s*\)/.exec(l);
    if (inc && include === null) {
      include = inc[1]!;
      includeLine = i;
    }
    const mech = /define\(\s*`confAUTH_MECHANISMS'\s*,\s*`([^`']*)'\s*\)/.exec(l);
    if (mech) offered = mech[1]!.trim().split(/\s+/).filter(Boolean);
    const trust = /^\s*TRUST_AUTH_MECH\(\s*`([^`']*)'\s*\)/.exec(l);
    if (trust) trustLine = [...(trustLine ?? []), ...trust[1]!.trim().split(/\s+/).filter(Boolean)];
  }
  const localDomains = classWords(readIfExists(tree, "etc/mail/local-host-names") ?? "").map((d) => d.toLowerCase());
  const access = parseAccess(readIfExists(tree, "etc/mail/access") ?? "");
  const relayDomains = [...access.relayDomains];
  const relayPrefixes = [...access.relayPrefixes];
  for (const w of classWords(readIfExists(tree, "etc/mail/relay-domains") ?? "")) {
    if (IPV4_PREFIX.test(w)) relayPrefixes.push(w);
    else if (DOMAIN.test(w)) relayDomains.push(w.toLowerCase().replace(/\.$/, ""));
  }
  return {
    mc,
    include,
    includeLine,
    // No confAUTH_MECHANISMS (a hand-written .mc): sendmail offers its default list.
    offered: offered ?? [...SENDMAIL_DEFAULT_MECHANISMS],
    trustLine,
    localDomains: unique(localDomains),
    relayDomains: unique(relayDomains),
    relayPrefixes: unique(relayPrefixes),
  };
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}

// ---------------------------------------------------------------------------
// The cases
// ---------------------------------------------------------------------------

/** Is the IPv4 address inside the whole-octet prefix (as sendmail's Connect: and class R match)? */
export function inPrefix(addr: string, prefix: string): boolean {
  return addr === prefix || addr.startsWith(prefix + ".");
}

/** A client address outside every relay prefix and not one of the local literals, or null. */
export function chooseForeignAddress(prefixes: readonly string[], avoid: readonly string[] = []): string | null {
  const candidates = [...FOREIGN_ADDRESS_CANDIDATES];
  for (let a = 1; a <= 223; a++) if (a !== 127) candidates.push(`${a}.0.2.1`, `${a}.254.254.254`);
  return candidates.find((c) => !prefixes.some((p) => inPrefix(c, p)) && !avoid.includes(c)) ?? null;
}

/** An address inside the prefix: missing octets become 1. */
export function addressInside(prefix: string): string {
  const octets = prefix.split(".");
  while (octets.length < 4) octets.push("1");
  return octets.join(".");
}

/** The cases derived from the tree's own files. */
export function casesFor(facts: TreeFacts, foreign: string): { cases: VerifyCase[]; notes: string[] } {
  const notes: string[] = [];
  const cases: VerifyCase[] = [];
  const noAuth = { authType: "" };
  const foreignRcpt = `<${FOREIGN_RECIPIENT}>`;
  cases.push({
    group: "foreign",
    title: `foreign recipient ${foreignRcpt} from foreign client ${foreign}, no AUTH`,
    expect: "refused",
    recipient: foreignRcpt,
    clientAddr: foreign,
    ...noAuth,
  });
  // Only names sendmail reads as one host name reach the -bt script (no white space, no $, ...).
  const localDomains = facts.localDomains.filter((d) => DOMAIN.test(d));
  for (const d of facts.localDomains.filter((d) => !DOMAIN.test(d)))
    notes.push(`local-host-names entry "${d}" is not a domain name: not tested.`);
  const local = localDomains[0] ?? "localhost";
  if (localDomains.length === 0)
    notes.push('the tree lists no local domains (etc/mail/local-host-names); the address tricks use "localhost".');
  const tricks: Array<[string, string]> = [
    ["percent hack", `<user%${FOREIGN_DOMAIN}@${local}>`],
    ["bang path", `<${FOREIGN_DOMAIN}!user@${local}>`],
    ["quoted local part", `<"user@${FOREIGN_DOMAIN}"@${local}>`],
    ["source route", `<@${local}:user@${FOREIGN_DOMAIN}>`],
  ];
  for (const [name, rcpt] of tricks) {
    cases.push({
      group: "trick",
      title: `${name} ${rcpt} from foreign client ${foreign}, no AUTH`,
      expect: "refused",
      recipient: rcpt,
      clientAddr: foreign,
      ...noAuth,
    });
  }
  for (const d of localDomains) {
    cases.push({
      group: "local",
      title: `local recipient <postmaster@${d}> from foreign client ${foreign}, no AUTH`,
      expect: "accepted",
      recipient: `<postmaster@${d}>`,
      clientAddr: foreign,
      ...noAuth,
    });
  }
  // Trusted mechanisms are TRUST_AUTH_MECH's; without that line no mechanism may relay (a
  // policy may offer AUTH without "relay authenticated"), so every offered one must be refused.
  const trusted = facts.trustLine ?? [];
  const source = "TRUST_AUTH_MECH";
  for (const m of trusted) {
    cases.push({
      group: "auth",
      title: `AUTH ${m} (${source}): foreign recipient ${foreignRcpt} from foreign client ${foreign}`,
      expect: "accepted",
      recipient: foreignRcpt,
      clientAddr: foreign,
      authType: m,
    });
  }
  for (const m of facts.offered.filter((m) => !trusted.includes(m))) {
    cases.push({
      group: "untrusted-auth",
      title: `AUTH ${m} (offered, not in TRUST_AUTH_MECH): foreign recipient ${foreignRcpt} from foreign client ${foreign}`,
      expect: "refused",
      recipient: foreignRcpt,
      clientAddr: foreign,
      authType: m,
    });
  }
  for (const d of facts.relayDomains) {
    cases.push({
      group: "relay-domain",
      title: `relay domain <someone@${d}> (To:${d} RELAY) from foreign client ${foreign}, no AUTH`,
      expect: "accepted",
      recipient: `<someone@${d}>`,
      clientAddr: foreign,
      ...noAuth,
    });
  }
  for (const p of facts.relayPrefixes) {
    const inside = addressInside(p);
    cases.push({
      group: "relay-network",
      title: `relay network client ${inside} (Connect:${p} RELAY): foreign recipient ${foreignRcpt}, no AUTH`,
      expect: "accepted",
      recipient: foreignRcpt,
      clientAddr: inside,
      ...noAuth,
    });
  }
  return { cases, notes };
}

// ---------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------

const SEARCH_PATH = unique([
  ...(process.env.PATH ?? "").split(":").filter(Boolean),
  "/usr/local/sbin",
  "/usr/sbin",
  "/sbin",
  "/usr/bin",
  "/bin",
]);
const CHILD_ENV: NodeJS.ProcessEnv = { ...process.env, PATH: SEARCH_PATH.join(":"), LC_ALL: "C" };

function which(name: string): string | null {
  for (const d of SEARCH_PATH) {
    const p = join(d, name);
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      /* next */
    }
  }
  return null;
}

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** Spawn failure (ENOENT, ...). */
  error: string | null;
}

function run(cmd: string, args: readonly string[], opts: { input?: string; timeoutMs: number; cwd?: string }): Ran {
  const r = spawnSync(cmd, args, {
    cwd: opts.cwd,
    env: CHILD_ENV,
    input: opts.input ?? "",
    encoding: "utf8",
    timeout: opts.timeoutMs,
    killSignal: "SIGKILL",
    maxBuffer: 64 * 1024 * 1024,
  });
  const err = r.error as NodeJS.ErrnoException | undefined;
  const timedOut = err?.code === "ETIMEDOUT";
  return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "", timedOut, error: err && !timedOut ? err.message : null };
}

/** How sendmail is started: directly, or with a qualified host name in a private UTS namespace. */
type Runner = { mode: "direct"; slow: boolean } | { mode: "uts" } | { mode: "userns"; uid: number; gid: number };

const SET_HOSTNAME = `{ hostname "$0" 2>/dev/null || printf %s "$0" > /proc/sys/kernel/hostname; }`;

function wrap(runner: Runner, cmd: string, args: readonly string[]): [string, string[]] {
  switch (runner.mode) {
    case "direct":
      return [cmd, [...args]];
    case "uts":
      // unshare execs sh, which sets the name and execs cmd: one process, killed by its pid on timeout.
      return ["unshare", ["--uts", "--", "sh", "-c", `${SET_HOSTNAME} && exec "$@"`, NAMESPACE_HOSTNAME, cmd, ...args]];
    case "userns":
      // Root in a new user namespace may set the name; sendmail then runs as the caller's own uid in a
      // nested user namespace (as "root" it would fail to drop privileges: setgroups is denied there).
      return [
        "unshare",
        [
          "--user",
          "--map-root-user",
          "--uts",
          "--",
          "sh",
          "-c",
          `n=$0; u=$1; g=$2; shift 2; hostname "$n" && exec unshare --user --map-user="$u" --map-group="$g" -- "$@"`,
          NAMESPACE_HOSTNAME,
          String(runner.uid),
          String(runner.gid),
          cmd,
          ...args,
        ],
      ];
  }
}

function describeRunner(runner: Runner): string {
  switch (runner.mode) {
    case "direct":
      return runner.slow ? "directly (host name unqualified: sendmail paused at start)" : "directly";
    case "uts":
      return `with host name ${NAMESPACE_HOSTNAME} in a private UTS namespace`;
    case "userns":
      return `with host name ${NAMESPACE_HOSTNAME} in a private user and UTS namespace`;
  }
}

/**
 * Will sendmail find a qualified name for this host without its 60 s pause? It uses the name
 * when it has a dot, or when it does not resolve at all; otherwise it needs a dotted canonical name
 * or alias (or a lookup through its own service switch, which only the probe can tell).
 */
function hostnameLooksQualified(): boolean {
  const name = hostname();
  if (name.includes(".")) return true;
  const r = run("getent", ["hosts", name], { timeoutMs: TIMEOUT_MS.probe });
  if (r.error || r.timedOut) return false;
  if (r.status === 2) return true; // not found: sendmail keeps the bare name and does not wait
  if (r.status !== 0) return false;
  return r.stdout.split("\n").some((l) =>
    l
      .trim()
      .split(/\s+/)
      .slice(1)
      .some((n) => n.includes(".") && !n.endsWith(".")),
  );
}

/** Can this process run a command with a qualified host name in a namespace? */
function namespaceRunner(): { runner: Runner | null; why: string } {
  const uid = process.getuid?.() ?? -1;
  const gid = process.getgid?.() ?? -1;
  if (!which("unshare")) return { runner: null, why: "unshare (util-linux) is not installed" };
  const tries: Runner[] = uid === 0 ? [{ mode: "uts" }, { mode: "userns", uid, gid }] : [{ mode: "userns", uid, gid }];
  const whys: string[] = [];
  for (const t of tries) {
    const [cmd, args] = wrap(t, "uname", ["-n"]);
    const r = run(cmd, args, { timeoutMs: TIMEOUT_MS.probe });
    if (r.status === 0 && r.stdout.trim() === NAMESPACE_HOSTNAME) return { runner: t, why: "" };
    whys.push((r.stderr.trim().split("\n")[0] || r.error || `exit ${r.status}`).trim());
  }
  return { runner: null, why: unique(whys).join("; ") };
}

/** Runs sendmail's start-up only (-d0.4 prints the name it settled on) to see whether it pauses. */
function probeStartup(sendmail: string, cf: string): boolean {
  const r = run(sendmail, ["-d0.4", "-d38.20", "-bt", "-C", cf], { timeoutMs: TIMEOUT_MS.hostnameProbe });
  return !r.timedOut && /^Canonical name: /m.test(r.stdout) && !/sleeping for retry/.test(r.stdout + r.stderr);
}

function chooseRunner(sendmail: string, cf: string, opts: VerifyOptions, notes: string[]): Runner {
  if (hostnameLooksQualified()) return { mode: "direct", slow: false };
  const ns = namespaceRunner();
  if (ns.runner) {
    notes.push(
      `this host's name (${hostname()}) has no domain part and would make sendmail pause 60 s at start; hence the private namespace.`,
    );
    return ns.runner;
  }
  if (probeStartup(sendmail, cf)) return { mode: "direct", slow: false };
  if (opts.allowHostnameDelay) {
    notes.push(
      `this host's name (${hostname()}) cannot be qualified: sendmail paused at least 60 s at start (about 2 minutes with sendmail 8.17) (--allow-hostname-delay).`,
    );
    return { mode: "direct", slow: true };
  }
  throw new VerifySetupError(
    [
      `sendmail cannot start promptly on this host: its name (${hostname()}) has no domain part and no lookup qualifies it,`,
      `so sendmail sleeps 60 s before it does anything ("My unqualified host name (${hostname()}) unknown; sleeping for retry"), even in -bt mode.`,
      "It looks the name up before it reads its command line or configuration, so no option can skip this.",
      `verify avoids it by running sendmail with a qualified host name in a private UTS namespace, which is not possible here (${ns.why}).`,
      "Any of these fixes it:",
      `  - give the host a qualified name, e.g. the line "127.0.1.1 ${hostname()}.example.net ${hostname()}" in /etc/hosts;`,
      "  - run verify as root, or where unprivileged user namespaces are allowed;",
      "  - pass --allow-hostname-delay to accept the wait (about 2 minutes with sendmail 8.17: it pauses more than once).",
    ].join("\n"),
  );
}

/** The uid and gid m4 runs as when verify is root (nobody and nogroup on Debian and Red Hat). */
const NOBODY = 65534;

/** cmd and args run as nobody (setpriv) when this process is root; as they are otherwise. */
function unprivileged(cmd: string, args: readonly string[], notes: string[]): [string, string[]] {
  if (process.getuid?.() !== 0) return [cmd, [...args]];
  const setpriv = which("setpriv");
  if (!setpriv) {
    notes.push("setpriv (util-linux) is not installed: m4 ran as root (its commands are disabled, but it could read any file).");
    return [cmd, [...args]];
  }
  return [setpriv, [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", "--no-new-privs", "--", cmd, ...args]];
}

// ---------------------------------------------------------------------------
// Preparing the temp copy
// ---------------------------------------------------------------------------

function tools(): { m4: string; sendmail: string; makemap: string } {
  const found = { m4: which("m4"), sendmail: which("sendmail"), makemap: which("makemap") };
  const missing = Object.entries(found)
    .filter(([, p]) => !p)
    .map(([n]) => n);
  if (missing.length) {
    throw new VerifySetupError(
      `verify needs m4, sendmail and makemap; missing: ${missing.join(", ")}. On Debian install them with: apt-get install ${DEBIAN_PACKAGES}` +
        " (or bash scripts/install-e2e-deps.sh in a policyc checkout).",
    );
  }
  return found as { m4: string; sendmail: string; makemap: string };
}

/** Sendmail's version, from -d0.101 (prints it and exits before the host name lookup). */
function sendmailVersion(sendmail: string): string {
  const r = run(sendmail, ["-d0.101", "-bt"], { timeoutMs: TIMEOUT_MS.probe });
  const m = /^Version (\S+)/m.exec(r.stdout);
  if (!m) {
    throw new VerifySetupError(
      `${sendmail} is not Sendmail (it does not answer -d0.101 with its version${r.error ? `: ${r.error}` : ""}); another MTA's sendmail-compatible program cannot run -bt. Install sendmail-bin.`,
    );
  }
  return m[1]!;
}

function resolveCfDir(facts: TreeFacts, mcPath: string, cfDir: string | undefined): string {
  const known = ["/usr/share/sendmail/cf", "/usr/share/sendmail-cf", "/usr/lib/mail", "/usr/share/sendmail"];
  const hint = () => {
    const here = known.find((d) => existsSync(join(d, "m4/cf.m4")));
    return here
      ? ` sendmail-cf's macros are in ${here} here: rerun with --cf-dir ${here}.`
      : ` sendmail-cf's macros are not installed here; on Debian: apt-get install ${DEBIAN_PACKAGES}.`;
  };
  if (cfDir !== undefined) {
    const dir = resolve(cfDir);
    if (/[`'\n]/.test(dir)) throw new VerifySetupError(`--cf-dir ${cfDir}: m4 cannot include a path with quotes or newlines.`);
    if (!existsSync(join(dir, "m4/cf.m4")))
      throw new VerifySetupError(`--cf-dir ${cfDir}: there is no m4/cf.m4 in it (it should be sendmail-cf's cf folder).${hint()}`);
    return dir;
  }
  if (facts.include === null) {
    throw new VerifySetupError(
      `${mcPath} does not include sendmail-cf's cf.m4 (no include(\`.../m4/cf.m4') line): give its folder with --cf-dir.${hint()}`,
    );
  }
  if (!existsSync(facts.include)) {
    throw new VerifySetupError(`${mcPath} includes ${facts.include}, which is not on this machine.${hint()}`);
  }
  return facts.include.slice(0, -"/m4/cf.m4".length);
}

/** Lines of m4's output and stderr that are m4 or sendmail-cf diagnostics. */
function m4Problems(r: Ran): string[] {
  const problems: string[] = [];
  if (r.error) problems.push(`m4 could not run: ${r.error}`);
  if (r.timedOut) problems.push(`m4 did not finish within ${TIMEOUT_MS.m4 / 1000} s`);
  const err = r.stderr.trim();
  if (err) problems.push(`m4 printed on stderr:\n${indent(err)}`);
  for (const l of r.stdout.split("\n")) if (/^\*\*\* (WARNING|ERROR)/.test(l)) problems.push(`m4 output contains: ${l}`);
  if (r.status !== 0 && !r.timedOut && !r.error) problems.push(`m4 exited with status ${r.status}`);
  return problems;
}

function indent(s: string): string {
  return s
    .split("\n")
    .map((l) => "    " + l)
    .join("\n");
}

/**
 * makemap warns about every world-writable directory above the map, even with -s; for the sticky
 * /tmp above our own private (0700) temp dir that is no problem of the tree's.
 */
function isStickyAncestorWarning(line: string, tmp: string): boolean {
  const m = /^WARNING: World writable directory (\/\S*)$/.exec(line.trim());
  if (!m) return false;
  const dir = m[1]!;
  if (!(tmp === dir || tmp.startsWith(dir.endsWith("/") ? dir : dir + "/"))) return false;
  try {
    return (statSync(dir).mode & 0o1000) !== 0;
  } catch {
    return false;
  }
}

interface Prepared {
  cf: string;
  notes: string[];
  problems: string[];
  dontBlame: string[];
}

const DB_MAP_TYPES = new Set(["hash", "btree", "dbm"]);

/**
 * Points the expanded cf at temp copies of the tree's data: class files and database maps with
 * absolute paths. Returns the rewritten cf text.
 */
function redirectDataFiles(cfText: string, tree: string, tmp: string, makemap: string, cfPath: string): Prepared {
  const notes: string[] = [];
  const problems: string[] = [];
  const dontBlame: string[] = [];
  const maps: Array<{ type: string; name: string; source: string | null; target: string; path: string }> = [];
  let n = 0;
  const lines = cfText.split("\n").map((line) => {
    const dbs = /^O\s*DontBlameSendmail\s*=\s*(.*)$/.exec(line);
    if (dbs) dontBlame.push(...dbs[1]!.split(/[\s,]+/).filter(Boolean));
    // Fc/path, Fc-o /path, F{name}/path [format]
    const f = /^F(\w|\{[^}]+\})((?:-o)?\s*)(\/\S+)(.*)$/.exec(line);
    if (f) {
      const [, cls, opt, path, rest] = f;
      const target = join(tmp, `class-${++n}`);
      const text = readTreeFile(tree, path!);
      if (text !== null) writeFileSync(target, text);
      else {
        writeFileSync(target, "");
        notes.push(
          `class $=${cls!.replace(/[{}]/g, "")} reads ${path}, which the tree does not have: tested as empty (the host's file is not used).`,
        );
      }
      return `F${cls}${opt}${target}${rest}`;
    }
    // Kname type [flags] /path
    const k = /^K(\S+)\s+(\S+)\s+(.*?)(\/\S+)\s*$/.exec(line);
    if (k && (DB_MAP_TYPES.has(k[2]!) || k[2] === "text")) {
      const [, name, type, flags, path] = k;
      const target = join(tmp, `map-${++n}-${name!.replace(/[^A-Za-z0-9_-]/g, "_")}`);
      // sendmail and makemap drop a ".db" the path ends with for database maps
      // (Red Hat's stock .mc names "/etc/mail/access.db"): the source is the path without it.
      const sourcePath = DB_MAP_TYPES.has(type!) && /[^/]\.db$/.test(path!) ? path!.slice(0, -3) : path!;
      const source = readTreeFile(tree, sourcePath);
      maps.push({ type: type!, name: name!, source, target, path: sourcePath });
      if (source === null)
        notes.push(`map ${name} reads ${sourcePath}, which the tree does not have: tested as empty (the host's map is not used).`);
      return `K${name} ${type} ${flags}${target}`;
    }
    return line;
  });
  const cf = lines.join("\n");
  writeFileSync(cfPath, cf);
  for (const m of maps) {
    const input = m.source ?? "";
    if (m.type === "text") {
      writeFileSync(m.target, input);
      continue;
    }
    // makemap reads the cf for TrustedUser (the owner it gives the map); -C: our copy, not the host's.
    // -s: no safety checks on the path (the private temp dir lives in the world-writable /tmp).
    const r = run(makemap, ["-s", "-C", cfPath, m.type, m.target], { input, timeoutMs: TIMEOUT_MS.makemap, cwd: tmp });
    const out = (r.stdout + r.stderr)
      .split("\n")
      .filter((l) => l.trim() && !isStickyAncestorWarning(l, tmp))
      .join("\n");
    if (r.error || r.timedOut || r.status !== 0 || out) {
      problems.push(
        `makemap ${m.type} for map ${m.name} (${m.source !== null ? join(tree, m.path) : "empty"}) failed` +
          (r.timedOut
            ? ` (no answer within ${TIMEOUT_MS.makemap / 1000} s)`
            : r.error
              ? `: ${r.error}`
              : r.status !== 0
                ? ` (exit ${r.status})`
                : "") +
          (out ? `:\n${indent(out)}` : ""),
      );
    }
  }
  return { cf, notes, problems, dontBlame };
}

// ---------------------------------------------------------------------------
// Address test mode
// ---------------------------------------------------------------------------

const MARK_MACRO = "{policycVerifyCase}";
const MARK = "policyc-verify-case-";

/** The -bt script: for each case, set the session macros, print a marker, run check_rcpt. */
export function btScript(cases: readonly VerifyCase[]): string {
  const lines: string[] = [];
  cases.forEach((c, i) => {
    lines.push(
      `.D{client_addr}${c.clientAddr}`,
      `.D{client_name}${c.clientName ?? FOREIGN_CLIENT_NAME}`,
      `.D{client_resolve}OK`,
      `.D{auth_type}${c.authType}`,
      `.D{auth_authen}${c.authType ? `relay-test-user@${FOREIGN_DOMAIN}` : ""}`,
      // The envelope sender: the null sender, which check_mail always accepts and
      // which grants no relaying. FEATURE(`delay_checks') (Debian's stock .mc) runs
      // check_mail inside check_rcpt (on $&f, or on $&{mail_from} where sendmail is
      // built with _FFR_MAIL_MACRO, as Debian's is); with no sender it refuses every recipient.
      `.Df`,
      `.D{mail_from}<>`,
      `.D${MARK_MACRO}${MARK}${i}`,
      `\${policycVerifyCase}`,
      `check_rcpt ${c.recipient}`,
    );
  });
  lines.push(`.D${MARK_MACRO}${MARK}end`, `\${policycVerifyCase}`);
  return lines.join("\n") + "\n";
}

/** Splits -bt output into each case's answer, plus the lines that are sendmail diagnostics. */
export function parseBtOutput(stdout: string, count: number): { answers: Array<string | null>; diagnostics: string[] } {
  const answers: Array<string | null> = new Array(count).fill(null);
  const diagnostics: string[] = [];
  let current: number | null = null;
  for (const raw of stdout.split("\n")) {
    const line = raw.replace(/^(> ?)+/, "").trimEnd();
    if (!line) continue;
    if (line.startsWith(MARK)) {
      const id = line.slice(MARK.length);
      current = id === "end" ? null : Number(id);
      continue;
    }
    const ret = /^check_rcpt\s+returns:\s?(.*)$/.exec(line);
    if (ret && current !== null && current < count) {
      answers[current] = ret[1]!.trim();
      continue;
    }
    if (/^\S+\s+(input|returns):/.test(line)) continue; // ruleset trace
    if (/^== Ruleset \S+ \(\d+\) status \d+$/.test(line)) continue;
    if (line === "ADDRESS TEST MODE (ruleset 3 NOT automatically invoked)" || line === "Enter <ruleset> <address>") continue;
    diagnostics.push(line);
  }
  return { answers, diagnostics };
}

/** Joins sendmail's token-spaced text back together: `5 . 7 . 1` -> `5.7.1`. */
function untokenize(s: string): string {
  return s
    .split(" $| ")
    .map((part) =>
      part
        .replace(/ ?([.@:!%]) ?/g, "$1")
        .replace(/< /g, "<")
        .replace(/ >/g, ">"),
    )
    .join(" $| ");
}

/** Classifies a check_rcpt answer. */
export function classify(answer: string | null): { outcome: Outcome; summary: string } {
  if (answer === null) return { outcome: "no answer", summary: "no answer from sendmail" };
  const m = /^\$#\s*(\S+)(.*)$/.exec(answer);
  if (!m) {
    const summary = /^\w+$/.test(answer) ? answer : `ruleset answered "${untokenize(answer)}"`;
    return { outcome: "accepted", summary };
  }
  const mailer = m[1]!.toLowerCase();
  const rest = m[2]!;
  if (mailer === "error") {
    const text = /\$:\s*"([^"]*)"/.exec(rest)?.[1] ?? /\$:\s*(.*)$/.exec(rest)?.[1] ?? "";
    const dsn = /\$@\s*([\d .]+?)\s*(\$:|$)/.exec(rest)?.[1]?.replace(/\s+/g, "") ?? "";
    const code = /^\s*(\d)\d\d\b/.exec(text)?.[1] ?? dsn[0] ?? "5";
    const summary = text || untokenize(answer);
    return code === "4" ? { outcome: "tempfail", summary: `temporary failure: ${summary}` } : { outcome: "refused", summary };
  }
  if (mailer === "discard") return { outcome: "refused", summary: "discarded" };
  if (mailer === "temp") return { outcome: "tempfail", summary: `temporary failure: ${untokenize(rest.trim())}` };
  return { outcome: "accepted", summary: rest.trim() ? `ruleset answered "${untokenize(answer)}"` : m[1]! };
}

// ---------------------------------------------------------------------------
// verify
// ---------------------------------------------------------------------------

/** Verifies the tree at `tree`; throws VerifySetupError when it cannot run at all. */
export function verifyTree(tree: string, opts: VerifyOptions = {}): VerifyReport {
  const mcPath = join(tree, "etc/mail/sendmail.mc");
  if (!existsSync(tree)) throw new VerifySetupError(`${tree} does not exist.`);
  const facts = readTreeFacts(tree);
  // Before anything runs: the .mc may come from someone else.
  const findings = scanMc(facts.mc, facts.includeLine);
  if (findings.length) throw new VerifySetupError(describeFindings(mcPath, findings));
  const bins = tools();
  const cfDir = resolveCfDir(facts, mcPath, opts.cfDir);
  const version = sendmailVersion(bins.sendmail);

  const notes: string[] = [];
  const problems: string[] = [];
  const finish = (runMode = "not run", foreignAddress: string | null = null, results: CaseResult[] = []): VerifyReport => ({
    tree,
    sendmailVersion: version,
    cfDir,
    runMode,
    foreignAddress,
    notes,
    problems,
    results,
    ok: problems.length === 0 && results.length > 0 && results.every((x) => x.ok),
  });
  const tmp = mkdtempSync(join(tmpdir(), "policyc-verify-"));
  try {
    // 1. m4, on a copy whose include names the chosen cf folder.
    const include = `include(\`${cfDir}/m4/cf.m4')`;
    let mcCopy: string;
    if (facts.includeLine !== null) {
      const lines = facts.mc.split("\n");
      lines[facts.includeLine] = lines[facts.includeLine]!.replace(/include\(\s*`[^`']*\/m4\/cf\.m4'\s*\)/, () => include);
      mcCopy = lines.join("\n");
    } else mcCopy = `${include}dnl\n${facts.mc}`;
    // m4 reads the prologue (no builtin that runs a command or writes a file) and then the .mc,
    // from standard input, as nobody when verify runs as root.
    const [m4Cmd, m4Args] = unprivileged(bins.m4, ["-"], notes);
    const m4 = run(m4Cmd, m4Args, { cwd: tmp, timeoutMs: TIMEOUT_MS.m4, input: M4_PROLOGUE + mcCopy });
    problems.push(...m4Problems(m4));
    if (!/^S/m.test(m4.stdout)) {
      problems.push("m4 produced no sendmail.cf (no rulesets in its output).");
      return finish();
    }
    const unsafeCf = checkCf(m4.stdout);
    if (unsafeCf.length)
      throw new VerifySetupError(
        `${mcPath} expands to a sendmail.cf that could run programs; verify does not run sendmail on it:\n${indent(unsafeCf.join("\n"))}`,
      );

    // 2. The tree's data instead of the host's.
    const cfPath = join(tmp, "sendmail.cf");
    const prepared = redirectDataFiles(m4.stdout, tree, tmp, bins.makemap, cfPath);
    notes.push(...prepared.notes);
    problems.push(...prepared.problems);
    writeFileSync(join(tmp, "service.switch"), "hosts\tfiles\naliases\tfiles\npasswd\tfiles\n");
    writeFileSync(join(tmp, "hosts"), "");

    // 3. The cases.
    const avoid = facts.localDomains.filter((d) => /^\[.*\]$/.test(d)).map((d) => d.slice(1, -1));
    const foreign = chooseForeignAddress(facts.relayPrefixes, avoid);
    const results: CaseResult[] = [];
    if (foreign === null) {
      problems.push("every candidate client address is inside a Connect: RELAY prefix: the tree relays for (nearly) every IPv4 client.");
      return finish();
    }
    const derived = opts.cases ? { cases: opts.cases, notes: [] } : casesFor(facts, foreign);
    notes.push(...derived.notes);

    const runner = chooseRunner(bins.sendmail, cfPath, opts, notes);
    const dontBlame = unique(["TrustStickyBit", ...prepared.dontBlame.filter((f) => f.toLowerCase() !== "safe")]);
    const args = [
      "-bt",
      "-C",
      cfPath,
      "-O",
      "DontProbeInterfaces=true",
      "-O",
      `ServiceSwitchFile=${join(tmp, "service.switch")}`,
      "-O",
      `HostsFile=${join(tmp, "hosts")}`,
      "-O",
      `DontBlameSendmail=${dontBlame.join(",")}`,
    ];
    const [cmd, wrapped] = wrap(runner, bins.sendmail, args);
    const timeoutMs = runner.mode === "direct" && runner.slow ? TIMEOUT_MS.slowSendmail : TIMEOUT_MS.sendmail;
    const r = run(cmd, wrapped, { input: btScript(derived.cases), timeoutMs, cwd: tmp });
    if (r.error) problems.push(`sendmail could not run: ${r.error}`);
    if (r.timedOut) problems.push(`sendmail -bt did not finish within ${timeoutMs / 1000} s (killed).`);
    const parsed = parseBtOutput(r.stdout, derived.cases.length);
    const all = unique([
      ...parsed.diagnostics,
      ...r.stderr
        .split("\n")
        .map((l) => l.trim())
        .filter(Boolean),
    ]);
    // About this machine, not the tree: $j has no dot (only when sendmail ran directly on such a host).
    const unqualified = /^WARNING: local host name \(.*\) is not qualified/;
    for (const l of all.filter((l) => unqualified.test(l))) notes.push(`sendmail: ${l}`);
    const diags = all.filter((l) => !unqualified.test(l));
    if (diags.length) problems.push(`sendmail -bt printed:\n${indent(diags.join("\n"))}`);
    if (r.status !== 0 && !r.timedOut && !r.error) problems.push(`sendmail -bt exited with status ${r.status}.`);
    derived.cases.forEach((c, i) => {
      const answer = parsed.answers[i] ?? null;
      const { outcome, summary } = classify(answer);
      results.push({ ...c, outcome, answer: answer ?? "", summary, ok: outcome === c.expect });
    });
    return finish(describeRunner(runner), foreign, results);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The report as printed: one line per case, then a summary line. */
export function formatReport(report: VerifyReport): string {
  const lines: string[] = [];
  lines.push(
    `policyc verify ${report.tree}: sendmail ${report.sendmailVersion}, cf macros from ${report.cfDir}, sendmail run ${report.runMode}`,
  );
  for (const n of report.notes) lines.push(`note: ${n}`);
  for (const r of report.results) {
    const verdict = r.ok ? r.outcome : `${r.outcome}, expected ${r.expect}`;
    lines.push(`${r.ok ? "ok  " : "FAIL"}  ${r.title}: ${verdict}: ${r.summary}`);
  }
  const failed = report.results.filter((r) => !r.ok).length;
  const total = report.results.length;
  const parts: string[] = [];
  if (total) parts.push(failed ? `${failed} of ${total} checks FAILED` : `all ${total} checks passed`);
  else parts.push("no checks ran");
  if (report.problems.length) parts.push(`${report.problems.length} problem${report.problems.length === 1 ? "" : "s"} (on stderr)`);
  lines.push(`${report.ok ? "PASS" : "FAIL"}: ${parts.join("; ")}.`);
  return lines.join("\n") + "\n";
}
