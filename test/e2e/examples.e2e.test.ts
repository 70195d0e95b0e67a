/**
 * Every examples/*.policy, compiled by the CLI, on the real Linux-PAM and
 * sendmail (see stack.ts), against what the policy MEANS as the oracle
 * (oracle.ts) derives it from the policy alone. Adding an example adds its
 * e2e suite; none is skipped with CI=true.
 */
import { readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers.js';
import { expectationsFor, readHostAccounts } from './oracle.js';
import { describeStack, type StackStats } from './stack-suite.js';
import { makeTempDir } from './stack.js';

const examples = readdirSync(join(ROOT, 'examples'))
  .filter((f) => f.endsWith('.policy'))
  .sort()
  .map((f) => `examples/${f}`);

describe('examples', () => {
  it('there are example policies to run', () => {
    expect(examples.length).toBeGreaterThan(0);
  });
});

const host = readHostAccounts();
const stats: Array<[string, StackStats]> = [];

for (const policy of examples) {
  const expectations = expectationsFor(join(ROOT, policy), host);
  const s = describeStack(
    policy,
    async () => {
      const dir = await makeTempDir('policyc-tree-');
      const r = runCli(['build', policy, '-o', dir, '-q']);
      if (r.status !== 0) {
        await rm(dir, { recursive: true, force: true });
        throw new Error(`policyc build ${policy} failed:\n${r.stderr}`);
      }
      return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
    },
    expectations,
  );
  stats.push([policy, s]);
}

afterAll(() => {
  for (const [policy, s] of stats) console.log(`e2e: ${policy}: ${s.pamCases} PAM cases, ${s.smtpProbes} SMTP probes`);
});
