import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The platforms policyc targets; Red Hat trees get stand-ins for what Debian lacks. */
export type Platform = "debian" | "redhat";

/** Files a platform's trees rely on that this Debian host lacks, laid over the /etc copy (fixtures/<platform>/ mirrors /etc). */
export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures");
// Never a silent fallback: without the stand-ins every Red Hat case would run against Debian's files.
if (!existsSync(join(FIXTURES, "redhat", "pam.d", "password-auth")))
  throw new Error(`e2e: the Red Hat stand-ins are missing under ${FIXTURES}`);

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
export const RUN_ENV: NodeJS.ProcessEnv = { ...process.env, PATH: [...new Set(SEARCH_PATH)].join(":"), LC_ALL: "C" };

/**
 * `unshare` arguments: a private mount namespace (for the /etc bind mount)
 * and a PID namespace whose init is our script. When that init exits the
 * kernel kills and reaps everything left inside (no orphaned sendmail
 * children), and --kill-child SIGKILLs the init if unshare itself dies.
 */
export const UNSHARE = ["-m", "--propagation", "private", "-p", "--fork", "--mount-proc", "--kill-child=SIGKILL"];

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
