import { availableParallelism } from "node:os";
import { BaseSequencer, type TestSpecification } from "vitest/node";
import { defineConfig } from "vitest/config";

/**
 * Test files that run longest (measured with one worker on the 2-core CI
 * machine; README "Development"). They start first, so that no long file is
 * left to run alone at the end while the other worker idles. A file missing
 * from this list only loses its head start; vitest's own order (its duration
 * cache, else the largest file first) applies to everything else.
 */
const LONGEST_FIRST = [
  "test/package.test.ts",
  "test/e2e/examples.e2e.test.ts",
  "test/e2e/ansible-role.e2e.test.ts",
  "test/cli.test.ts",
  "test/baselines.test.ts",
  "test/e2e/property.e2e.test.ts",
  "test/e2e/pam-lines.e2e.test.ts",
  "test/fault/crash.test.ts",
  "test/e2e/decide.e2e.test.ts",
  "test/e2e/import.e2e.test.ts",
  "test/e2e/relay-networks.e2e.test.ts",
  "test/unit/style.test.ts",
  "test/e2e/test-real.e2e.test.ts",
];

class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification) => {
      const i = LONGEST_FIRST.findIndex((p) => f.moduleId.endsWith(`/${p}`));
      return i < 0 ? LONGEST_FIRST.length : i;
    };
    return sorted
      .map((f, i) => ({ f, i, r: rank(f) }))
      .sort((a, b) => a.r - b.r || a.i - b.i)
      .map((x) => x.f);
  }
}

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // vitest's default is one worker less than the cores: ONE on a 2-core
    // machine, where the end-to-end files mostly wait on sendmail, pamtester
    // and npm. Every file runs in its own process (pool forks) with its own
    // temp dirs and namespaces, so files may run side by side.
    maxWorkers: Math.max(2, availableParallelism()),
    sequence: { sequencer: LongestFirst },
  },
});
