/**
 * What the stock PAM e2e tests of every platform share (stock-pam.e2e.test.ts
 * for Debian 12, stock-pam-redhat.e2e.test.ts for Red Hat 9): build a policy
 * with a deny list on each stock service, then run pamtester steps, each with
 * its own setup (an /etc/nologin, a limits.conf or access.conf line), in one
 * sandbox (stack.ts: a private copy of /etc in a private mount namespace).
 */
import { execFileSync } from "node:child_process";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, expect } from "vitest";
import { runCli } from "../helpers.js";
import { createSandbox, makeTempDir } from "./stack.js";

/** The test users' password (and root's, in the copy only): hash of "stock-pw-1". */
export const PASSWORD = "stock-pw-1";
export const USER = "stockuser";
export const LISTED = "mallory";
export const NOLOGIN = 'echo "The system is down for maintenance." > /etc/nologin';

export interface Step {
  name: string;
  /** Shell run before the pamtester call (inside the namespace: /etc is the copy). */
  setup?: string;
  service: string;
  user: string;
  op: "acct_mgmt" | "authenticate" | "open_session";
}
export type Results = Map<string, { ok: boolean; output: string }>;

export interface StockPamPlatform {
  /** How the policy names the platform: "debian", "redhat-9". */
  platform: string;
  /** Folders laid over the sandbox's /etc copy (the platform's included stacks). */
  overlays?: string[];
  /** Files under /etc that steps change: each is put back before every step. */
  restore: string[];
}

/** pamtester's output for a step, for assertion messages. */
export const show = (r: { ok: boolean; output: string } | undefined) => r?.output ?? "no result";

/** A platform's build and step runner; registers the removal of its trees after the file's tests. */
export function stockPam(p: StockPamPlatform) {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  /** A deny list of LISTED on each PAM service, each as the stock file (or, with template, the generic one). */
  function policy(services: string[], template?: string): string {
    return (
      `platform ${p.platform};\n` +
      services
        .map(
          (s, i) =>
            `service s${i} {\n  pam ${s};\n${template ? `  template ${template};\n` : ""}  acl user deny "/etc/security/stock-e2e.deny" { entries ${LISTED}; }\n}\n`,
        )
        .join("")
    );
  }

  /** `policyc build` of that policy into a fresh tree. */
  async function build(services: string[], template?: string): Promise<string> {
    const dir = await makeTempDir(`policyc-stockpam-${p.platform}-`);
    dirs.push(dir);
    await writeFile(join(dir, "p.policy"), policy(services, template));
    const r = runCli(["build", join(dir, "p.policy"), "-o", join(dir, "out"), "-q"]);
    expect(r.status, r.stderr).toBe(0);
    return join(dir, "out");
  }

  /** Runs every step in one sandbox; each step's pamtester exit status and output. */
  async function runSteps(tree: string, steps: Step[]): Promise<Results> {
    const sb = await createSandbox(tree, { users: [{ name: USER }, { name: LISTED }], ...(p.overlays ? { overlays: p.overlays } : {}) });
    try {
      // Passwords in the copy's shadow only, for the auth stacks (pam_unix reads shadow as root).
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
      await mkdir(join(sb.etc, "security"), { recursive: true });
      const save = p.restore.map((f) => `cp /etc/${f} /etc/${f}.orig`).join("\n");
      const restore = ["rm -f /etc/nologin", ...p.restore.map((f) => `cp /etc/${f}.orig /etc/${f}`)].join("; ");
      const script = steps
        .map((s) =>
          [
            `echo "@@BEGIN ${s.name}"`,
            restore,
            s.setup ?? "",
            `printf '%s\\n' '${PASSWORD}' | timeout 20 pamtester ${s.service} ${s.user} ${s.op} 2>&1; echo "@@END ${s.name} $?"`,
          ].join("\n"),
        )
        .join("\n");
      const r = await sb.sh(save + "\n" + script + "\n", 180_000);
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

  /** The stock build's and the generic `service` template's (the control's) results of the same steps. */
  async function stockAndGeneric(services: string[], steps: Step[]): Promise<{ stock: Results; generic: Results }> {
    const stock = await runSteps(await build(services), steps);
    const generic = await runSteps(await build(services, "service"), steps);
    return { stock, generic };
  }

  /** The three nologin steps of a service: the user with /etc/nologin, root with it, the user without. */
  function nologinSteps(service: string, op: Step["op"]): Step[] {
    return [
      { name: `${service}-nologin-user`, setup: NOLOGIN, service, user: USER, op },
      { name: `${service}-nologin-root`, setup: NOLOGIN, service, user: "root", op },
      { name: `${service}-user`, service, user: USER, op },
    ];
  }

  return { stockAndGeneric, nologinSteps };
}

/** The nologin assertions of a service whose stock file runs pam_nologin (its steps from nologinSteps). */
export function expectNologin(stock: Results, generic: Results, service: string): void {
  expect(stock.get(`${service}-user`)!.ok, show(stock.get(`${service}-user`))).toBe(true);
  expect(stock.get(`${service}-nologin-user`)!.ok, show(stock.get(`${service}-nologin-user`))).toBe(false);
  expect(stock.get(`${service}-nologin-root`)!.ok, show(stock.get(`${service}-nologin-root`))).toBe(true);
  // The generic template had no pam_nologin: the user got in.
  expect(generic.get(`${service}-nologin-user`)!.ok, show(generic.get(`${service}-nologin-user`))).toBe(true);
}

/** A stock session stack opened for the normal user. */
export function expectSessionOpens(stock: Results, service: string): void {
  expect(stock.get(`${service}-session`)!.ok, show(stock.get(`${service}-session`))).toBe(true);
  expect(stock.get(`${service}-session`)!.output).toMatch(/successfully opened a session/);
}

/** The policy's deny list still refuses LISTED on sshd inside the stock file. */
export function expectListRefuses(stock: Results): void {
  expect(stock.get("sshd-listed")!.ok, show(stock.get("sshd-listed"))).toBe(false);
  expect(stock.get("sshd-user")!.ok).toBe(true);
}
