/**
 * README "Safety checks", PC3080 and PC3081: the two account stacks policyc
 * warns about really refuse everyone, on the REAL Linux-PAM with pamtester
 * (stack.ts sandbox), built from the policies of their baselines:
 * - PC3080: a stack without account lines runs /etc/pam.d/other's account
 *   stack; with Red Hat's `other` (the RHEL 9 fixture, pam_deny) root and a
 *   normal user are both refused; with the account line the warning asks
 *   for, both pass.
 * - PC3081: an account stack of only pam_listfile lines with apply= refuses
 *   every user the list does not apply to (PAM_PERM_DENIED), and lets in a
 *   member it applies to with a listed tty; with the platform's account stack
 *   after the list, the others pass.
 * - PC3082: with saslauthd -a pam checking passwords through the PAM service
 *   smtp written from Debian's stock file (common-auth, nullok), an account
 *   whose password field is empty is accepted with ANY password, a wrong
 *   one included (testsaslauthd); with a stack of the policy's own without
 *   nullok it is refused.
 */
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { codesOf, ROOT, runCli, tempDir } from "../helpers.js";
import { createSandbox, makeTempDir, PAM_TOOLS, pamCases, requireTools, skipBanner } from "./stack.js";

const missing = requireTools(PAM_TOOLS);
if (missing.length > 0) console.warn(skipBanner("account-stack warnings e2e (real Linux-PAM)", missing));
const run = missing.length > 0 ? describe.skip : describe;

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function build(policy: string): Promise<string> {
  const dir = await makeTempDir("policyc-acctwarn-");
  dirs.push(dir);
  writeFileSync(join(dir, "p.policy"), policy);
  const r = runCli(["build", join(dir, "p.policy"), "-o", join(dir, "out"), "-q"]);
  expect(r.status, r.stderr).toBe(0);
  return join(dir, "out");
}

const baseline = (name: string) => readFileSync(join(ROOT, "test/baselines", name, "main.policy"), "utf8");

/** Red Hat's /etc/pam.d/other (RHEL 9, pam 1.5.1-15.el9), as an overlay for the sandbox's /etc. */
function redhatOther(): string {
  const dir = tempDir("policyc-rh-other-");
  mkdirSync(join(dir, "pam.d"));
  cpSync(join(ROOT, "test/fixtures/stock/redhat-9/pam.d/other"), join(dir, "pam.d/other"));
  return dir;
}

run("account stacks policyc warns about refuse everyone on the real Linux-PAM", () => {
  it("PC3080: no account line on Red Hat: other's pam_deny refuses root and a normal user; the suggested line lets them in", async () => {
    const policy = baseline("PC3080-redhat-stack-without-account");
    expect(codesOf(policy)).toEqual(["PC3080"]);
    const fixed = policy.replace("session required pam_unix.so;", "account include password-auth;\n    session required pam_unix.so;");
    expect(codesOf(fixed)).toEqual([]);
    const opts = { platform: "redhat" as const, users: [{ name: "carol" }], overlays: [redhatOther()] };
    const cases = [{ user: "root" }, { user: "carol" }];
    const warned = await pamCases(await build(policy), "rsyncd", cases, opts);
    expect(
      warned.map((r) => r.result),
      JSON.stringify(warned),
    ).toEqual(["deny", "deny"]);
    const ok = await pamCases(await build(fixed), "rsyncd", cases, opts);
    expect(
      ok.map((r) => r.result),
      JSON.stringify(ok),
    ).toEqual(["allow", "allow"]);
  }, 120_000);

  it("PC3081: only lists with apply: everyone they do not apply to is refused (PAM_PERM_DENIED); with the account stack after them, only the list's own refusals remain", async () => {
    const policy = baseline("PC3081-apply-only-account-stack");
    expect(codesOf(policy)).toEqual(["PC3081"]);
    const fixed = policy.replace(
      "auth required pam_unix.so;",
      "auth required pam_unix.so;\n    account acls;\n    account include password-auth;",
    );
    expect(codesOf(fixed)).toEqual([]);
    const opts = { platform: "redhat" as const, users: [{ name: "carol" }, { name: "oscar", groups: ["operators"] }] };
    const cases = [
      { user: "carol", tty: "tty2" },
      { user: "root", tty: "tty2" },
      { user: "oscar", tty: "tty1" },
      { user: "oscar", tty: "tty2" },
    ];
    const warned = await pamCases(await build(policy), "rsyncd", cases, opts);
    expect(
      warned.map((r) => r.result),
      JSON.stringify(warned),
    ).toEqual(["deny", "deny", "allow", "deny"]);
    expect(warned[0]!.output).toMatch(/Permission denied/);
    const ok = await pamCases(await build(fixed), "rsyncd", cases, opts);
    expect(
      ok.map((r) => r.result),
      JSON.stringify(ok),
    ).toEqual(["allow", "allow", "allow", "deny"]);
  }, 120_000);
});

const saslMissing = requireTools([...PAM_TOOLS, "saslauthd", "testsaslauthd"]);
if (saslMissing.length > 0) console.warn(skipBanner("PC3082 e2e (saslauthd, real Linux-PAM)", saslMissing));

/** testsaslauthd's answers (OK or NO) for USER with each password, through a saslauthd -a pam started in a sandbox of `tree`. */
async function saslauthdAnswers(tree: string, passwords: string[]): Promise<string[]> {
  const sb = await createSandbox(tree, { users: [{ name: "nopass" }] });
  try {
    // The account's password field emptied, in the sandbox's shadow only.
    const shadowPath = join(sb.etc, "shadow");
    const shadow = readFileSync(shadowPath, "utf8").replace(/^nopass:[^:]*:/m, "nopass::");
    writeFileSync(shadowPath, shadow);
    const mux = join(sb.run, "saslauthd");
    const script = [
      `mkdir -p ${mux}`,
      // Its own session: on SIGTERM saslauthd signals its whole process group,
      // which would otherwise hold the test runner (and CI with it).
      `setsid saslauthd -a pam -m ${mux} -n 1 -d > ${sb.run}/saslauthd.log 2>&1 &`,
      "pid=$!",
      `for i in $(seq 50); do [ -S ${mux}/mux ] && break; sleep 0.1; done`,
      ...passwords.map((p, i) => `echo "@@${i} $(testsaslauthd -f ${mux}/mux -s smtp -u nopass -p '${p}' 2>&1)"`),
      "kill $pid",
    ].join("\n");
    const r = await sb.sh(script + "\n", 60_000);
    return passwords.map((_, i) => {
      const m = new RegExp(`@@${i} 0: (OK|NO)`).exec(r.stdout);
      if (!m) throw new Error(`e2e: no testsaslauthd answer ${i}\n${r.stdout}\n${r.stderr}`);
      return m[1]!;
    });
  } finally {
    await sb.cleanup();
  }
}

describe.skipIf(saslMissing.length > 0)(
  "PC3082: SMTP AUTH through saslauthd and a stock smtp stack with nullok, on the real Linux-PAM",
  () => {
    it("accepts an account without a password with any password; a stack without nullok refuses it", async () => {
      const policy = baseline("PC3082-smtp-auth-nullok").replace("entries alice;", "entries alice, nopass;");
      expect(codesOf(policy)).toEqual(["PC3082"]);
      expect(await saslauthdAnswers(await build(policy), ["wrong-password", "x"])).toEqual(["OK", "OK"]);
      const own = policy.replace(
        "service smtp {\n",
        "service smtp {\n  stack {\n    auth required pam_unix.so;\n    account acls;\n    account required pam_unix.so;\n  }\n",
      );
      expect(codesOf(own)).toEqual([]);
      expect(await saslauthdAnswers(await build(own), ["wrong-password", "x"])).toEqual(["NO", "NO"]);
    }, 120_000);
  },
);
