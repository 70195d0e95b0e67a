/**
 * README "Importing a host": import then build gives files whose behaviour
 * on the real Linux-PAM and sendmail is the original's, on files no one here
 * wrote. The originals and the rebuilt trees get the same request matrix:
 * - PAM (pamtester acct_mgmt, stack.ts's pamBatch): Debian 12's stock pam.d
 *   files (fetched by scripts/fetch-stock.sh), the stock sshd with a list an
 *   administrator added, and recipe 4.3's hand-written imap and pop3 files
 *   (test/import/fixtures/recipe-4.3), for listed and unlisted users, root,
 *   and with the list file missing or world-writable;
 * - sendmail: Debian's stock sendmail.mc (scripts/fetch-stock-mail.sh) and
 *   recipe 8.18's hand-written .mc (test/import/fixtures/recipe-8.18)
 *   expand with the real m4 to the same sendmail.cf but for the
 *   DaemonPortOptions field order and the build-date lines; recipe 8.18's
 *   original and rebuilt trees then run as real sendmail daemons and give
 *   the same answers to the relay probes (with and without SMTP AUTH).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, runCli } from "../helpers.js";
import { put, stockMc, stockMissing, stockPamFiles } from "../import/stock.js";
import { normalizeDaemonPortOptions } from "./stack-suite.js";
import {
  expandMc,
  type PamBatchUnit,
  pamBatch,
  PAM_TOOLS,
  requireTools,
  type Sendmail,
  SMTP_TOOLS,
  skipBanner,
  smtpProbe,
  startSendmail,
  type TestUser,
} from "./stack.js";

const FIXTURES = join(ROOT, "test/import/fixtures");
const pamMissing = requireTools(PAM_TOOLS);
const smtpMissing = requireTools(SMTP_TOOLS);
const stockWhy = stockMissing();
if (pamMissing.length) console.warn(skipBanner("import on the real Linux-PAM (test/e2e/import.e2e.test.ts)", pamMissing));
if (smtpMissing.length) console.warn(skipBanner("import on the real sendmail (test/e2e/import.e2e.test.ts)", smtpMissing));
if (stockWhy) console.warn(`\n*** SKIPPED import of stock files: ${stockWhy} ***\n`);

const dirs: string[] = [];
function temp(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** `policyc import --root ROOT` then `policyc build` of its policy, through the CLI; the built tree. */
function importAndBuild(root: string): string {
  const dir = temp("policyc-import-e2e-");
  const policy = join(dir, "imported.policy");
  const i = runCli(["import", "--root", root, "-o", policy, "-q"]);
  expect(i.status, i.stderr).toBe(0);
  const b = runCli(["build", policy, "-o", join(dir, "out"), "-q"]);
  expect(b.status, b.stderr).toBe(0);
  return join(dir, "out");
}

const USERS: TestUser[] = [{ name: "alice" }, { name: "bob", groups: ["staff"] }, { name: "carol" }];

describe.skipIf(pamMissing.length > 0)("import then build: the same pamtester answers as the original files", () => {
  it("recipe 4.3's hand-written files and Debian's stock files", async () => {
    const recipe = join(FIXTURES, "recipe-4.3");
    const rebuiltRecipe = importAndBuild(recipe);
    const cases = (list: string) => [
      { user: "alice" },
      { user: "bob" },
      { user: "carol" },
      { user: "root" },
      { user: "alice", file: { path: list, state: "missing" as const } },
      { user: "alice", file: { path: list, state: "world-writable" as const } },
    ];
    const pairs: Array<[string, PamBatchUnit, PamBatchUnit]> = [];
    for (const service of ["imap", "pop3"]) {
      const c = cases("/etc/imapd.acl");
      pairs.push([
        `recipe 4.3 ${service}`,
        { tree: recipe, service, cases: c, users: USERS },
        { tree: rebuiltRecipe, service, cases: c, users: USERS },
      ]);
    }
    if (!stockWhy) {
      // Debian's stock files, and the stock sshd with a list an administrator added.
      const stock = temp("policyc-import-stock-");
      const files = stockPamFiles();
      files.delete("other");
      for (const [name, content] of files) put(stock, `etc/pam.d/${name}`, content);
      const rebuiltStock = importAndBuild(stock);
      for (const service of files.keys()) {
        const c = [{ user: "alice" }, { user: "root" }, { user: "bob", rhost: "192.0.2.7", tty: "ssh" }];
        pairs.push([
          `stock ${service}`,
          { tree: stock, service, cases: c, users: USERS },
          { tree: rebuiltStock, service, cases: c, users: USERS },
        ]);
      }
      const edited = temp("policyc-import-edited-");
      put(
        edited,
        "etc/pam.d/sshd",
        files
          .get("sshd")!
          .replace(
            "account    required     pam_nologin.so",
            "account required pam_listfile.so item=group sense=allow file=/etc/ssh.groups onerr=fail\naccount    required     pam_nologin.so",
          ),
      );
      put(edited, "etc/ssh.groups", "staff\n");
      const rebuiltEdited = importAndBuild(edited);
      const c = [{ user: "alice" }, { user: "bob" }, { user: "bob", file: { path: "/etc/ssh.groups", state: "missing" as const } }];
      pairs.push([
        "edited stock sshd",
        { tree: edited, service: "sshd", cases: c, users: USERS },
        { tree: rebuiltEdited, service: "sshd", cases: c, users: USERS },
      ]);
    }
    const results = await pamBatch(pairs.flatMap(([, a, b]) => [a, b]));
    const answers = (k: number) => results[k]!.map((r) => `${JSON.stringify(r.case)} ${r.result}`);
    pairs.forEach(([what], i) => expect(answers(2 * i + 1), what).toEqual(answers(2 * i)));
    // The matrix tells allow from deny: the recipe's list lets alice in and keeps carol out.
    expect(results[0]!.map((r) => r.result).slice(0, 3)).toEqual(["allow", "allow", "deny"]);
  }, 240_000);
});

/** sendmail.cf lines as they matter: the build-date lines dropped, DaemonPortOptions in one field order. */
function cfLines(cf: string): string[] {
  return cf
    .split("\n")
    .filter((l) => !l.startsWith("#####"))
    .map((l) => {
      const m = /^O DaemonPortOptions=(.*)$/.exec(l);
      return m ? `O DaemonPortOptions=${JSON.stringify(Object.entries(normalizeDaemonPortOptions(m[1]!)).sort())}` : l;
    });
}

describe.skipIf(smtpMissing.length > 0)("import then build: the same sendmail.cf, the same relay decisions", () => {
  const recipe = join(FIXTURES, "recipe-8.18");
  let rebuilt = "";
  beforeAll(() => {
    rebuilt = importAndBuild(recipe);
  });

  it.skipIf(stockWhy !== undefined)(
    "Debian's stock sendmail.mc expands to the same sendmail.cf but for AuthMechanisms (no auth: none)",
    async () => {
      const root = temp("policyc-import-mc-");
      put(root, "etc/mail/sendmail.mc", stockMc());
      put(root, "etc/mail/local-host-names", "mx.example.test\n");
      const out = importAndBuild(root);
      const [a, b] = await Promise.all([expandMc(join(root, "etc/mail/sendmail.mc")), expandMc(join(out, "etc/mail/sendmail.mc"))]);
      expect([a.exitCode, b.exitCode]).toEqual([0, 0]);
      // The one difference: the stock .mc leaves AuthMechanisms to sendmail's default; the
      // imported policy has no auth, so the rebuilt .mc offers no AUTH (README "Inside mail").
      const mechAside = (lines: string[]) => lines.filter((l) => !/^#?O AuthMechanisms\b/.test(l));
      expect(mechAside(cfLines(b.cf))).toEqual(mechAside(cfLines(a.cf)));
      expect(cfLines(a.cf)).toContain("#O AuthMechanisms=EXTERNAL GSSAPI KERBEROS_V4 DIGEST-MD5 CRAM-MD5");
      expect(cfLines(b.cf)).toContain("O AuthMechanisms");
    },
  );

  it("recipe 8.18's .mc expands to the same sendmail.cf but for the SASL realm policyc sets", async () => {
    const [a, b] = await Promise.all([expandMc(join(recipe, "etc/mail/sendmail.mc")), expandMc(join(rebuilt, "etc/mail/sendmail.mc"))]);
    expect([a.exitCode, b.exitCode]).toEqual([0, 0]);
    // confAUTH_REALM (README: the first domain is the SASL realm) is the one addition.
    const realmAside = (lines: string[]) => lines.filter((l) => !/^#?O AuthRealm\b/.test(l));
    expect(realmAside(cfLines(b.cf))).toEqual(realmAside(cfLines(a.cf)));
    expect(cfLines(a.cf)).toContain("#O AuthRealm");
    expect(cfLines(b.cf)).toContain("O AuthRealm=mx.example.test");
  });

  it("recipe 8.18 original and rebuilt give the same answers to the relay probes on the real sendmail", async () => {
    const password = "recipe-8.18-pw";
    const accounts = [{ user: "mailman", realm: "mx.example.test", password }];
    const probes = [
      { to: "someone@far.example.net" },
      { to: "postmaster@mx.example.test" },
      { to: "someone@far.example.net", auth: { mechanism: "CRAM-MD5", user: "mailman", password } },
      { to: "someone@far.example.net", auth: { mechanism: "DIGEST-MD5", user: "mailman", password } },
      { to: "someone@far.example.net", auth: { mechanism: "CRAM-MD5", user: "mailman", password: "wrong" } },
    ];
    const answers: string[][] = [];
    for (const tree of [recipe, rebuilt]) {
      let server: Sendmail | undefined;
      try {
        server = await startSendmail(tree, { hostName: "mx.example.test", saslAccounts: accounts });
        const got: string[] = [];
        for (const p of probes) {
          const r = await smtpProbe(server, p);
          got.push(
            `${JSON.stringify(p.auth?.mechanism ?? null)} ${p.auth?.password === "wrong" ? "wrong password" : ""} -> ${p.to}: auth ${r.auth?.code ?? "-"} rcpt ${r.rcpt?.code ?? "-"}`,
          );
        }
        answers.push(got);
      } finally {
        await server?.stop();
      }
    }
    expect(answers[1]).toEqual(answers[0]);
    // Not an open relay, and authenticated clients relay: the probes tell the cases apart.
    expect(answers[0]![0]).toMatch(/rcpt 550$/);
    expect(answers[0]![2]).toMatch(/auth 235 rcpt 250$/);
  }, 120_000);
});
