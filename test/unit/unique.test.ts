import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { repeats } from "../../src/check/unique.js";

/** The values repeats() keeps: the first of each, in order. */
const unique = (xs: string[]) => {
  const drop = repeats(xs.length, (i) => xs[i]!);
  return drop ? xs.filter((_, i) => !drop[i]) : xs;
};

const reference = (xs: string[]) => xs.filter((x, i) => xs.indexOf(x) === i);

describe("check: dropping repeated entries", () => {
  it("keeps the first of each value, in order, for short and long lists", () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[a-c]{0,3}$/), { maxLength: 60 }), (xs) => {
        expect(unique(xs)).toEqual(reference(xs));
      }),
      { numRuns: 300 },
    );
    const long = Array.from({ length: 20_000 }, (_, i) => `u${(i * 7919) % 12_345}`);
    expect(unique(long)).toEqual(reference(long));
  });

  it("keeps the first of each value when every hash is the same", () => {
    const xs = Array.from({ length: 6000 }, (_, i) => `v${(i * 31) % 97}`);
    const drop = repeats(
      xs.length,
      (i) => xs[i]!,
      () => 42,
    );
    expect(xs.filter((_, i) => !drop?.[i])).toEqual(reference(xs));
  });

  it("keeps the first of each value of a long list with few repeats, at any place (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.nat(200_000), { minLength: 4096, maxLength: 6000 }), (ns) => {
        const xs = ns.map((x) => `u${x}`);
        expect(unique(xs)).toEqual(reference(xs));
      }),
      { numRuns: 20 },
    );
  });

  it("tells apart values whose 32-bit hashes collide", () => {
    // "costarring" and "liquid" collide under FNV-1a 32.
    const xs = [...Array.from({ length: 5000 }, (_, i) => `x${i}`), "costarring", "liquid", "costarring", "liquid"];
    expect(unique(xs).slice(-2)).toEqual(["costarring", "liquid"]);
  });
});
