/**
 * README "Platforms and stock files": the protections of Red Hat 9's stock
 * PAM files (the fixtures in test/fixtures/stock/redhat-9/pam.d/) still work
 * in the files policyc writes, on the REAL Linux-PAM with pamtester. The
 * Debian host has every module these files load (pam_sepermit,
 * pam_namespace, pam_selinux, pam_loginuid, pam_keyinit, pam_motd,
 * pam_access, pam_nologin, pam_shells, pam_listfile); the included
 * password-auth, system-auth and postlogin are local-users stand-ins
 * (test/e2e/fixtures/redhat/pam.d/, laid over the sandbox's /etc copy).
 * One test per protection per service that has it:
 * - /etc/nologin refuses a normal user and lets root in (pam_nologin: the
 *   account stack of sshd, login and remote; dovecot's auth stack);
 * - /etc/security/access.conf applies to crond (pam_access in its account stack);
 * - the whole stock session stack opens;
 * and the policy's list still refuses its user inside the stock file. The
 * generic `service` template is the control: the same cases let the user in.
 */
import { execFileSync } from "node:child_process";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers.js";
import { FIXTURES, PAM_TOOLS, createSandbox, makeTempDir, requireTools, skipBanner } from "./stack.js";

const missing = requireTools(PAM_TOOLS);
if (missing.length > 0) console.warn(skipBanner("Red Hat stock PAM e2e (real Linux-PAM)", missing));
const run = missing.length > 0 ? describe.skip : describe;

const PASSWORD = "stock-pw-1";
const USER = "stockuser";
const LISTED = "mallory";
const NOLOGIN_ACCOUNT = ["sshd", "login", "remote"];
const SESSIONS = ["sshd", "login", "remote", "su", "su-l", "sudo", "sudo-i", "crond", "vsftpd", "runuser", "runuser-l"];

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function build(policy: string): Promise<string> {
  const dir = await makeTempDir("policyc-stockpam-rh-");
  dirs.push(dir);
  await writeFile(join(dir, "p.policy"), policy);
  const r = runCli(["build", join(dir, "p.policy"), "-o", join(dir, "out"), "-q"]);
  expect(r.status, r.stderr).toBe(0);
  return join(dir, "out");
}

function policy(services: string[], template?: string): string {
  return (
    "platform redhat-9;\n" +
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
  setup?: string;
  service: string;
  user: string;
  op: "acct_mgmt" | "authenticate" | "open_session";
}
type Results = Map<string, { ok: boolean; output: string }>;

async function runSteps(tree: string, steps: Step[]): Promise<Results> {
  const sb = await createSandbox(tree, { users: [{ name: USER }, { name: LISTED }], overlays: [join(FIXTURES, "redhat")] });
  try {
    const hash = execFileSync("openssl", ["passwd", "-6", "-salt", "policycE2E", PASSWORD], { encoding: "utf8" }).trim();
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
    const script = steps
      .map((s) =>
        [
          `echo "@@BEGIN ${s.name}"`,
          "rm -f /etc/nologin; cp /etc/security/access.conf.orig /etc/security/access.conf",
          s.setup ?? "",
          `printf '%s\\n' '${PASSWORD}' | timeout 20 pamtester ${s.service} ${s.user} ${s.op} 2>&1; echo "@@END ${s.name} $?"`,
        ].join("\n"),
      )
      .join("\n");
    const r = await sb.sh("cp /etc/security/access.conf /etc/security/access.conf.orig\n" + script + "\n", 180_000);
    const out: Results = new Map();
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
const ACCESS_DENY = `echo "-:${USER}:ALL" >> /etc/security/access.conf`;

function steps(): Step[] {
  const out: Step[] = [];
  const nologin: Array<[string, Step["op"]]> = [
    ...NOLOGIN_ACCOUNT.map((s): [string, Step["op"]] => [s, "acct_mgmt"]),
    ["dovecot", "authenticate"],
  ];
  for (const [service, op] of nologin) {
    out.push({ name: `${service}-nologin-user`, setup: NOLOGIN, service, user: USER, op });
    out.push({ name: `${service}-nologin-root`, setup: NOLOGIN, service, user: "root", op });
    out.push({ name: `${service}-user`, service, user: USER, op });
  }
  out.push({ name: "crond-access", setup: ACCESS_DENY, service: "crond", user: USER, op: "acct_mgmt" });
  out.push({ name: "crond-user", service: "crond", user: USER, op: "acct_mgmt" });
  for (const service of SESSIONS) out.push({ name: `${service}-session`, service, user: USER, op: "open_session" });
  out.push({ name: "sshd-listed", service: "sshd", user: LISTED, op: "acct_mgmt" });
  return out;
}

run("Red Hat 9 stock protections in the generated PAM files, on the real Linux-PAM", () => {
  let stock: Results;
  let generic: Results;
  beforeAll(async () => {
    const services = [...new Set([...SESSIONS, ...NOLOGIN_ACCOUNT, "dovecot"])];
    stock = await runSteps(await build(policy(services)), steps());
    generic = await runSteps(await build(policy(services, "service")), steps());
  }, 300_000);

  const show = (r: { ok: boolean; output: string } | undefined) => r?.output ?? "no result";

  it.each([...NOLOGIN_ACCOUNT, "dovecot"])("%s: /etc/nologin refuses a normal user and lets root in (pam_nologin)", (service) => {
    expect(stock.get(`${service}-user`)!.ok, show(stock.get(`${service}-user`))).toBe(true);
    expect(stock.get(`${service}-nologin-user`)!.ok, show(stock.get(`${service}-nologin-user`))).toBe(false);
    expect(stock.get(`${service}-nologin-root`)!.ok, show(stock.get(`${service}-nologin-root`))).toBe(true);
    expect(generic.get(`${service}-nologin-user`)!.ok, show(generic.get(`${service}-nologin-user`))).toBe(true);
  });

  it("crond: /etc/security/access.conf still applies (pam_access)", () => {
    expect(stock.get("crond-user")!.ok, show(stock.get("crond-user"))).toBe(true);
    expect(stock.get("crond-access")!.ok, show(stock.get("crond-access"))).toBe(false);
    expect(generic.get("crond-access")!.ok, show(generic.get("crond-access"))).toBe(true);
  });

  it.each(SESSIONS)("%s: the whole stock session stack opens for a normal user in the sandbox", (service) => {
    expect(stock.get(`${service}-session`)!.ok, show(stock.get(`${service}-session`))).toBe(true);
    expect(stock.get(`${service}-session`)!.output).toMatch(/successfully opened a session/);
  });

  it("sshd: the policy's deny list still refuses its user inside the stock file", () => {
    expect(stock.get("sshd-listed")!.ok, show(stock.get("sshd-listed"))).toBe(false);
    expect(stock.get("sshd-user")!.ok).toBe(true);
  });
});
