import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { policyText } from "./arbitrary.js";
import { essence, format, layoutProblems } from "./helpers.js";

/** How many generated policies the property is checked on (FORMAT_RUNS=20000 for a longer hunt). */
export const RUNS = Number(process.env.FORMAT_RUNS ?? 400);

describe("format: generated policies (fast-check)", () => {
  it(`keeps the AST and every comment, is idempotent and keeps the layout rules, for ${RUNS} policies`, async () => {
    await fc.assert(
      fc.asyncProperty(policyText, fc.constantFrom(40, 80, 120), async (text, printWidth) => {
        const before = essence(text);
        const once = await format(text, { printWidth });
        expect(essence(once)).toEqual(before);
        expect(await format(once, { printWidth })).toBe(once);
        expect(layoutProblems(once)).toEqual([]);
      }),
      { numRuns: RUNS },
    );
  });
});
