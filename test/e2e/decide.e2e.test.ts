/**
 * The decision procedure (src/decide, behind `policyc explain`, `test` and
 * the `expect` assertions) against the real stack and the oracle.
 *
 * fast-check generates policies (arbitrary-policy.ts) and requests
 * (decide-requests.ts). Each accepted policy is compiled in process, and:
 *
 * - against the oracle (oracle.ts, which reads the policy with the parser
 *   only and applies pam_listfile's semantics itself): generated requests on
 *   generated accounts, at least 10,000 per run, in process;
 * - against the real Linux-PAM: the oracle's own cases for each service
 *   (every list both ways, unset items, apply targets, broken list files)
 *   and generated ones, run with pamtester in private namespaces over a
 *   copy of /etc with the tree and the accounts laid over it (pamBatch), at
 *   least 500 per run; the decision procedure's answer must be pamtester's;
 * - against the real sendmail: generated recipients, client addresses and
 *   AUTH mechanisms for trees with mail, run through check_rcpt in
 *   `sendmail -bt` on the tree's own files (verify's runner, with these
 *   cases); accept or refuse must be sendmail's.
 *
 * One seed per run (fixed by default), printed in every failure;
 * POLICYC_DECIDE_SEED=N replays another (=random draws one).
 */
import fc from "fast-check";
import { mkdir, rm, writeFile, chmod } from "node:fs/promises";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compile, viewsOf } from "../../src/compile.js";
import { explainMail, explainPam, pamtesterResult, type HostView, type MailRequest, type PamRequest } from "../../src/decide/index.js";
import { verifyTree, type VerifyCase } from "../../src/verify/verify.js";
import { TEMPLATES } from "../helpers.js";
import { policy } from "./arbitrary-policy.js";
import { groupNames, mailRequests, pamCases, requestOf, testUsers } from "./decide-requests.js";
import { Accounts, evaluate, pamExpectationsFor, readHostAccounts, readPolicy, type PolicyMeaning } from "./oracle.js";
import { makeTempDir, PAM_TOOLS, pamBatch, requireTools, skipBanner, type PamBatchUnit, type PamCase, type TestUser } from "./stack.js";

const SEED_ENV = process.env.POLICYC_DECIDE_SEED ?? "20261125";
const SEED = SEED_ENV === "random" ? Math.floor(Math.random() * 2 ** 31) : Number(SEED_ENV);
if (!Number.isSafeInteger(SEED)) throw new Error(`POLICYC_DECIDE_SEED must be an integer or "random", not ${JSON.stringify(SEED_ENV)}`);
const REPLAY = `seed ${SEED} (replay: POLICYC_DECIDE_SEED=${SEED} npx vitest run test/e2e/decide.e2e.test.ts)`;
const ORACLE_WANT = 10_000;
const REAL_WANT = 500;

const missing = requireTools([...PAM_TOOLS]);
const MAIL_TOOLS = ["m4", "sendmail", "makemap", "file:/usr/share/sendmail/cf/m4/cf.m4", "unshare"];
const missingMail = requireTools(MAIL_TOOLS);
if (missingMail.length) console.warn(skipBanner("the decision procedure on the real sendmail", missingMail));
if (missing.length) console.warn(skipBanner("the decision procedure on the real PAM", missing));

interface Accepted {
  index: number;
  text: string;
  view: HostView;
  meaning: PolicyMeaning;
  files: { path: string; content: string; mode: number }[];
}

/** Accepted policies with services (or with mail), compiled in process, that the oracle models. */
function acceptedPolicies(count: number, seed: number, want: "service" | "mail" = "service"): { accepted: Accepted[]; unmodelled: number } {
  const accepted: Accepted[] = [];
  let unmodelled = 0;
  const sample = fc.sample(policy, { seed, numRuns: count * 4 });
  for (const [index, gen] of sample.entries()) {
    if (accepted.length >= count) break;
    if (want === "service" ? !gen.text.includes("service ") : !gen.hasMail) continue;
    const bytes = new TextEncoder().encode(gen.text);
    const r = compile("p.policy", bytes, { templates: TEMPLATES });
    if (!r.files || !r.build || !r.program) continue;
    let meaning: PolicyMeaning;
    try {
      meaning = readPolicy("p.policy", bytes);
    } catch {
      unmodelled++;
      continue;
    }
    const view = viewsOf({ build: r.build, program: r.program, files: r.files }, TEMPLATES)[0]!;
    accepted.push({ index, text: gen.text, view, meaning, files: r.files });
  }
  return { accepted, unmodelled };
}

const show = (p: Accepted, service: string, req: PamRequest, got: string, want: string, why: string) =>
  `policy #${p.index} (${REPLAY}), service ${service}: ${JSON.stringify(req)}: decide ${got}, ${want} (${why})\n${p.text}`;

describe(`the decision procedure against the oracle, in process (${REPLAY})`, () => {
  const failures: string[] = [];
  let comparisons = 0;
  let undecided = 0;

  beforeAll(() => {
    const host = readHostAccounts();
    const { accepted } = acceptedPolicies(400, SEED);
    for (let round = 0; comparisons < ORACLE_WANT && round < 5; round++) {
      for (const p of accepted) {
        for (const svc of p.meaning.services) {
          const files = svc.account.flatMap((s) => (s.kind === "acl" ? [s.acl.file] : []));
          const [[users, cases]] = fc.sample(fc.tuple(testUsers, pamCases(files)), {
            seed: SEED + p.index * 7 + round * 100_003,
            numRuns: 1,
          }) as [[TestUser[], PamCase[]]];
          const db = new Accounts(host, users, []);
          const groups = groupNames(
            host,
            p.meaning,
            users.flatMap((u) => u.groups ?? []),
          );
          for (const c of cases) {
            const req = requestOf(svc.name, c, db, groups);
            const d = explainPam(p.view, req)!;
            const want = evaluate(svc.account, c, db);
            comparisons++;
            const got = pamtesterResult(d);
            if (got === "unknown") {
              undecided++;
              if (undecided < 4) console.log(`undecided: ${d.reason}`);
            }
            if (got !== want.expect) failures.push(show(p, svc.name, req, got, `oracle ${want.expect}`, `${d.reason} / ${want.why}`));
          }
        }
      }
    }
  }, 120_000);

  afterAll(() => console.log(`decide e2e: ${comparisons} comparisons with the oracle, ${failures.length} differ (${REPLAY})`));

  it(`answers at least ${ORACLE_WANT} generated requests as the oracle does`, () => {
    expect(comparisons).toBeGreaterThanOrEqual(ORACLE_WANT);
    expect(undecided, "requests the decision procedure could not decide").toBe(0);
    expect(failures.slice(0, 5).join("\n\n")).toBe("");
  });
});

describe.skipIf(missing.length > 0)(`the decision procedure against pamtester on the real Linux-PAM (${REPLAY})`, () => {
  let work = "";
  const compared: Array<{ what: string; got: string; real: string; output: string }> = [];
  const timing: Record<string, number> = {};

  beforeAll(async () => {
    let t = Date.now();
    work = await makeTempDir("policyc-decide-");
    const host = readHostAccounts();
    const { accepted } = acceptedPolicies(30, SEED + 1);
    const units: Array<{ unit: PamBatchUnit; reqs: PamRequest[]; p: Accepted }> = [];
    for (const p of accepted) {
      const tree = join(work, `t${p.index}`);
      for (const f of p.files) {
        const path = join(tree, f.path);
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, f.content);
        await chmod(path, f.mode);
      }
      const bytes = new TextEncoder().encode(p.text);
      // The oracle's cases (with the accounts they need), then generated ones on generated accounts.
      const oracle = pamExpectationsFor(join(tree, "p.policy"), host, bytes);
      for (const [k, exp] of oracle.entries()) {
        const svc = p.meaning.services[k]!;
        const db = new Accounts(host, exp.users ?? [], exp.groups ?? []);
        const groups = groupNames(host, p.meaning, [
          ...(exp.users ?? []).flatMap((u) => u.groups ?? []),
          ...(exp.groups ?? []).map((g) => g.name),
        ]);
        units.push({
          p,
          unit: { tree, service: exp.service, cases: exp.cases, users: exp.users ?? [], groups: exp.groups ?? [] },
          reqs: exp.cases.map((c) => requestOf(svc.name, c, db, groups)),
        });
        const files = svc.account.flatMap((s) => (s.kind === "acl" ? [s.acl.file] : []));
        const [[users, cases]] = fc.sample(fc.tuple(testUsers, pamCases(files)), { seed: SEED + p.index * 13 + k, numRuns: 1 }) as [
          [TestUser[], PamCase[]],
        ];
        const db2 = new Accounts(host, users, []);
        const groups2 = groupNames(
          host,
          p.meaning,
          users.flatMap((u) => u.groups ?? []),
        );
        units.push({ p, unit: { tree, service: exp.service, cases, users }, reqs: cases.map((c) => requestOf(svc.name, c, db2, groups2)) });
      }
    }
    timing.prepare = Date.now() - t;
    t = Date.now();
    // Two namespaces, balanced by case count.
    const halves: Array<typeof units> = [[], []];
    const load = [0, 0];
    for (const u of units) {
      const h = load[0]! <= load[1]! ? 0 : 1;
      halves[h]!.push(u);
      load[h]! += u.unit.cases.length + 2;
    }
    const results = await Promise.all(
      halves.map((h) =>
        h.length
          ? pamBatch(
              h.map((u) => u.unit),
              { timeoutMs: 300_000 },
            )
          : Promise.resolve([]),
      ),
    );
    timing.pamtester = Date.now() - t;
    halves.forEach((h, k) =>
      h.forEach((u, i) =>
        results[k]![i]!.forEach((res, j) => {
          const req = u.reqs[j]!;
          const d = explainPam(u.p.view, req)!;
          compared.push({
            what: show(u.p, u.unit.service, req, pamtesterResult(d), `pamtester ${res.result}`, d.reason),
            got: pamtesterResult(d),
            real: res.result,
            output: res.output,
          });
        }),
      ),
    );
  }, 400_000);

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
    console.log(`decide e2e: ${compared.length} comparisons with pamtester, timings ${JSON.stringify(timing)} (${REPLAY})`);
  });

  it(`answers at least ${REAL_WANT} requests as pamtester does on the built trees`, () => {
    expect(compared.length).toBeGreaterThanOrEqual(REAL_WANT);
    expect(new Set(compared.map((c) => c.real))).toEqual(new Set(["allow", "deny", "error"]));
    const wrong = compared.filter((c) => c.got !== c.real);
    expect(
      wrong
        .slice(0, 5)
        .map((c) => `${c.what}\npamtester: ${c.output}`)
        .join("\n\n"),
    ).toBe("");
  });
});

/** Writes a compiled tree under dir. */
async function writeTree(dir: string, files: Accepted["files"]): Promise<void> {
  for (const f of files) {
    const path = join(dir, f.path);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, f.content);
    await chmod(path, f.mode);
  }
}

describe.skipIf(missingMail.length > 0)(`the decision procedure against sendmail -bt (${REPLAY})`, () => {
  let work = "";
  const compared: Array<{ what: string; got: string; real: string }> = [];
  const problems: string[] = [];
  const rules = new Set<string>();
  let trees = 0;

  beforeAll(async () => {
    work = await makeTempDir("policyc-decide-mail-");
    const { accepted } = acceptedPolicies(12, SEED + 2, "mail");
    for (const p of accepted) {
      const mail = p.view.model.mail!;
      const tree = join(work, `t${p.index}`);
      await writeTree(tree, p.files);
      const reqs = mailRequests(mail, SEED + p.index);
      const cases: VerifyCase[] = [];
      const asked: Array<{ req: MailRequest; got: string }> = [];
      for (const req of reqs) {
        const d = explainMail(p.view, req);
        // check_rcpt in -bt has no socket: a socket that requires AUTH refuses before RCPT, which -bt cannot show.
        if (d.rule === "auth required") continue;
        rules.add(d.rule);
        asked.push({ req, got: d.decision === "accept" ? "accepted" : "refused" });
        cases.push({
          group: "decide",
          title: JSON.stringify(req),
          expect: d.decision === "accept" ? "accepted" : "refused",
          recipient: req.recipient,
          clientAddr: req.clientAddr ?? "192.0.2.1",
          authType: req.auth ?? "",
        });
      }
      if (!cases.length) continue;
      const report = verifyTree(tree, { cases, cfDir: "/usr/share/sendmail/cf" });
      trees++;
      if (report.problems.length) problems.push(`policy #${p.index}: ${report.problems.join("; ")}\n${p.text}`);
      report.results.forEach((r, i) =>
        compared.push({
          what: `policy #${p.index} (${REPLAY}): ${r.title}: decide ${asked[i]!.got}, sendmail ${r.outcome} (${r.summary})\n${p.text}`,
          got: asked[i]!.got,
          real: r.outcome,
        }),
      );
    }
  }, 400_000);

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
    console.log(
      `decide e2e: ${compared.length} comparisons with sendmail -bt on ${trees} trees, rules ${[...rules].join(", ")} (${REPLAY})`,
    );
  });

  it("answers generated relay requests as sendmail's check_rcpt does", () => {
    expect(problems.slice(0, 3).join("\n\n")).toBe("");
    expect(compared.length).toBeGreaterThanOrEqual(100);
    // Every way to be accepted, and refusal, came up (a test that only ever saw one answer would prove little).
    expect([...rules].sort()).toEqual([
      "local domain",
      "no rule",
      "originated locally",
      "relay domain",
      "relay network",
      "trusted mechanism",
    ]);
    const wrong = compared.filter((c) => c.got !== c.real);
    expect(
      wrong
        .slice(0, 5)
        .map((c) => c.what)
        .join("\n\n"),
    ).toBe("");
  });
});
