/**
 * README "Safety checks": policyc refuses an open relay "in any spelling the
 * language has". One `policyc build` of a policy whose every host opens the
 * relay another way (quoted, /00, split halves, through a named list, through
 * a list from an included file, duplicated and overlapping networks; a
 * top-level domain in capitals, with a trailing dot, quoted, in punycode,
 * through a list; ANONYMOUS and EXTERNAL in any case): exit 1, an error at
 * each one, and no tree.
 */
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, tempDir } from "./helpers.js";

/** Each host's mail settings (besides domain and listen): every one an open relay. */
const SPELLINGS = [
  'relay networks "0.0.0.0/0";',
  "relay networks 0.0.0.0/00;",
  "relay networks 0.0.0.0/1, 128.0.0.0/1;",
  "relay networks $everywhere;",
  "relay networks $inc_wide;",
  "relay networks 10.0.0.0/8, 10.0.0.0/8, 10.1.0.0/16, 11.0.0.0/8;",
  "relay domains COM;",
  "relay domains com.;",
  'relay domains "CO.UK.";',
  "relay domains xn--p1ai;",
  "relay domains $tlds;",
  "auth mechanisms anonymous; relay authenticated;",
  "auth mechanisms PLAIN, External; auth options noplaintext; relay authenticated EXTERNAL;",
];
const HEAD = ["platform debian;", 'include "lists.inc";', "networks everywhere = 0.0.0.0/0;", "domains tlds = net;"];

describe('no open relay, in any spelling (README "Safety checks", PC4101)', () => {
  it("refuses every spelling with an error where it is written (or where its list is), exit 1, nothing written", () => {
    const dir = tempDir("policyc-open-relay-");
    writeFileSync(join(dir, "lists.inc"), "networks inc_wide = 0.0.0.0/0;\n");
    const lines = [...HEAD, ...SPELLINGS.map((s, i) => `host h${i} { mail { domain mx.example.test; listen smtp; ${s} } }`)];
    writeFileSync(join(dir, "p.policy"), lines.join("\n") + "\n");
    const r = runCli(["build", join(dir, "p.policy"), "-o", join(dir, "out"), "--format", "json"]);
    expect(r.status, r.stderr).toBe(1);
    const doc = JSON.parse(r.stdout);
    const errors = (doc.diagnostics as { code: string; severity: string; location: { file: string; line: number } | null }[])
      .filter((d) => d.severity === "error")
      .map((d) => `${d.location!.file.slice(dir.length + 1)}:${d.location!.line} ${d.code}`);
    const hostLine = (i: number) => `p.policy:${HEAD.length + 1 + i} PC4101`;
    const expected = new Set([
      "lists.inc:1 PC4101", // $inc_wide
      "p.policy:3 PC4101", // $everywhere
      "p.policy:4 PC4101", // $tlds
      ...SPELLINGS.map((s, i) => (s.includes("$") ? "" : hostLine(i))).filter(Boolean),
    ]);
    expect(new Set(errors)).toEqual(expected);
    expect(existsSync(join(dir, "out"))).toBe(false);
  });
});
