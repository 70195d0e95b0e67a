import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { uniqueBy } from "../../src/check/unique.js";

const reference = (xs: string[]) => xs.filter((x, i) => xs.indexOf(x) === i);

describe("check: dropping repeated entries", () => {
  it("keeps the first of each value, in order, for short and long lists", () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[a-c]{0,3}$/), { maxLength: 60 }), (xs) => {
        expect(uniqueBy(xs, (x) => x)).toEqual(reference(xs));
      }),
      { numRuns: 300 },
    );
    const long = Array.from({ length: 20_000 }, (_, i) => `u${(i * 7919) % 12_345}`);
    expect(uniqueBy(long, (x) => x)).toEqual(reference(long));
  });

  it("tells apart values whose 32-bit hashes collide", () => {
    // "costarring" and "liquid" collide under FNV-1a 32.
    const xs = [...Array.from({ length: 5000 }, (_, i) => `x${i}`), "costarring", "liquid", "costarring", "liquid"];
    expect(uniqueBy(xs, (x) => x).slice(-2)).toEqual(["costarring", "liquid"]);
  });
});
