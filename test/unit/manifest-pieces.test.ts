/**
 * README "Build's memory": build reads the previous manifest in pieces
 * (parseManifestPieces) for its stale files; its answer must be
 * parseManifest's on the whole text, for every manifest and every text that
 * is none (not JSON, another format, a null entry, two "files"), wherever
 * the pieces are cut.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { makeManifest, parseManifest, parseManifestPieces } from "../../src/output/manifest.js";
import type { OutputFile } from "../../src/targets/Target.js";

/** parseManifestPieces on text's UTF-8 bytes, handed over at most `size` bytes at a time. */
function inPieces(text: string, size: number) {
  const bytes = Buffer.from(text, "utf8");
  let at = 0;
  return parseManifestPieces((buf) => {
    const n = Math.min(size, buf.length, bytes.length - at);
    bytes.copy(buf, 0, at, at + n);
    at += n;
    return n;
  });
}

/** parseManifest's answer as build uses it: each entry's path and sha256. */
const whole = (text: string) => parseManifest(text)?.map((f) => ({ path: f.path, sha256: f.sha256 }));

const name = fc.stringMatching(/^[a-z\u00e9\u4e2d\u{1F600}"\\{}[\]]{1,8}$/u);

const manifestText = fc
  .record({
    hosts: fc.option(fc.uniqueArray(fc.stringMatching(/^[a-z]{1,5}$/), { minLength: 1, maxLength: 3 }), { nil: null }),
    names: fc.uniqueArray(name, { maxLength: 6 }),
    policy: name,
  })
  .map(({ hosts, names, policy }) => {
    const files: OutputFile[] = names.map((n, i) => ({
      path: hosts ? `${hosts[i % hosts.length]}/etc/${n}` : `etc/${n}`,
      content: `${n}\n`,
      mode: 0o644,
      producer: `service "${n}"`,
      origins: [],
    }));
    return JSON.stringify(makeManifest(policy, hosts, files), null, 2) + "\n";
  });

describe("the previous manifest read in pieces", () => {
  it("gives parseManifest's files for any manifest, cut anywhere", () => {
    fc.assert(
      fc.property(manifestText, fc.integer({ min: 1, max: 64 }), (text, size) => {
        expect(inPieces(text, size)).toEqual(whole(text));
      }),
      { numRuns: 300 },
    );
  });

  it("refuses what parseManifest refuses, and takes what it takes, for texts that are odd or broken", () => {
    const good = JSON.stringify({
      format: "policyc-manifest",
      version: 1,
      policy: "p",
      hosts: null,
      files: [{ path: "etc/a", sha256: "x" }],
    });
    const odd = [
      good,
      good.slice(0, -1),
      good.slice(0, 40),
      good + "x",
      "\ufeff" + good,
      good.replace('"files": [', '"files": [null, '),
      good.replace('"files":[', '"files":[null,'),
      good.replace('"files":[', '"files":[1,"s",[{"path":"etc/b","sha256":"y"}],'),
      good.replace('"files":[', '"files":[{"path":"../x","sha256":"y"},{"path":"etc/c"},'),
      good.replace('"policy":"p"', '"policy":"p","files":[{"path":"etc/first","sha256":"z"}]'),
      good.replace('"format":"policyc-manifest"', '"format":"other"'),
      good.replace('"files":[', '"files":{"a":['),
      good.replace('"hosts":null', '"hosts":["files"]'),
      good.replace('"policy":"p"', '"policy":"files"'),
      good.replace('{"path":"etc/a"', '{"path":"etc/a","sources":[{"x":[1,{"y":"}"}]}]'),
      '{"files":[{"path":"etc/a","sha256":"x"}],"format":"policyc-manifest"}',
      "[]",
      "null",
      '"policyc-manifest"',
      "",
      "{",
    ];
    for (const text of odd) for (const size of [1, 3, 7, 1 << 20]) expect(inPieces(text, size), `${text} / ${size}`).toEqual(whole(text));
  });
});
