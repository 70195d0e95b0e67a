import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, readlinkSync } from "node:fs";
import { appendFile, chmod, copyFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { dirname, join } from "node:path";
import { Platform, RUN_ENV, UNSHARE } from "./platform.js";
import { exec, sq } from "./process.js";
import { SENDMAIL_SCRUB, Sandbox, createSandbox, preamble } from "./sandbox.js";
import { TlsFiles, createTlsFiles } from "./smtp.js";

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
