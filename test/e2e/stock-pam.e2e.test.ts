/**
 * README "Platforms and stock files": the protections of Debian's stock PAM
 * files still work in the files policyc writes, on the REAL Linux-PAM 1.5.2
 * with pamtester (stack.ts: a private copy of /etc bind-mounted in a private
 * mount namespace). One test per protection per service that has it:
 * - /etc/nologin refuses a normal user and lets root in (pam_nologin: sshd's
 *   account stack, login's auth stack);
 * - pam_limits applies (`maxlogins 0` in limits.conf refuses the session) on
 *   every stock service whose session stack has it;
 * - the whole stock session stack opens (pam_loginuid, pam_keyinit, pam_env,
 *   pam_motd, pam_mail, pam_selinux, which does nothing with SELinux off);
 * and the policy's list still refuses its user inside the stock file. The
 * generic `service` template, which dropped these, is the control: the same
 * cases let the user in there, so the tests can tell the two apart.
 */
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers.js";
import { PAM_TOOLS, createSandbox, makeTempDir, requireTools, skipBanner } from "./stack.js";

const missing = requireTools(PAM_TOOLS);
if (missing.length > 0) console.warn(skipBanner("stock PAM e2e (real Linux-PAM)", missing));
const run = missing.length > 0 ? describe.skip : describe;

/** The test users' password (and root's, in the copy only): hash of "stock-pw-1". */
const PASSWORD = "stock-pw-1";
const USER = "stockuser";
const LISTED = "mallory";
/** Debian 12 stock services whose session stack runs pam_limits (su-l and runuser-l through their includes). */
const LIMITS = ["sshd", "login", "su", "su-l", "sudo", "sudo-i", "cron", "runuser", "runuser-l"];
const SESSIONS = LIMITS;

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** `policyc build` of a policy into a fresh tree. */
async function build(policy: string): Promise<string> {
  const dir = await makeTempDir("policyc-stockpam-");
  dirs.push(dir);
  await writeFile(join(dir, "p.policy"), policy);
  const r = runCli(["build", join(dir, "p.policy"), "-o", join(dir, "out"), "-q"]);
  expect(r.status, r.stderr).toBe(0);
  return join(dir, "out");
}

/** A deny list of LISTED on each PAM service, each as the stock file (or, with template, the generic one). */
function policy(services: string[], template?: string): string {
  return (
    "platform debian;\n" +
    services
      .map(
        (s, i) =>
          `service s${i} {\n  pam ${s};\n${template ? `  template ${template};\n` : ""}  acl user deny "/etc/security/stock-e2e.deny" { entries ${LISTED}; }\n}\n`,
      )
      .join("")
  );
}

interface Step {
  name: string;
  /** Shell run before the pamtester call (inside the namespace: /etc is the copy). */
  setup?: string;
  service: string;
  user: string;
  op: "acct_mgmt" | "authenticate" | "open_session";
}

/** Runs every step in one sandbox; each step's pamtester exit status and output. */
async function runSteps(tree: string, steps: Step[]): Promise<Map<string, { ok: boolean; output: string }>> {
  const sb = await createSandbox(tree, { users: [{ name: USER }, { name: LISTED }] });
  try {
    // Passwords in the copy's shadow only, for the auth stacks (pam_unix reads shadow as root).
    const hash = (await import("node:child_process"))
      .execFileSync("openssl", ["passwd", "-6", "-salt", "policycE2E", PASSWORD], { encoding: "utf8" })
      .trim();
    const shadowPath = join(sb.etc, "shadow");
    const shadow = (await readFile(shadowPath, "utf8"))
      .split("\n")
      .map((l) => {
        const f = l.split(":");
        if (f.length > 2 && ["root", USER, LISTED].includes(f[0]!)) f[1] = hash;
        return f.join(":");
      })
      .join("\n");
    await writeFile(shadowPath, shadow);
    await mkdir(join(sb.etc, "security"), { recursive: true });
    const script = steps
      .map((s) =>
        [
          `echo "@@BEGIN ${s.name}"`,
          "rm -f /etc/nologin; cp /etc/security/limits.conf.orig /etc/security/limits.conf",
          s.setup ?? "",
          `printf '%s\\n' '${PASSWORD}' | timeout 20 pamtester ${s.service} ${s.user} ${s.op} 2>&1; echo "@@END ${s.name} $?"`,
        ].join("\n"),
      )
      .join("\n");
    const r = await sb.sh("cp /etc/security/limits.conf /etc/security/limits.conf.orig\n" + script + "\n", 180_000);
    const out = new Map<string, { ok: boolean; output: string }>();
    for (const s of steps) {
      const m = new RegExp(`@@BEGIN ${s.name}\\n([\\s\\S]*?)@@END ${s.name} (\\d+)`).exec(r.stdout);
      if (!m) throw new Error(`e2e: no result for ${s.name}\n${r.stdout}\n${r.stderr}`);
      out.set(s.name, { ok: m[2] === "0", output: m[1]!.trim() });
    }
    return out;
  } finally {
    await sb.cleanup();
  }
}

const NOLOGIN = 'echo "The system is down for maintenance." > /etc/nologin';
const NO_SESSIONS = `echo "${USER} - maxlogins 0" >> /etc/security/limits.conf`;

function steps(): Step[] {
  const out: Step[] = [];
  for (const [service, op] of [
    ["sshd", "acct_mgmt"],
    ["login", "authenticate"],
  ] as const) {
    out.push({ name: `${service}-nologin-user`, setup: NOLOGIN, service, user: USER, op });
    out.push({ name: `${service}-nologin-root`, setup: NOLOGIN, service, user: "root", op });
    out.push({ name: `${service}-user`, service, user: USER, op });
  }
  for (const service of LIMITS) {
    out.push({ name: `${service}-limits`, setup: NO_SESSIONS, service, user: USER, op: "open_session" });
    out.push({ name: `${service}-session`, service, user: USER, op: "open_session" });
  }
  out.push({ name: "sshd-listed", service: "sshd", user: LISTED, op: "acct_mgmt" });
  return out;
}

run("Debian 12 stock protections in the generated PAM files, on the real Linux-PAM", () => {
  let stock: Map<string, { ok: boolean; output: string }>;
  let generic: Map<string, { ok: boolean; output: string }>;
  beforeAll(async () => {
    const services = [...new Set([...LIMITS, "sshd", "login"])];
    stock = await runSteps(await build(policy(services)), steps());
    generic = await runSteps(await build(policy(services, "service")), steps());
  }, 300_000);

  const show = (r: { ok: boolean; output: string } | undefined) => r?.output ?? "no result";

  it.each(["sshd", "login"])("%s: /etc/nologin refuses a normal user and lets root in (pam_nologin)", (service) => {
    expect(stock.get(`${service}-user`)!.ok, show(stock.get(`${service}-user`))).toBe(true);
    expect(stock.get(`${service}-nologin-user`)!.ok, show(stock.get(`${service}-nologin-user`))).toBe(false);
    expect(stock.get(`${service}-nologin-root`)!.ok, show(stock.get(`${service}-nologin-root`))).toBe(true);
    // The generic template had no pam_nologin: the user got in.
    expect(generic.get(`${service}-nologin-user`)!.ok, show(generic.get(`${service}-nologin-user`))).toBe(true);
  });

  it.each(LIMITS)("%s: limits.conf applies to the session (pam_limits: maxlogins 0 refuses it)", (service) => {
    expect(stock.get(`${service}-limits`)!.ok, show(stock.get(`${service}-limits`))).toBe(false);
    expect(stock.get(`${service}-limits`)!.output).toMatch(/too many logins/);
    expect(generic.get(`${service}-limits`)!.ok, show(generic.get(`${service}-limits`))).toBe(true);
  });

  it.each(SESSIONS)("%s: the whole stock session stack opens for a normal user in the sandbox", (service) => {
    expect(stock.get(`${service}-session`)!.ok, show(stock.get(`${service}-session`))).toBe(true);
    expect(stock.get(`${service}-session`)!.output).toMatch(/successfully opened a session/);
  });

  it("sshd: the policy's deny list still refuses its user inside the stock file (recipe 4.3)", () => {
    expect(stock.get("sshd-listed")!.ok, show(stock.get("sshd-listed"))).toBe(false);
    expect(stock.get("sshd-user")!.ok).toBe(true);
  });
});
