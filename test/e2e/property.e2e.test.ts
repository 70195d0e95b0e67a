/**
 * The README's safety promises as properties, on the real software.
 *
 * fast-check generates whole policies (arbitrary-policy.ts). Each is built
 * with the CLI's own code (`policyc build` run by main() in process), and:
 *
 * - refused: exit 1 with error diagnostics and nothing written; a policy
 *   holding an unsafe ingredient the README promises to refuse (an open
 *   relay in any spelling, access lists that can be skipped, ...) is refused
 *   with that code;
 * - accepted, with a mail block: `policyc verify OUT` (the command's code from
 *   the bundle, one long-lived process per half) passes on the real m4,
 *   makemap and sendmail -bt ("build never writes a tree that verify
 *   fails"), and its cases cover what the POLICY says (each local domain,
 *   relay domain, trusted and untrusted mechanism; the access map relays for
 *   exactly the policy's networks);
 * - accepted, with services: every request the oracle (oracle.ts, which reads
 *   the policy with the parser only) derives for each PAM service gets the
 *   oracle's answer from pamtester on the real Linux-PAM, all trees batched
 *   in four private namespaces.
 *
 * One seed per run (fixed by default), printed at the start and in every
 * failure; POLICYC_PROPERTY_SEED=N runs another (or replays one), =random
 * draws one, and POLICYC_PROPERTY_RUNS sets the number of accepted policies
 * (default 300).
 */
import fc from "fast-check";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { compile } from "../../src/compile.js";
import { ROOT, TEMPLATES } from "../helpers.js";
import { policy, type GeneratedPolicy } from "./arbitrary-policy.js";
import { cidrRange, pamExpectationsFor, readHostAccounts, readPolicy } from "./oracle.js";
import type { PamExpectation } from "./stack-suite.js";
import {
  PAM_TOOLS,
  createSandbox,
  exec,
  makeTempDir,
  pamBatch,
  sq,
  requireTools,
  skipBanner,
  type PamBatchUnit,
  type PamCaseResult,
} from "./stack.js";

/** The run's seed: fixed, so that CI is reproducible; POLICYC_PROPERTY_SEED=N changes it, =random draws one. */
const SEED_ENV = process.env.POLICYC_PROPERTY_SEED ?? "20261125";
const SEED = SEED_ENV === "random" ? Math.floor(Math.random() * 2 ** 31) : Number(SEED_ENV);
if (!Number.isSafeInteger(SEED)) throw new Error(`POLICYC_PROPERTY_SEED must be an integer or "random", not ${JSON.stringify(SEED_ENV)}`);
const WANT = Number(process.env.POLICYC_PROPERTY_RUNS ?? 300);
const REPLAY = `seed ${SEED} (replay: POLICYC_PROPERTY_SEED=${SEED} npx vitest run test/e2e/property.e2e.test.ts)`;
const DEBIAN_CF_DIR = "/usr/share/sendmail/cf";
const VERIFY_TOOLS = ["m4", "sendmail", "makemap", `file:${DEBIAN_CF_DIR}/m4/cf.m4`, "unshare"];

const missing = requireTools([...PAM_TOOLS, ...VERIFY_TOOLS]);
if (missing.length) console.warn(skipBanner("property tests on the real PAM and sendmail", missing));

interface Run {
  index: number;
  gen: GeneratedPolicy;
  file: string;
  out: string;
  /** compile() said: no error. */
  apiAccepts: boolean;
  build: { code: number | null; stdout: string; stderr: string };
  codes: string[];
  verify?: { code: number | null; stdout: string; stderr: string };
  pam?: PamExpectation[];
  oracleError?: string;
}

/**
 * Run the CLI's main() in this process, capturing what it prints. An
 * exception that escapes is reported as the executable would (exit 70).
 */
async function cli(argv: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const out = process.stdout.write;
  const err = process.stderr.write;
  let stdout = "";
  let stderr = "";
  process.stdout.write = ((s: string | Uint8Array) => ((stdout += String(s)), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => ((stderr += String(s)), true)) as typeof process.stderr.write;
  try {
    return { code: await main(argv), stdout, stderr };
  } catch (e) {
    return { code: 70, stdout, stderr: `${stderr}policyc: internal error: ${(e as Error).stack}\n` };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

/**
 * `policyc verify TREE` for each run, in ONE node process running the
 * command's own code (dist/verify.js, which the executable loads for
 * `verify`) tree after tree: the same checks on the real m4, makemap and
 * sendmail -bt, without a node start-up per tree. Sets each run's `verify`.
 */
async function verifyMany(share: Run[]): Promise<void> {
  if (share.length === 0) return;
  if (!existsSync(join(ROOT, "dist/verify.js"))) throw new Error("dist/verify.js is missing: run npm run build first (npm test does).");
  const script = [
    `import { verifyCommand } from ${JSON.stringify(join(ROOT, "dist/verify.js"))};`,
    "const trees = JSON.parse(process.argv[1]);",
    "trees.forEach((args, i) => {",
    "  process.stdout.write(`@@TREE ${i}\\n`); process.stderr.write(`@@TREE ${i}\\n`);",
    "  let code; try { code = verifyCommand(args); } catch (e) { process.stderr.write(`internal error: ${e.stack}\\n`); code = 70; }",
    "  process.stdout.write(`@@EXIT ${i} ${code}\\n`);",
    "});",
  ].join("\n");
  const args = share.map((r) => [r.out, ...(r.gen.platform === "redhat" ? ["--cf-dir", DEBIAN_CF_DIR] : [])]);
  const res = await exec(process.execPath, ["--input-type=module", "-e", script, JSON.stringify(args)], { timeoutMs: 500_000 });
  const split = (text: string) => text.split(/^@@TREE \d+\n/m).slice(1);
  const outs = split(res.stdout);
  const errs = split(res.stderr);
  share.forEach((r, i) => {
    const out = outs[i] ?? "";
    const m = /^@@EXIT \d+ (\d+)$/m.exec(out);
    r.verify = {
      code: m ? Number(m[1]) : null,
      stdout: out.replace(/^@@EXIT.*\n?/m, ""),
      stderr: (errs[i] ?? "") + (m ? "" : `(no exit status; verify process: exit ${res.code}, ${res.stderr.slice(-500)})`),
    };
  });
}

/** A counterexample as the report shows it. */
function show(r: Run, what: string): string {
  return `--- policy #${r.index} (${REPLAY}): ${what}\n${r.gen.text}`;
}

/** Merge [lo, hi] ranges into disjoint sorted ones. */
function union(ranges: Array<[number, number]>): Array<[number, number]> {
  const s = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: Array<[number, number]> = [];
  for (const [a, b] of s) {
    const last = out[out.length - 1];
    if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

/** The IPv4 range of a sendmail whole-octet prefix ("10.20" is 10.20.0.0/16). */
function prefixRange(p: string): [number, number] {
  const octets = p.split(".");
  return cidrRange(`${[...octets, "0", "0", "0", "0"].slice(0, 4).join(".")}/${octets.length * 8}`);
}

const domainOf = (d: string) => d.toLowerCase().replace(/\.$/, "");

describe.skipIf(missing.length > 0)(`generated policies on the real PAM and sendmail (${REPLAY})`, () => {
  let work = "";
  const runs: Run[] = [];
  const pamResults = new Map<Run, PamCaseResult[][]>();
  const timing: Record<string, number> = {};

  beforeAll(async () => {
    console.log(`property e2e: ${REPLAY}, ${WANT} accepted policies wanted`);
    work = await makeTempDir("policyc-prop-");
    let t = Date.now();
    // 1. Generate; compile() in process picks how many to take for WANT accepted ones.
    const sample = fc.sample(policy, { seed: SEED, numRuns: WANT * 3 });
    const chosen: Array<{ gen: GeneratedPolicy; ok: boolean }> = [];
    let accepted = 0;
    for (const gen of sample) {
      if (accepted >= WANT) break;
      const r = compile("p.policy", new TextEncoder().encode(gen.text), { templates: TEMPLATES });
      const ok = !r.diagnostics.hasErrors;
      if (ok) accepted++;
      chosen.push({ gen, ok });
    }
    timing.generate = Date.now() - t;

    // 2. Build each with the CLI's own code (main(["build", ...]) in this process: the
    //    bundle's entry adds only process start-up, which costs more than the build here).
    t = Date.now();
    for (const [index, { gen, ok }] of chosen.entries()) {
      const file = join(work, `p${index}.policy`);
      const out = join(work, `t${index}`);
      await writeFile(file, gen.text);
      // --templates: the default is found relative to the bundle (dist/), not to src/cli.
      const b = await cli(["build", file, "-o", out, "--format", "json", "--templates", TEMPLATES]);
      let codes: string[] = [];
      try {
        codes = (JSON.parse(b.stdout) as { diagnostics: Array<{ code: string; severity: string }> }).diagnostics
          .filter((d) => d.severity === "error")
          .map((d) => d.code);
      } catch {
        codes = [`(no JSON on stdout: ${b.stdout.slice(0, 200)})`];
      }
      runs[index] = { index, gen, file, out, apiAccepts: ok, build: b, codes };
    }
    timing.build = Date.now() - t;

    // 3. The oracle's PAM cases for every accepted tree.
    const accounts = readHostAccounts();
    const units: Array<{ run: Run; svc: number; unit: PamBatchUnit }> = [];
    for (const r of runs.filter((r) => r.build.code === 0)) {
      try {
        r.pam = pamExpectationsFor(r.file, accounts, new TextEncoder().encode(r.gen.text));
      } catch (e) {
        r.oracleError = (e as Error).message;
        continue;
      }
      r.pam.forEach((p, svc) =>
        units.push({ run: r, svc, unit: { tree: r.out, service: p.service, cases: p.cases, users: p.users, groups: p.groups } }),
      );
    }
    // Four namespaces, each running its share of the units in turn (balanced by case count):
    // a case is mostly waiting for a CPU on a shared machine, so four overlap better than two.
    const halves: Array<typeof units> = [[], [], [], []];
    const load = [0, 0, 0, 0];
    for (const u of units) {
      const h = load.indexOf(Math.min(...load));
      halves[h]!.push(u);
      load[h]! += u.unit.cases.length + 2;
    }

    // 4. At the same time: verify every accepted tree that has mail (two at a time), and
    //    pamtester on every tree's services.
    t = Date.now();
    const mailTrees = runs.filter((r) => r.build.code === 0 && r.gen.hasMail);
    const shares = [mailTrees.filter((_, i) => i % 2 === 0), mailTrees.filter((_, i) => i % 2 === 1)];
    const verifying = Promise.all(shares.map((share) => verifyMany(share))).then(() => (timing.verify = Date.now() - t));
    const pamming = Promise.all(
      halves.map((h) =>
        h.length
          ? pamBatch(
              h.map((u) => u.unit),
              { timeoutMs: 400_000 },
            )
          : Promise.resolve([]),
      ),
    ).then((results) => {
      halves.forEach((h, k) =>
        h.forEach((u, i) => {
          const list = pamResults.get(u.run) ?? [];
          list[u.svc] = results[k]![i]!;
          pamResults.set(u.run, list);
        }),
      );
      timing.pam = Date.now() - t;
    });
    await Promise.all([verifying, pamming]);
    timing.verifyAndPam = Date.now() - t;
    timing.pamCases = units.reduce((n, u) => n + u.unit.cases.length, 0);
    timing.pamServices = units.length;
    timing.mailTrees = mailTrees.length;
  }, 600_000);

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
    console.log(
      `property e2e: ${REPLAY}: ${runs.length} policies built, ${runs.filter((r) => r.build.code === 0).length} accepted; timings ${JSON.stringify(timing)}`,
    );
  });

  it(`builds at least ${WANT} accepted policies with the real CLI, and the CLI agrees with compile()`, () => {
    const accepted = runs.filter((r) => r.build.code === 0);
    expect(accepted.length, REPLAY).toBeGreaterThanOrEqual(WANT);
    const disagree = runs.filter((r) => (r.build.code === 0) !== r.apiAccepts);
    expect(
      disagree.map((r) => show(r, `compile() ${r.apiAccepts ? "accepts" : "refuses"}, build exit ${r.build.code}`)).join("\n"),
      REPLAY,
    ).toBe("");
  });

  it("a refused policy: exit 1, error diagnostics (no crash, no stack trace) and nothing written", () => {
    const bad = runs
      .filter((r) => r.build.code !== 0)
      .flatMap((r) => {
        const problems: string[] = [];
        if (r.build.code !== 1) problems.push(`exit ${r.build.code}`);
        if (r.codes.length === 0) problems.push("no error diagnostic");
        if (/\n\s+at /.test(r.build.stderr)) problems.push(`a stack trace: ${r.build.stderr.slice(0, 400)}`);
        if (existsSync(r.out) && readdirSync(r.out).length > 0) problems.push(`wrote ${readdirSync(r.out).join(", ")}`);
        return problems.length ? [show(r, problems.join("; "))] : [];
      });
    expect(bad.join("\n"), REPLAY).toBe("");
  });

  it("an open relay in any spelling, a skippable access list, ...: refused, with the promised code when it is the only fault", () => {
    // With several faults one may hide another (an acl with an illegal apply is dropped, so
    // nothing is left to skip): then only the refusal itself is required.
    const bad = runs.flatMap((r) => {
      const codes = new Set(r.gen.mustRefuse.map(([code]) => code));
      return r.gen.mustRefuse
        .filter(([code]) => r.build.code === 0 || (codes.size === 1 && !r.codes.includes(code)))
        .map(([code, what]) => show(r, `${what}: expected ${code}, build exit ${r.build.code} with ${r.codes.join(", ") || "no errors"}`));
    });
    expect(bad.join("\n"), REPLAY).toBe("");
  });

  it("build never writes a tree that verify fails (policyc verify on the real m4 + sendmail -bt)", () => {
    const trees = runs.filter((r) => r.verify);
    expect(trees.length, REPLAY).toBeGreaterThan(WANT / 3);
    const bad = trees
      .filter((r) => r.verify!.code !== 0)
      .map((r) =>
        show(
          r,
          `verify exit ${r.verify!.code}\n${r
            .verify!.stdout.split("\n")
            .filter((l) => !l.startsWith("ok "))
            .join("\n")}${r.verify!.stderr}`,
        ),
      );
    expect(bad.join("\n"), REPLAY).toBe("");
  });

  it("verify's checks cover the policy: its local domains, relay domains, trusted and untrusted mechanisms, and exactly its relay networks", () => {
    const bad: string[] = [];
    for (const r of runs.filter((r) => r.verify?.code === 0)) {
      const mail = readPolicy(r.file, new TextEncoder().encode(r.gen.text)).mail!;
      const ok = r.verify!.stdout.split("\n").filter((l) => l.startsWith("ok "));
      const has = (re: RegExp) => ok.some((l) => re.test(l));
      const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      const problems: string[] = [];
      for (const d of mail.domains)
        if (!has(new RegExp(`^ok +local recipient <postmaster@${esc(domainOf(d))}>`))) problems.push(`no local recipient check for ${d}`);
      for (const d of mail.relayDomains)
        if (!has(new RegExp(`^ok +relay domain <someone@${esc(domainOf(d))}>`))) problems.push(`no accepted relay domain check for ${d}`);
      const offered = mail.mechanisms.map((m) => m.toUpperCase());
      const trusted = (mail.relayAuthenticated ?? []).map((m) => m.toUpperCase());
      for (const m of trusted)
        if (!has(new RegExp(`^ok +AUTH ${esc(m)} \\(TRUST_AUTH_MECH\\)`))) problems.push(`no accepted AUTH ${m} check`);
      for (const m of offered.filter((m) => !trusted.includes(m)))
        if (!has(new RegExp(`^ok +AUTH ${esc(m)} \\(offered, not in TRUST_AUTH_MECH\\).*: refused`)))
          problems.push(`no refused AUTH ${m} check`);
      for (const trick of ["foreign recipient", "percent hack", "bang path", "quoted local part", "source route"])
        if (!has(new RegExp(`^ok +${trick} .*: refused`))) problems.push(`no refused ${trick} check`);
      // The access map relays for exactly the policy's IPv4 networks.
      const access = readFileSync(join(r.out, "etc/mail/access"), "utf8");
      const prefixes = [...access.matchAll(/^Connect:([\d.]+)\s+RELAY\s*$/gm)].map((m) => m[1]!);
      const want = union(mail.relayNetworks.filter((n) => !n.includes(":")).map(cidrRange));
      const got = union(prefixes.map(prefixRange));
      if (JSON.stringify(want) !== JSON.stringify(got))
        problems.push(`access map relays for ${JSON.stringify(got)}, the policy's networks are ${JSON.stringify(want)}`);
      for (const p of prefixes)
        if (!has(new RegExp(`^ok +relay network client \\S+ \\(Connect:${esc(p)} RELAY\\)`)))
          problems.push(`no relay network check for ${p}`);
      if (problems.length) bad.push(show(r, problems.join("; ")));
    }
    expect(bad.join("\n"), REPLAY).toBe("");
  });

  it("the oracle models every accepted policy", () => {
    const bad = runs.filter((r) => r.oracleError).map((r) => show(r, `oracle: ${r.oracleError}`));
    expect(bad.join("\n"), REPLAY).toBe("");
  });

  it("every request gets the answer the oracle expects from pamtester on the real Linux-PAM", () => {
    const withPam = runs.filter((r) => (r.pam?.length ?? 0) > 0);
    expect(withPam.length, REPLAY).toBeGreaterThan(WANT / 3);
    const bad: string[] = [];
    let cases = 0;
    for (const r of withPam) {
      const results = pamResults.get(r) ?? [];
      r.pam!.forEach((p, svc) => {
        const got = results[svc];
        if (!got) {
          bad.push(show(r, `no pamtester results for ${p.service}`));
          return;
        }
        const wrong = p.cases.flatMap((c, i) => {
          cases++;
          const g = got[i]!;
          if (g.result === c.expect) return [];
          const items = (["rhost", "tty", "ruser"] as const).filter((k) => c[k] !== undefined).map((k) => `${k}=${c[k]}`);
          return [
            `  ${p.service} user=${c.user} ${items.join(" ")}${c.file ? ` [${c.file.path} ${c.file.state}]` : ""}: pamtester ${g.result} (${g.output.split("\n").pop()}), oracle ${c.expect} (${c.why})`,
          ];
        });
        if (wrong.length)
          bad.push(
            show(
              r,
              `PAM answers differ:\n${wrong.join("\n")}\n--- ${p.service}:\n${readFileSync(join(r.out, "etc/pam.d", p.service), "utf8")}`,
            ),
          );
      });
    }
    expect(cases, REPLAY).toBeGreaterThan(0);
    expect(bad.slice(0, 12).join("\n") + (bad.length > 12 ? `\n... and ${bad.length - 12} more policies` : ""), REPLAY).toBe("");
  });
});

/**
 * Files the stock PAM modules and the C library read on every login. A list
 * file written there replaces them on the host: /etc/nologin makes
 * pam_nologin refuse every user but root, a list file on /etc/passwd drops
 * every account. policyc must refuse such a path or the host's own `login`
 * must still let a user in exactly as before.
 */
const SYSTEM_FILES = [
  "/etc/nologin",
  "/etc/passwd",
  "/etc/shadow",
  "/etc/group",
  "/etc/securetty",
  "/etc/security/access.conf",
  "/etc/shells",
  "/etc/environment",
  "/etc/security/limits.conf",
  "/etc/security/time.conf",
];

describe.skipIf(missing.length > 0)(`list files on system files do not lock the host out (${REPLAY})`, () => {
  const USER = "e2e-login";
  const PASSWORD = "e2e-Login-1";
  // Every file once; what the list says about it is generated.
  const policies = SYSTEM_FILES.map((file, i) => ({
    file,
    ...fc.sample(
      fc.record({
        item: fc.constantFrom("user", "group", "shell", "ruser"),
        sense: fc.constantFrom("allow", "deny"),
        entry: fc.constantFrom("mallory", "root", "wheel", "/bin/bash"),
      }),
      { seed: SEED + i, numRuns: 1 },
    )[0]!,
  }));
  const results: Array<{ text: string; exit: number | null; before: string; after: string }> = [];

  beforeAll(async () => {
    const work = await makeTempDir("policyc-prop-sys-");
    const empty = join(work, "empty");
    await mkdir(empty);
    // One sandbox: accounts first, then each tree laid over them (as a deployment would lay it
    // over the host), the host's login run before and after, and the tree's files put back.
    const sb = await createSandbox(empty, { users: [{ name: USER }] });
    try {
      // A password, so that authentication succeeds (a failure costs login's pam_faildelay 3 s).
      const hash = await exec("openssl", ["passwd", "-6", "-salt", "e2esalt", PASSWORD]);
      if (hash.code !== 0) throw new Error(`openssl passwd failed: ${hash.stderr}`);
      const shadow = join(sb.etc, "shadow");
      await writeFile(shadow, readFileSync(shadow, "utf8").replace(new RegExp(`^${USER}:\\*:`, "m"), `${USER}:${hash.stdout.trim()}:`));
      const pristine = join(sb.root, "pristine");
      await exec("cp", ["-a", sb.etc, pristine]);
      const login = `pamtester login ${USER} acct_mgmt 2>&1; echo ${PASSWORD} | pamtester login ${USER} authenticate 2>&1; echo`;
      const script: string[] = [];
      const built: Array<{ text: string; exit: number | null }> = [];
      for (const [i, p] of policies.entries()) {
        const text = `platform debian;\nservice ftpd {\n  acl ${p.item} ${p.sense} "${p.file}" { entries ${p.entry}; }\n}\n`;
        const file = join(work, `s${i}.policy`);
        const out = join(work, `s${i}`);
        await writeFile(file, text);
        const b = await cli(["build", file, "-o", out, "-q", "--templates", TEMPLATES]);
        built.push({ text, exit: b.code });
        if (b.code !== 0) continue;
        const files = [
          ...new Set(
            (await readdir(join(out, "etc"), { recursive: true, withFileTypes: true }))
              .filter((e) => e.isFile())
              .map((e) => join(e.parentPath, e.name).slice(join(out, "etc").length + 1)),
          ),
        ];
        script.push(
          `echo "@@BEFORE ${i}"`,
          login,
          `cp -R --preserve=mode ${sq(join(out, "etc"))}/. /etc/`,
          `echo "@@AFTER ${i}"`,
          login,
          `echo "@@DONE ${i}"`,
        );
        for (const f of files)
          script.push(existsSync(join(pristine, f)) ? `cp -a ${sq(join(pristine, f))} ${sq(`/etc/${f}`)}` : `rm -f -- ${sq(`/etc/${f}`)}`);
      }
      const r = await sb.sh(script.join("\n") + "\n", 120_000);
      built.forEach((b, i) => {
        const m = new RegExp(`@@BEFORE ${i}\\n([\\s\\S]*?)@@AFTER ${i}\\n([\\s\\S]*?)@@DONE ${i}\\n`).exec(r.stdout);
        results.push({ ...b, before: m?.[1]?.trim() ?? (b.exit === 0 ? `(no output: ${r.stderr})` : ""), after: m?.[2]?.trim() ?? "" });
      });
    } finally {
      await sb.cleanup();
      await rm(work, { recursive: true, force: true });
    }
  }, 300_000);

  it("the host's login service still lets a user in after the tree is laid over it, or the policy is refused", () => {
    expect(results.length).toBeGreaterThan(3);
    // Baseline: the account stack passes and the password is accepted.
    for (const r of results.filter((r) => r.exit === 0))
      expect(r.before, r.text).toMatch(/account management done[\s\S]*successfully authenticated/);
    const bad = results
      .filter((r) => r.exit === 0 && r.after !== r.before)
      .map((r) => `--- (${REPLAY})\n${r.text}login before: ${JSON.stringify(r.before)}\nlogin after:  ${JSON.stringify(r.after)}`);
    expect(bad.join("\n"), REPLAY).toBe("");
  });
});
