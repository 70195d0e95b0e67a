/**
 * Every example policy, compiled by the CLI, on the real Linux-PAM and
 * sendmail (see stack.ts), against what the policy MEANS as the oracle
 * (oracle.ts) derives it from the policy alone. The examples are
 * examples/NAME.policy and examples/DIR/DIR.policy (a folder holding a
 * policy with its included files). A policy with host blocks is built once
 * and every host's tree OUT/HOST runs on its own sandbox with that host's
 * expectations. Adding an example adds its e2e suite; none is skipped with
 * CI=true.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT, runCli } from "../helpers.js";
import { expectationsByHost, readHostAccounts } from "./oracle.js";
import { describeStack, type PreparedTree, type StackStats } from "./stack-suite.js";
import { makeTempDir } from "./stack.js";

/** examples/NAME.policy and examples/DIR/DIR.policy, sorted. */
function examplePolicies(): string[] {
  const dir = join(ROOT, "examples");
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (name.endsWith(".policy") && statSync(full).isFile()) out.push(`examples/${name}`);
    else if (statSync(full).isDirectory() && existsSync(join(full, `${name}.policy`))) out.push(`examples/${name}/${name}.policy`);
  }
  return out.sort();
}

const examples = examplePolicies();

describe("examples", () => {
  it("there are example policies to run, folders included", () => {
    expect(examples.length).toBeGreaterThan(0);
    expect(examples).toContain("examples/fleet/fleet.policy");
  });
});

/** Every build dir made here; the file's afterAll removes what is left (e.g. when some trees' suites were filtered out). */
const buildDirs = new Set<string>();

/**
 * One build of `policy` shared by its trees: built on first use, removed when
 * the last tree is done. With hosts, OUT must hold exactly OUT/<host> for
 * each host (and the compiler's .policyc/).
 */
function sharedBuild(policy: string, hosts: Array<string | null>): (host: string | null) => Promise<PreparedTree> {
  let built: Promise<string> | undefined;
  let users = hosts.length;
  const build = async (): Promise<string> => {
    const dir = await makeTempDir("policyc-tree-");
    buildDirs.add(dir);
    const r = runCli(["build", policy, "-o", dir, "-q"]);
    if (r.status !== 0) {
      await rm(dir, { recursive: true, force: true });
      throw new Error(`policyc build ${policy} failed:\n${r.stderr}`);
    }
    const want = hosts.flatMap((h) => (h === null ? [] : [h])).sort();
    if (want.length) {
      const got = (await readdir(dir)).filter((n) => n !== ".policyc").sort();
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        await rm(dir, { recursive: true, force: true });
        throw new Error(`policyc build ${policy}: expected one tree per host ${want.join(", ")} in OUT, got ${got.join(", ")}`);
      }
    }
    return dir;
  };
  return async (host) => {
    built ??= build();
    const dir = await built;
    return {
      dir: host === null ? dir : join(dir, host),
      cleanup: async () => {
        if (--users === 0) await rm(dir, { recursive: true, force: true });
      },
    };
  };
}

const accounts = readHostAccounts();
const stats: Array<[string, StackStats]> = [];

for (const policy of examples) {
  const trees = expectationsByHost(join(ROOT, policy), accounts);
  const prepare = sharedBuild(
    policy,
    trees.map((t) => t.host),
  );
  for (const { host, expectations } of trees) {
    const title = host === null ? policy : `${policy} host ${host}`;
    stats.push([title, describeStack(title, () => prepare(host), expectations)]);
  }
}

afterAll(async () => {
  for (const dir of buildDirs) await rm(dir, { recursive: true, force: true });
  for (const [title, s] of stats) console.log(`e2e: ${title}: ${s.pamCases} PAM cases, ${s.smtpProbes} SMTP probes`);
});
