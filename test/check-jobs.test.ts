/**
 * README "Performance": `check --jobs N` checks a fleet's hosts in worker
 * threads, and what it prints is the serial run's: the same stdout, stderr
 * and exit status, the same JSON document (every diagnostic, its order,
 * suppressed flags, counts, the 100-diagnostic cap), whatever the fleet
 * holds: roles, an inventory, hosts with errors, warnings some hosts'
 * lists trigger and others' do not, `unsafe` that acknowledges them or
 * nothing, assertions. POLICYC_PARALLEL_MIN_HOSTS=2 makes every fleet here
 * take the threads. A worker that throws or dies fails the command cleanly.
 */
import { readdirSync, readFileSync, realpathSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileHosts } from "../src/cli/hosts.js";
import { safeRealpath } from "../src/syntax/load.js";
import { readTree, ROOT, runCli, tempDir, TEMPLATES } from "./helpers.js";

interface Fleet {
  /** Per host: a bitmask of the roles it takes (one at least). */
  hosts: number[];
  roles: number;
  /** Hosts whose admins include root (others draw PC4003 on sshd). */
  root: boolean[];
  /** Hosts that name a list nobody defines (an error each). */
  broken: boolean[];
  /** Hosts with an `unsafe` that overrides nothing (PC4103 each). */
  idle: boolean[];
  /** Hosts with a `su` of their own whose PC4003 their own `unsafe` acknowledges. */
  acked: boolean[];
  /** The role r0's sshd acknowledges PC4003. */
  acknowledge: boolean;
  inventory: boolean;
  /** The roles are in an included file (roles.policy). */
  included?: boolean;
  /** When given, no top-level platform: each host names its own but these (PC3002 each, and no model). */
  platformless?: boolean[];
  expect: boolean;
}

function files(f: Fleet): { policy: string; ini: string; roles: string } {
  const main = [f.platformless ? "" : "platform debian;", "users staff = root, alice, bob;"];
  if (f.inventory) main.push('inventory "fleet.ini";');
  const included: string[] = [];
  if (f.included) main.push('include "roles.policy";');
  let lines = f.included ? included : main;
  for (let r = 0; r < f.roles; r++) {
    lines.push(`role r${r} {`);
    if (r === 0) {
      lines.push("  service sshd {", '    acl user allow "/etc/security/ssh.users" { entries $admins; }');
      if (f.acknowledge) lines.push('    unsafe PC4003 "break-glass console access";');
      lines.push("  }");
    }
    lines.push(`  service s${r} {`, `    acl user allow "/etc/security/s${r}.users" { entries $staff, $admins; }`, "  }");
    lines.push(`  service t${r} {`, `    acl user deny "/etc/security/t${r}.deny" { entries $staff; }`, "  }");
    if (r === 1 && f.expect) lines.push("  expect allow s1 user alice;");
    lines.push("}");
  }
  lines = main;
  const groups = new Map<number, string[]>();
  f.hosts.forEach((mask, h) => {
    const roles = [...Array(f.roles).keys()].filter((r) => mask & (1 << r));
    if (roles.length === 0) roles.push(h % f.roles);
    if (f.inventory) for (const r of roles) groups.set(r, [...(groups.get(r) ?? []), `h${h}`]);
    lines.push(`host h${h} {`);
    if (f.platformless && !f.platformless[h]) lines.push("  platform debian;");
    if (!f.inventory) lines.push(`  role ${roles.map((r) => `r${r}`).join(", ")};`);
    lines.push(`  users admins = adm${h}${f.root[h] ? ", root" : ""}${f.broken[h] ? `, $nosuch${h}` : ""};`);
    if (f.idle[h])
      lines.push(
        `  service own${h} {`,
        `    acl user deny "/etc/security/own${h}" { entries bob; }`,
        '    unsafe PC4101 "nothing";',
        "  }",
      );
    if (f.acked[h])
      lines.push(
        "  service su {",
        `    acl user allow "/etc/security/su${h}" { entries bob; }`,
        '    unsafe PC4003 "su is for bob";',
        "  }",
      );
    lines.push("}");
  });
  if (f.expect) lines.push("expect deny t0 user alice;");
  const ini = [...groups].map(([r, hs]) => `[r${r}]\n${hs.join("\n")}\n`).join("\n");
  return { policy: lines.join("\n") + "\n", ini, roles: included.join("\n") + "\n" };
}

const fleets = fc
  .record({
    n: fc.integer({ min: 2, max: 140 }),
    roles: fc.integer({ min: 1, max: 4 }),
    seed: fc.array(fc.nat(15), { minLength: 1, maxLength: 7 }),
    rootEvery: fc.integer({ min: 1, max: 4 }),
    // Hosts before this one all have root: the first PC4003 may come late (in a worker's share).
    rootUntil: fc.integer({ min: 0, max: 140 }),
    ackedEvery: fc.integer({ min: 0, max: 4 }),
    brokenEvery: fc.integer({ min: 0, max: 3 }),
    idleEvery: fc.integer({ min: 0, max: 5 }),
    acknowledge: fc.boolean(),
    inventory: fc.boolean(),
    included: fc.boolean(),
    platformlessEvery: fc.integer({ min: 0, max: 6 }),
    // Assertions keep a policy on one thread (they need every host's model): now and then only.
    expect: fc.integer({ min: 0, max: 3 }).map((x) => x === 0),
  })
  .map((c): Fleet => ({
    hosts: [...Array(c.n).keys()].map((h) => c.seed[h % c.seed.length]! & ((1 << c.roles) - 1)),
    roles: c.roles,
    root: [...Array(c.n).keys()].map((h) => h < c.rootUntil || h % c.rootEvery === 0),
    broken: [...Array(c.n).keys()].map((h) => c.brokenEvery > 0 && h % (7 * c.brokenEvery) === 3),
    idle: [...Array(c.n).keys()].map((h) => c.idleEvery > 0 && h % (3 * c.idleEvery) === 1),
    acked: [...Array(c.n).keys()].map((h) => c.ackedEvery > 0 && h % c.ackedEvery === 0 && h > c.n / 2),
    acknowledge: c.acknowledge,
    inventory: c.inventory,
    included: c.included,
    ...(c.platformlessEvery > 0 && { platformless: [...Array(c.n).keys()].map((h) => h % (2 * c.platformlessEvery) === 1) }),
    expect: c.expect,
  }));

const THREADS = { POLICYC_PARALLEL_MIN_HOSTS: "2" };

function write(f: Fleet): string {
  const dir = tempDir("policyc-check-jobs-");
  const { policy, ini, roles } = files(f);
  writeFileSync(join(dir, "roles.policy"), roles);
  writeFileSync(join(dir, "fleet.policy"), policy);
  writeFileSync(join(dir, "fleet.ini"), ini);
  return dir;
}

/** Every path under dir with its mode (folders too); empty when there is no dir. */
function modes(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const name of readdirSync(d).sort()) {
      const st = statSync(join(d, name));
      out.push(`${rel}${name} ${(st.mode & 0o7777).toString(8)}`);
      if (st.isDirectory()) walk(join(d, name), `${rel}${name}/`);
    }
  };
  try {
    walk(dir, "");
  } catch {
    return [];
  }
  return out;
}

/** build --jobs N of the fleet in a fresh folder (the output folder has the same name every time). */
function buildWith(f: Fleet, jobs: number) {
  const cwd = write(f);
  const run = runCli(["build", "fleet.policy", "-o", "out", "--jobs", String(jobs)], { cwd, env: THREADS });
  const tree = modes(join(cwd, "out"));
  return { run, tree, files: tree.length ? readTree(join(cwd, "out")) : new Map() };
}

/** Four hosts of one service each, nothing wrong: for the tests of a worker that fails. */
const FOUR_CLEAN_HOSTS: Fleet = {
  hosts: [1, 1, 1, 1],
  roles: 1,
  root: [true, true, true, true],
  broken: [false, false, false, false],
  idle: [false, false, false, false],
  acked: [false, false, false, false],
  acknowledge: false,
  inventory: false,
  expect: false,
};
describe("check --jobs: worker threads print what the serial check prints", () => {
  it("the same stdout, stderr, exit status and JSON document with --jobs 1 and --jobs 2", () => {
    fc.assert(
      fc.property(fleets, (f) => {
        const cwd = write(f);
        for (const extra of [[], ["--format", "json"]]) {
          const one = runCli(["check", "fleet.policy", "--jobs", "1", ...extra], { cwd, env: THREADS });
          const two = runCli(["check", "fleet.policy", "--jobs", "2", ...extra], { cwd, env: THREADS });
          expect(two).toEqual(one);
          expect(one.status === 0 || one.status === 1).toBe(true);
        }
      }),
      {
        numRuns: 20,
        examples: [
          // More than 100 findings (the cap keeps the first found), and the first PC4003 in a worker's share.
          [
            {
              hosts: [...Array(140).keys()].map((h) => 1 + (h % 3)),
              roles: 2,
              root: [...Array(140).keys()].map((h) => h < 100),
              broken: [...Array(140).keys()].map((h) => h % 5 === 2),
              idle: [...Array(140).keys()].map((h) => h % 3 === 1),
              acked: [...Array(140).keys()].map((h) => h > 90 && h % 2 === 0),
              acknowledge: true,
              inventory: true,
              expect: false,
            },
          ],
        ],
      },
    );
  }, 300_000);

  it("build --jobs 2 writes the tree build --jobs 1 writes, and prints the same", () => {
    fc.assert(
      fc.property(fleets, (f) => {
        const one = buildWith(f, 1);
        const two = buildWith(f, 2);
        expect(two.run).toEqual(one.run);
        expect(two.tree).toEqual(one.tree);
        expect(two.files).toEqual(one.files);
      }),
      { numRuns: 8 },
    );
  }, 300_000);

  it("the bench's fleet (scripts/fleet.js), with hosts that lose root or name a list nobody defines, checks the same on two threads", async () => {
    const { fleet } = (await import("../scripts/fleet.js" as string)) as { fleet: (n: number) => { policy: string; inventory: string } };
    const { policy, inventory } = fleet(400);
    let i = 0;
    const edited = policy.replace(/users admins = root, ([^;]*);/g, (_, rest: string) => {
      i++;
      const admins = i % 37 === 5 ? rest : `root, ${rest}`;
      return `users admins = ${admins}${i % 53 === 7 ? ", $nosuch" : ""};`;
    });
    const cwd = tempDir("policyc-check-jobs-");
    writeFileSync(join(cwd, "fleet.policy"), edited);
    writeFileSync(join(cwd, "fleet.ini"), inventory);
    for (const extra of [[], ["--format", "json"]]) {
      const one = runCli(["check", "fleet.policy", "--jobs", "1", ...extra], { cwd, env: THREADS });
      const two = runCli(["check", "fleet.policy", "--jobs", "2", ...extra], { cwd, env: THREADS });
      expect(one.status).toBe(1);
      expect(two).toEqual(one);
    }
  }, 120_000);

  it("goes through the threads for these fleets (a worker made to fail shows it)", () => {
    const f: Fleet = {
      hosts: [1, 2, 3, 1, 2, 3, 1, 2],
      roles: 2,
      root: [true, false, true, false, true, false, true, false],
      broken: Array(8).fill(false),
      idle: Array(8).fill(false),
      acked: Array(8).fill(false),
      acknowledge: true,
      inventory: true,
      expect: false,
    };
    const cwd = write(f);
    const ok = runCli(["check", "fleet.policy", "--jobs", "2"], { cwd, env: THREADS });
    expect(ok.status).toBe(0);
    for (const how of ["throw:0", "exit:1"]) {
      for (const format of ["human", "json"]) {
        for (const command of [["check"], ["build", "-o", "out"]]) {
          const r = runCli([command[0]!, "fleet.policy", ...command.slice(1), "--jobs", "2", "--format", format], {
            cwd,
            env: { ...THREADS, POLICYC_TEST_HOSTS_WORKER: how },
          });
          expect(r.status).toBe(1);
          const out = r.stdout + r.stderr;
          expect(out).toContain("PC5080");
          expect(out).not.toMatch(/\n\s+at /);
          expect(out).not.toContain("is valid");
          expect(modes(join(cwd, "out"))).toEqual([]);
        }
      }
    }
  }, 120_000);

  it('loads the inventory through the readFile and realpath hooks, on the main thread and in the workers (README "Hosts from an inventory")', () => {
    const dir = realpathSync(tempDir("policyc-check-jobs-"));
    const policy =
      'platform debian;\ninventory "fleet.ini";\nrole r0 { service sshd { acl user allow "/etc/ssh.users" { entries root; } } }\n';
    writeFileSync(join(dir, "fleet.policy"), policy);
    writeFileSync(join(dir, "fleet.ini"), "[r0]\nh0\nh1\nh2\nh3\n");
    // As the hooks have it, fleet.ini is a link to inv/b.ini, a file only they know, with other hosts.
    const link = join(dir, "fleet.ini");
    const hidden = join(dir, "inv", "b.ini");
    const realpath = (p: string) => (p === link ? hidden : safeRealpath(p));
    const readFile = (real: string, max: number) =>
      real === hidden ? new TextEncoder().encode("[r0]\nv1\nv2\nv3\n") : readFileSync(real).subarray(0, max + 1);
    const before = process.env.POLICYC_PARALLEL_MIN_HOSTS;
    process.env.POLICYC_PARALLEL_MIN_HOSTS = "2";
    try {
      const path = join(dir, "fleet.policy");
      const script = join(ROOT, "dist", "hosts-worker.cjs");
      for (const jobs of [1, 2]) {
        const r = compileHosts(path, readFileSync(path), { templates: TEMPLATES, keepFiles: false, jobs, script, readFile, realpath });
        expect(r.diagnostics.items.map((d) => `${d.code} ${d.message}`)).toEqual([]);
        expect(r.program?.hosts.map((h) => h.node.name.value)).toEqual(["v1", "v2", "v3"]);
        expect(r.program?.files.map((file) => file.path)).toContain(join(dir, "fleet.ini"));
      }
    } finally {
      if (before === undefined) delete process.env.POLICYC_PARALLEL_MIN_HOSTS;
      else process.env.POLICYC_PARALLEL_MIN_HOSTS = before;
    }
  });

  it("fails with PC5080 alone when a worker's bundle is missing or throws as it loads", () => {
    const dir = write(FOUR_CLEAN_HOSTS);
    const broken = join(dir, "broken-worker.cjs");
    writeFileSync(broken, 'throw new Error("bundle broken");\n');
    const before = process.env.POLICYC_PARALLEL_MIN_HOSTS;
    process.env.POLICYC_PARALLEL_MIN_HOSTS = "2";
    try {
      for (const [script, says] of [
        [join(dir, "no-such-worker.cjs"), "is missing"],
        [broken, "bundle broken"],
      ] as const) {
        const path = join(dir, "fleet.policy");
        const r = compileHosts(path, readFileSync(path), { templates: TEMPLATES, keepFiles: false, jobs: 2, script });
        expect(r.diagnostics.items.map((d) => d.code)).toEqual(["PC5080"]);
        expect(r.diagnostics.items[0]!.message).toContain(says);
        expect(r.fileCount).toBeUndefined();
      }
    } finally {
      if (before === undefined) delete process.env.POLICYC_PARALLEL_MIN_HOSTS;
      else process.env.POLICYC_PARALLEL_MIN_HOSTS = before;
    }
  });

  it("fails with PC5080 alone, not waiting forever, when a worker hangs or is killed for its memory (it posts nothing then)", () => {
    const dir = write(FOUR_CLEAN_HOSTS);
    const path = join(dir, "fleet.policy");
    const script = join(ROOT, "dist", "hosts-worker.cjs");
    const before = { ...process.env };
    process.env.POLICYC_PARALLEL_MIN_HOSTS = "2";
    try {
      for (const how of ["hang:0", "hang:1", "oom:0"]) {
        process.env.POLICYC_TEST_HOSTS_WORKER = how;
        const r = compileHosts(path, readFileSync(path), { templates: TEMPLATES, keepFiles: true, jobs: 2, script, stallMs: 1500 });
        expect(
          r.diagnostics.items.map((d) => `${d.code} ${d.message}`),
          how,
        ).toEqual([
          "PC5080 A worker thread of --jobs failed (it sent no host for 2 s: it ran out of memory, or hangs); nothing was written. Run again with --jobs 1.",
        ]);
        expect(r.fileCount).toBeUndefined();
        expect(r.files).toBeUndefined();
      }
    } finally {
      for (const k of ["POLICYC_PARALLEL_MIN_HOSTS", "POLICYC_TEST_HOSTS_WORKER"]) {
        if (before[k] === undefined) delete process.env[k];
        else process.env[k] = before[k];
      }
    }
  });

  it("takes --jobs as build does: a whole number from 1", () => {
    const cwd = write({
      hosts: [1, 1],
      roles: 1,
      root: [true, true],
      broken: [false, false],
      idle: [false, false],
      acked: [false, false],
      acknowledge: false,
      inventory: false,
      expect: false,
    });
    for (const bad of ["0", "x", "1.5", "10000"]) {
      const r = runCli(["check", "fleet.policy", "--jobs", bad], { cwd });
      expect(r.status).toBe(2);
      expect(r.stderr).toContain("--jobs takes a whole number");
    }
  });
});
