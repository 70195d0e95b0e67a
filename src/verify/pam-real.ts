/**
 * PAM requests run on the real Linux-PAM (`policyc test --real`): pamtester's
 * account stack over a private copy of /etc with the built tree laid over it,
 * bind-mounted on /etc in a private mount namespace (`unshare -m`), so the
 * host's own /etc never changes. Each request gets the accounts it names
 * (its user, groups and login shell) in the copy's passwd, shadow and group.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** One `pamtester SERVICE USER acct_mgmt` run, with the user's account as the request gives it. */
export interface PamProbe {
  pamService: string;
  user: string;
  rhost?: string;
  tty?: string;
  ruser?: string;
  /** Primary group first; default one group named like the user. */
  groups?: string[];
  /** Default /bin/bash. */
  shell?: string;
}

export interface PamProbeResult {
  /** allow: "account management done"; deny: a PAM refusal; error: anything else (a broken stack, a missing module). */
  decision: "allow" | "deny" | "error";
  /** pamtester's words. */
  output: string;
}

const SEARCH_PATH = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];
export function whichTool(name: string): string | null {
  for (const d of SEARCH_PATH) {
    try {
      if (statSync(join(d, name)).isFile()) return join(d, name);
    } catch {
      /* next */
    }
  }
  return null;
}

/** What running PAM for real needs and this machine lacks, in words (empty: nothing). */
export function pamMissing(): string[] {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push("root (pamtester runs in a private mount namespace over a copy of /etc)");
  if (!whichTool("unshare")) missing.push("unshare (Debian package util-linux)");
  if (!whichTool("pamtester")) missing.push("pamtester (Debian package pamtester)");
  return missing;
}

/** The platforms this host is, from /etc/os-release (ID and ID_LIKE): "debian", "redhat". */
export function hostPlatforms(): string[] {
  let text = "";
  try {
    text = readFileSync("/etc/os-release", "utf8");
  } catch {
    return [];
  }
  const ids = [/^ID=(.*)$/m, /^ID_LIKE=(.*)$/m].flatMap((re) => (re.exec(text)?.[1] ?? "").replace(/"/g, "").split(/\s+/));
  const out: string[] = [];
  if (ids.some((i) => i === "debian" || i === "ubuntu")) out.push("debian");
  if (ids.some((i) => ["rhel", "fedora", "centos", "rocky", "almalinux"].includes(i))) out.push("redhat");
  return out;
}

/** Classifies pamtester's output (the words libpam prints for each status). */
export function classifyPamtester(output: string): PamProbeResult["decision"] {
  if (/account management done/.test(output)) return "allow";
  if (
    /Authentication failure|Permission denied|User not known|User account has expired|Authentication token is no longer valid|Authentication token expired/.test(
      output,
    )
  )
    return "deny";
  return "error";
}

const NAME = /^[A-Za-z0-9_.][A-Za-z0-9_.@-]*$/;
const sq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The copy's passwd, shadow, group and gshadow with the probe's account in them. */
function accounts(etc: string, p: PamProbe): Record<string, string> {
  const read = (f: string) => (existsSync(join(etc, f)) ? readFileSync(join(etc, f), "utf8") : "");
  const lines = (t: string) => t.split("\n").filter(Boolean);
  const passwd = lines(read("passwd"));
  const shadow = lines(read("shadow"));
  const group = lines(read("group"));
  const gshadow = lines(read("gshadow"));
  const groups = p.groups?.length ? p.groups : [p.user];
  const shell = p.shell ?? "/bin/bash";
  for (const n of [p.user, ...groups]) if (!NAME.test(n)) throw new Error(`"${n}" cannot be written in /etc/passwd or /etc/group`);
  if (/[:\n]/.test(shell)) throw new Error(`the shell "${shell}" cannot be written in /etc/passwd`);
  const used = new Set([...passwd, ...group].map((l) => Number(l.split(":")[2])));
  let next = 61000;
  const fresh = () => {
    while (used.has(next)) next++;
    used.add(next);
    return next;
  };
  const gid = (name: string): number => {
    const l = group.find((x) => x.split(":")[0] === name);
    if (l) return Number(l.split(":")[2]);
    const id = fresh();
    group.push(`${name}:x:${id}:`);
    if (gshadow.length) gshadow.push(`${name}:!::`);
    return id;
  };
  const primary = gid(groups[0]!);
  for (const g of groups.slice(1)) gid(g);
  // Exactly the request's groups: the user is a member of the others and of no one else's.
  const member = (l: string, at: number): string => {
    const f = l.split(":");
    const others = (f[at] ?? "").split(",").filter((m) => m && m !== p.user);
    if (groups.slice(1).includes(f[0]!)) others.push(p.user);
    f[at] = others.join(",");
    return f.join(":");
  };
  const i = passwd.findIndex((l) => l.split(":")[0] === p.user);
  if (i >= 0) {
    const f = passwd[i]!.split(":");
    f[3] = String(primary);
    f[6] = shell;
    passwd[i] = f.join(":");
  } else passwd.push(`${p.user}:x:${fresh()}:${primary}:policyc test --real:/nonexistent:${shell}`);
  if (!shadow.some((l) => l.split(":")[0] === p.user)) shadow.push(`${p.user}:*:${Math.floor(Date.now() / 86_400_000) - 1}:0:99999:7:::`);
  const out: Record<string, string> = {
    passwd: passwd.join("\n") + "\n",
    shadow: shadow.join("\n") + "\n",
    group: group.map((l) => member(l, 3)).join("\n") + "\n",
  };
  if (gshadow.length) out.gshadow = gshadow.map((l) => member(l, 3)).join("\n") + "\n";
  return out;
}

/** Runs every probe against `tree` (holding etc/), in one private mount namespace; throws Error when it cannot run. */
export function runPamProbes(tree: string, probes: readonly PamProbe[]): PamProbeResult[] {
  const tmp = mkdtempSync(join(tmpdir(), "policyc-real-"));
  try {
    const etc = join(tmp, "etc");
    const cp = spawnSync("cp", ["-a", "/etc", etc], { timeout: 60_000, encoding: "utf8" });
    if (cp.status !== 0) throw new Error(`cp -a /etc failed: ${cp.stderr.trim()}`);
    if (existsSync(join(tree, "etc"))) {
      const lay = spawnSync("cp", ["-R", "--preserve=mode,timestamps", "--no-dereference", `${join(tree, "etc")}/.`, `${etc}/`], {
        encoding: "utf8",
      });
      if (lay.status !== 0) throw new Error(`laying ${tree}/etc over the copy of /etc failed: ${lay.stderr.trim()}`);
    }
    rmSync(join(etc, "nologin"), { force: true }); // the requests are for a host without /etc/nologin
    const script = ["set -u", `mount --bind ${sq(etc)} /etc || exit 97`];
    probes.forEach((p, i) => {
      if (!NAME.test(p.pamService)) throw new Error(`"${p.pamService}" is not a PAM service name`);
      const files = accounts(etc, p);
      for (const [name, text] of Object.entries(files)) {
        writeFileSync(join(tmp, `${i}.${name}`), text);
        script.push(`cat ${sq(join(tmp, `${i}.${name}`))} > /etc/${name}`);
      }
      const args: string[] = [];
      if (p.rhost !== undefined) args.push("-I", `rhost=${p.rhost}`);
      if (p.tty !== undefined) args.push("-I", `tty=${p.tty}`);
      if (p.ruser !== undefined) args.push("-I", `ruser=${p.ruser}`);
      args.push(p.pamService, p.user, "acct_mgmt");
      script.push(`echo "@@BEGIN ${i}"`, `timeout 15 pamtester ${args.map(sq).join(" ")} 2>&1; echo "@@END ${i} $?"`);
    });
    const r = spawnSync("unshare", ["-m", "--propagation", "private", "bash", "-c", script.join("\n") + "\n"], {
      encoding: "utf8",
      timeout: 120_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    if (r.error) throw new Error(`unshare could not run: ${r.error.message}`);
    if (r.status === 97) throw new Error(`could not bind-mount the copy of /etc on /etc: ${r.stderr.trim()}`);
    return probes.map((_, i) => {
      const m = new RegExp(`@@BEGIN ${i}\\n([\\s\\S]*?)@@END ${i} (\\d+)`).exec(r.stdout);
      if (!m) throw new Error(`pamtester gave no answer for request ${i + 1}: ${r.stderr.trim()}`);
      const output = m[1]!.trim();
      return { decision: classifyPamtester(output), output };
    });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
