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
 *   in four private namespaces;
 * - accepted, with a mail block without `auth`: on a few of those trees the
 *   real sendmail daemon's EHLO offers exactly the mechanisms the oracle
 *   expects, none.
 *
 * Fleet policies (roles taken by several hosts through an inventory file
 * and `role` lines) build one tree per host, OUT/HOST; the oracle reads each
 * host's meaning (the top level, its roles, its own statements) and every
 * tree is checked like a single-host one.
 *
 * One seed per run (fixed by default), printed at the start and in every
 * failure; POLICYC_PROPERTY_SEED=N runs another (or replays one), =random
 * draws one, and POLICYC_PROPERTY_RUNS sets the number of accepted trees
 * (default 300; a fleet policy gives one per host).
 */
import fc from "fast-check";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { compile } from "../../src/compile.js";
import { ROOT, TEMPLATES } from "../helpers.js";
import { anyPolicy, type GeneratedPolicy } from "./arbitrary-policy.js";
import { cidrRange, pamExpectation, readHostAccounts, readPolicy, smtpExpectation, type MailMeaning } from "./oracle.js";
import type { PamExpectation } from "./stack-suite.js";
import {
  CLIENT,
  PAM_TOOLS,
  SMTP_TOOLS,
  createSandbox,
  ehloAuthMechanisms,
  startSendmail,
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

const missing = requireTools([...PAM_TOOLS, ...VERIFY_TOOLS, ...SMTP_TOOLS]);
/** How many trees with a mail block without `auth` meet the real sendmail daemon (EHLO). */
const EHLO_TREES = 3;
if (missing.length) console.warn(skipBanner("property tests on the real PAM and sendmail", missing));

/** One tree of an accepted build: OUT itself, or OUT/HOST for a policy with hosts. */
interface Tree {
  host: string | null;
  dir: string;
  /** The generator put a mail block in it. */
  hasMail: boolean;
  /** The oracle's meaning of its mail block. */
  mail?: MailMeaning;
  pam?: PamExpectation[];
  verify?: { code: number | null; stdout: string; stderr: string };
  /** EHLO's AUTH mechanisms from the real daemon, when this tree was chosen for it. */
  ehlo?: { got: string[] | null; want: string[]; error?: string };
}

interface Run {
  index: number;
  gen: GeneratedPolicy;
  file: string;
  out: string;
  /** compile() said: no error. */
  apiAccepts: boolean;
  build: { code: number | null; stdout: string; stderr: string };
  codes: string[];
  trees: Tree[];
  oracleError?: string;
}

/** The trees `build -o OUT` writes for a generated policy. */
function treesOf(gen: GeneratedPolicy, out: string): Tree[] {
  if (gen.hosts.length === 0) return [{ host: null, dir: out, hasMail: gen.hasMail }];
  return gen.hosts.map((h) => ({ host: h, dir: join(out, h), hasMail: gen.mailHosts.includes(h) }));
}

/** Write a generated policy and the files it reads into a folder of its own; the policy's path. */
async function writePolicy(dir: string, gen: GeneratedPolicy): Promise<string> {
  await mkdir(dir, { recursive: true });
  for (const [name, text] of Object.entries(gen.files)) await writeFile(join(dir, name), text);
  const file = join(dir, "p.policy");
  await writeFile(file, gen.text);
  return file;
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
async function verifyMany(share: Array<{ tree: Tree; platform: string }>): Promise<void> {
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
  const args = share.map((r) => [r.tree.dir, ...(r.platform === "redhat" ? ["--cf-dir", DEBIAN_CF_DIR] : [])]);
  const res = await exec(process.execPath, ["--input-type=module", "-e", script, JSON.stringify(args)], { timeoutMs: 500_000 });
  const split = (text: string) => text.split(/^@@TREE \d+\n/m).slice(1);
  const outs = split(res.stdout);
  const errs = split(res.stderr);
  share.forEach((r, i) => {
    const out = outs[i] ?? "";
    const m = /^@@EXIT \d+ (\d+)$/m.exec(out);
    r.tree.verify = {
      code: m ? Number(m[1]) : null,
      stdout: out.replace(/^@@EXIT.*\n?/m, ""),
      stderr: (errs[i] ?? "") + (m ? "" : `(no exit status; verify process: exit ${res.code}, ${res.stderr.slice(-500)})`),
    };
  });
}

/** A counterexample as the report shows it (with the files it reads; `tree` names the host). */
function show(r: Run, what: string, tree?: Tree): string {
  const files = Object.entries(r.gen.files).map(([name, text]) => `--- ${name}:\n${text}`);
  return [`--- policy #${r.index}${tree?.host ? ` host ${tree.host}` : ""} (${REPLAY}): ${what}`, r.gen.text, ...files].join("\n");
}

/**
 * Start the real sendmail on each tree (one after the other) and read the
 * AUTH mechanisms its EHLO offers on the oracle's AUTH socket.
 */
async function ehloMany(trees: Array<{ tree: Tree; platform: "debian" | "redhat" }>): Promise<void> {
  for (const { tree, platform } of trees) {
    const exp = smtpExpectation(tree.mail!);
    tree.ehlo = { got: null, want: exp.offeredMechanisms };
    const socket = exp.authSocket ?? exp.socket ?? { port: 25 };
    try {
      const sm = await startSendmail(tree.dir, {
        hostName: exp.hostName,
        platform,
        serverAddresses: exp.serverAddresses,
        greetSocket: socket,
        clientAddresses: [exp.clientAddress ?? CLIENT.ip],
        saslAccounts: exp.saslAccounts,
        tlsFiles: exp.tls?.files,
      });
      try {
        tree.ehlo.got = await ehloAuthMechanisms(sm, { socket, client: exp.clientAddress });
      } finally {
        await sm.stop();
      }
    } catch (e) {
      tree.ehlo.error = (e as Error).message.slice(0, 2000);
    }
  }
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
  const pamResults = new Map<Tree, PamCaseResult[][]>();
  const timing: Record<string, number> = {};

  beforeAll(async () => {
    console.log(`property e2e: ${REPLAY}, ${WANT} accepted trees wanted`);
    work = await makeTempDir("policyc-prop-");
    let t = Date.now();
    // 1. Generate; compile() in process picks how many to take for WANT accepted trees.
    //    Each policy gets a folder of its own (a fleet's inventory is read next to it).
    const sample = fc.sample(anyPolicy, { seed: SEED, numRuns: WANT * 3 });
    const chosen: Array<{ gen: GeneratedPolicy; ok: boolean; file: string }> = [];
    let accepted = 0;
    for (const gen of sample) {
      if (accepted >= WANT) break;
      const file = await writePolicy(join(work, `p${chosen.length}`), gen);
      const r = compile(file, new TextEncoder().encode(gen.text), { templates: TEMPLATES });
      const ok = !r.diagnostics.hasErrors;
      if (ok) accepted += Math.max(gen.hosts.length, 1);
      chosen.push({ gen, ok, file });
    }
    timing.generate = Date.now() - t;

    // 2. Build each with the CLI's own code (main(["build", ...]) in this process: the
    //    bundle's entry adds only process start-up, which costs more than the build here).
    t = Date.now();
    for (const [index, { gen, ok, file }] of chosen.entries()) {
      const out = join(work, `t${index}`);
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
      runs[index] = { index, gen, file, out, apiAccepts: ok, build: b, codes, trees: b.code === 0 ? treesOf(gen, out) : [] };
    }
    timing.build = Date.now() - t;

    // 3. The oracle's meaning of every accepted tree (each host's for a fleet) and its PAM cases.
    const accounts = readHostAccounts();
    const units: Array<{ tree: Tree; svc: number; unit: PamBatchUnit }> = [];
    for (const r of runs.filter((r) => r.build.code === 0)) {
      for (const tree of r.trees) {
        try {
          const meaning = readPolicy(r.file, new TextEncoder().encode(r.gen.text), tree.host ?? undefined);
          tree.mail = meaning.mail;
          tree.pam = meaning.services.map((s) => pamExpectation(s, meaning, accounts));
        } catch (e) {
          r.oracleError = `${tree.host ? `host ${tree.host}: ` : ""}${(e as Error).message}`;
          continue;
        }
        tree.pam.forEach((p, svc) =>
          units.push({ tree, svc, unit: { tree: tree.dir, service: p.service, cases: p.cases, users: p.users, groups: p.groups } }),
        );
      }
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

    // 4. At the same time: verify every accepted tree that has mail (two at a time),
    //    pamtester on every tree's services, and EHLO on the real daemon for a few trees
    //    whose mail block has no auth (fleets' first, then in order).
    t = Date.now();
    const mailTrees = runs
      .filter((r) => r.build.code === 0)
      .flatMap((r) =>
        r.trees.filter((tree) => tree.hasMail).map((tree) => ({ tree, platform: r.gen.platform, fleet: r.gen.hosts.length > 0 })),
      );
    const shares = [mailTrees.filter((_, i) => i % 2 === 0), mailTrees.filter((_, i) => i % 2 === 1)];
    const verifying = Promise.all(shares.map((share) => verifyMany(share))).then(() => (timing.verify = Date.now() - t));
    // (the daemon must greet on an IPv4 socket the oracle names; TLS files are left out)
    const noAuth = mailTrees.filter(({ tree: { mail } }) => {
      if (!mail || mail.mechanisms.length > 0 || mail.tls.certificate) return false;
      const exp = smtpExpectation(mail);
      return Boolean(exp.authSocket ?? exp.socket);
    });
    const ehloTrees = [...noAuth.filter((m) => m.fleet).slice(0, 1), ...noAuth.filter((m) => !m.fleet)].slice(0, EHLO_TREES);
    const ehloing = ehloMany(ehloTrees).then(() => (timing.ehlo = Date.now() - t));
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
          const list = pamResults.get(u.tree) ?? [];
          list[u.svc] = results[k]![i]!;
          pamResults.set(u.tree, list);
        }),
      );
      timing.pam = Date.now() - t;
    });
    await Promise.all([verifying, pamming, ehloing]);
    timing.verifyAndPam = Date.now() - t;
    timing.pamCases = units.reduce((n, u) => n + u.unit.cases.length, 0);
    timing.pamServices = units.length;
    timing.mailTrees = mailTrees.length;
    timing.trees = runs.reduce((n, r) => n + r.trees.length, 0);
    timing.fleets = runs.filter((r) => r.build.code === 0 && r.gen.hosts.length > 0).length;
    timing.noAuthMailTrees = noAuth.length;
  }, 600_000);

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
    console.log(
      `property e2e: ${REPLAY}: ${runs.length} policies built, ${runs.filter((r) => r.build.code === 0).length} accepted; timings ${JSON.stringify(timing)}`,
    );
  });

  it(`builds at least ${WANT} accepted trees with the real CLI, fleets among them, and the CLI agrees with compile()`, () => {
    const accepted = runs.filter((r) => r.build.code === 0);
    expect(
      accepted.reduce((n, r) => n + r.trees.length, 0),
      REPLAY,
    ).toBeGreaterThanOrEqual(WANT);
    expect(accepted.filter((r) => r.gen.hosts.length > 0).length, REPLAY).toBeGreaterThan(WANT / 30);
    for (const r of accepted) for (const tree of r.trees) expect(existsSync(tree.dir), show(r, `no tree ${tree.dir}`, tree)).toBe(true);
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
    const trees = runs.flatMap((r) => r.trees.filter((tree) => tree.verify).map((tree) => ({ r, tree })));
    expect(trees.length, REPLAY).toBeGreaterThan(WANT / 3);
    const bad = trees
      .filter(({ tree }) => tree.verify!.code !== 0)
      .map(({ r, tree }) =>
        show(
          r,
          `verify exit ${tree.verify!.code}\n${tree
            .verify!.stdout.split("\n")
            .filter((l) => !l.startsWith("ok "))
            .join("\n")}${tree.verify!.stderr}`,
          tree,
        ),
      );
    expect(bad.join("\n"), REPLAY).toBe("");
  });

  it("verify's checks cover the policy: its local domains, relay domains, trusted and untrusted mechanisms, and exactly its relay networks", () => {
    const bad: string[] = [];
    for (const { r, tree } of runs.flatMap((r) => r.trees.filter((t) => t.verify?.code === 0).map((tree) => ({ r, tree })))) {
      const mail = tree.mail;
      if (!mail) continue; // the oracle could not read it: "the oracle models every accepted policy" says so
      const ok = tree.verify!.stdout.split("\n").filter((l) => l.startsWith("ok "));
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
      const access = readFileSync(join(tree.dir, "etc/mail/access"), "utf8");
      const prefixes = [...access.matchAll(/^Connect:([\d.]+)\s+RELAY\s*$/gm)].map((m) => m[1]!);
      const want = union(mail.relayNetworks.filter((n) => !n.includes(":")).map(cidrRange));
      const got = union(prefixes.map(prefixRange));
      if (JSON.stringify(want) !== JSON.stringify(got))
        problems.push(`access map relays for ${JSON.stringify(got)}, the policy's networks are ${JSON.stringify(want)}`);
      for (const p of prefixes)
        if (!has(new RegExp(`^ok +relay network client \\S+ \\(Connect:${esc(p)} RELAY\\)`)))
          problems.push(`no relay network check for ${p}`);
      if (problems.length) bad.push(show(r, problems.join("; "), tree));
    }
    expect(bad.join("\n"), REPLAY).toBe("");
  });

  it(`a mail block without auth offers no AUTH: EHLO on the real sendmail daemon, for ${EHLO_TREES} trees, as the oracle says`, () => {
    const trees = runs.flatMap((r) => r.trees.filter((t) => t.ehlo).map((tree) => ({ r, tree })));
    expect(trees.length, REPLAY).toBe(EHLO_TREES);
    const bad = trees
      .filter(({ tree }) => tree.ehlo!.error || JSON.stringify([...tree.ehlo!.got!].sort()) !== JSON.stringify([...tree.ehlo!.want].sort()))
      .map(({ r, tree }) =>
        show(
          r,
          tree.ehlo!.error ??
            `EHLO offers AUTH ${tree.ehlo!.got!.join(" ") || "(none)"}, the oracle expects ${tree.ehlo!.want.join(" ") || "none"}`,
          tree,
        ),
      );
    for (const { tree } of trees) expect(tree.ehlo!.want, REPLAY).toEqual([]);
    expect(bad.join("\n"), REPLAY).toBe("");
  });

  it("the oracle models every accepted policy", () => {
    const bad = runs.filter((r) => r.oracleError).map((r) => show(r, `oracle: ${r.oracleError}`));
    expect(bad.join("\n"), REPLAY).toBe("");
  });

  it("every request gets the answer the oracle expects from pamtester on the real Linux-PAM", () => {
    const withPam = runs.flatMap((r) => r.trees.filter((t) => (t.pam?.length ?? 0) > 0).map((tree) => ({ r, tree })));
    expect(withPam.length, REPLAY).toBeGreaterThan(WANT / 3);
    const bad: string[] = [];
    let cases = 0;
    for (const { r, tree } of withPam) {
      const results = pamResults.get(tree) ?? [];
      tree.pam!.forEach((p, svc) => {
        const got = results[svc];
        if (!got) {
          bad.push(show(r, `no pamtester results for ${p.service}`, tree));
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
              `PAM answers differ:\n${wrong.join("\n")}\n--- ${p.service}:\n${readFileSync(join(tree.dir, "etc/pam.d", p.service), "utf8")}`,
              tree,
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
