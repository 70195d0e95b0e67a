/**
 * README "The policy language": hosts and domains are written in the one
 * form the real software compares against; look-alike entries are refused.
 * IPv6 forms are checked against glibc's own inet_ntop (through python3's
 * socket module, which calls it).
 */
import { spawnSync } from "node:child_process";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalHost } from "../../src/check/values.js";
import { compileText, diagnosticsOf } from "../helpers.js";

const P = "platform debian;\n";

/** glibc inet_ntop(inet_pton(a)) for each address, in one python3 run. */
function glibcNtop(addresses: string[]): string[] {
  const r = spawnSync(
    "python3",
    [
      "-c",
      "import socket,sys\nfor a in sys.stdin.read().split():\n print(socket.inet_ntop(socket.AF_INET6, socket.inet_pton(socket.AF_INET6, a)))",
    ],
    { input: addresses.join("\n"), encoding: "utf8" },
  );
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
  return r.stdout.trim().split("\n");
}

/** Eight 16-bit groups, zeros likely (so "::" runs of every length and place occur). */
const groups = fc.array(
  fc.oneof(
    { arbitrary: fc.constant(0), weight: 3 },
    { arbitrary: fc.integer({ min: 0, max: 0xffff }), weight: 2 },
    fc.constantFrom(1, 0xffff),
  ),
  {
    minLength: 8,
    maxLength: 8,
  },
);

/** A spelling of the groups as a person might write it: any case, leading zeros, "::" anywhere valid or nowhere. */
function spell(g: number[], style: { upper: boolean; pad: boolean; compress: number }): string {
  const h = g.map((x) => {
    let s = x.toString(16);
    if (style.pad) s = s.padStart(4, "0");
    return style.upper ? s.toUpperCase() : s;
  });
  // Compress the zero run that starts at the chosen zero group, if any.
  const zeros = g.map((x, i) => (x === 0 ? i : -1)).filter((i) => i >= 0);
  if (zeros.length === 0 || style.compress < 0) return h.join(":");
  const start = zeros[style.compress % zeros.length]!;
  let end = start;
  while (end + 1 < 8 && g[end + 1] === 0) end++;
  return h.slice(0, start).join(":") + "::" + h.slice(end + 1).join(":");
}

const spelling = fc.record({ upper: fc.boolean(), pad: fc.boolean(), compress: fc.integer({ min: -1, max: 7 }) });

describe("canonical: IPv6 addresses as glibc's inet_ntop writes them", () => {
  it("agrees with glibc for any address in any spelling (property)", () => {
    const cases = fc.sample(fc.tuple(groups, spelling), { numRuns: 2000, seed: 20261125 });
    const written = cases.map(([g, s]) => spell(g, s));
    const glibc = glibcNtop(written);
    written.forEach((w, i) => {
      const mine = canonicalHost(w);
      if (glibc[i]!.startsWith("::ffff:") && glibc[i]!.includes(".")) {
        expect(typeof mine, w).toBe("object"); // IPv4-mapped: refused
      } else expect(mine, w).toBe(glibc[i]);
    });
  });

  it("agrees with glibc on the edge cases: ::, ::1, IPv4-compatible and embedded IPv4", () => {
    const edge = [
      "::",
      "::1",
      "1::",
      "::0.0.1.0",
      "::1.2.3.4",
      "64:ff9b::1.2.3.4",
      "1:2:3:4:5:6:1.2.3.4",
      "1:0:0:2:0:0:0:3",
      "0:0:1::",
      "FE80::0:0:1:0:0:0",
    ];
    expect(edge.map(canonicalHost)).toEqual(glibcNtop(edge));
  });

  it("writes an rhost entry in glibc's form and drops the repeats it makes", () => {
    const r = compileText(
      P + 'service s { acl rhost deny "/etc/h" { entries "2001:DB8:0:0:1:0:0:1", "2001:db8::1:0:0:1", "2001:0db8:0000:0000:0001::1"; } }\n',
    );
    expect(r.diagnostics.sorted().map((d) => d.code)).toEqual([]);
    expect(r.files!.find((f) => f.path === "etc/h")!.content.split("\n")).toEqual(["2001:db8::1:0:0:1", ""]);
  });

  it("refuses an IPv4-mapped address, saying what to write", () => {
    expect(diagnosticsOf(P + 'service s { acl rhost deny "/etc/h" { entries "::FFFF:192.0.2.1"; } }\n')).toEqual([
      '2:47 PC3010 "::FFFF:192.0.2.1" is not a valid host: it is an IPv4-mapped address, and sshd reports such a client as 192.0.2.1; write 192.0.2.1.',
    ]);
    expect(diagnosticsOf(P + 'hosts h = "::ffff:c000:201";\n')[0]).toMatch(/^2:11 PC3010 .* write 192\.0\.2\.1\.$/);
  });
});

describe("canonical: host names and domains", () => {
  const label = fc.stringMatching(/^[a-zA-Z]([a-zA-Z0-9-]{0,8}[a-zA-Z0-9])?$/);
  const name = fc.array(label, { minLength: 1, maxLength: 4 }).map((ls) => ls.join("."));

  it("lowercases host names and drops a trailing dot, in hosts lists and rhost entries; repeats become one (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(name, fc.boolean()), { minLength: 1, maxLength: 8 }), (hosts) => {
        const written = hosts.map(([h, dot]) => h + (dot ? "." : ""));
        const r = compileText(
          P + `hosts the_hosts = ${written.join(", ")};\nservice s { acl rhost deny "/etc/h" { entries $the_hosts, ${written[0]}; } }\n`,
        );
        expect(r.diagnostics.sorted().map((d) => d.message)).toEqual([]);
        const want = [...new Set(hosts.map(([h]) => h.toLowerCase()))];
        expect(
          r
            .files!.find((f) => f.path === "etc/h")!
            .content.split("\n")
            .slice(0, -1),
        ).toEqual(want);
      }),
      { numRuns: 100 },
    );
  });

  it("lowercases mail domains and drops a trailing dot, in local-host-names and the access map", () => {
    const r = compileText(
      P +
        "domains d = Mx.Example.ORG., mx.example.org;\nmail { domain $d, Other.Example.; listen smtp; relay domains Partner.EXAMPLE.; }\n",
    );
    expect(r.diagnostics.sorted().map((d) => d.code)).toEqual([]);
    const file = (p: string) =>
      r
        .files!.find((f) => f.path === p)!
        .content.split("\n")
        .filter((l) => l && !l.startsWith("#"));
    expect(file("etc/mail/local-host-names")).toEqual(["mx.example.org", "other.example"]);
    expect(file("etc/mail/access")).toEqual(["To:partner.example\tRELAY"]);
  });

  it("leaves other kinds as written: user names are case-sensitive", () => {
    const r = compileText(P + 'service s { acl user deny "/etc/u" { entries Alice, alice; } }\n');
    expect(
      r
        .files!.find((f) => f.path === "etc/u")!
        .content.split("\n")
        .slice(0, -1),
    ).toEqual(["Alice", "alice"]);
  });
});

describe("look-alikes", () => {
  const entry = (s: string) => diagnosticsOf(P + `service s { acl user deny "/etc/u" { entries "${s}"; } }\n`);

  it("refuses an entry that mixes Latin with Cyrillic or Greek letters (PC4020)", () => {
    expect(entry("rооt")).toEqual([
      '2:46 PC4020 Entry "rооt" mixes Latin and Cyrillic letters and looks like "root"; pam_listfile compares bytes, so it would not match the name it looks like.',
    ]);
    expect(entry("аdmin")[0]).toMatch(/PC4020 .*looks like "admin"/);
    expect(entry("rοot")[0]).toMatch(/PC4020 .*mixes Latin and Greek letters and looks like "root"/);
  });

  it("refuses any ASCII name with one letter swapped for a look-alike (property)", () => {
    const LOOK: Record<string, string[]> = {
      a: ["а", "α"],
      e: ["е"],
      o: ["о", "ο"],
      p: ["р", "ρ"],
      c: ["с"],
      x: ["х", "χ"],
      i: ["і", "ι"],
    };
    const ascii = fc.stringMatching(/^[a-z]{2,10}$/).filter((s) => [...s].some((c) => c in LOOK) && [...s].some((c) => !(c in LOOK)));
    fc.assert(
      fc.property(ascii, fc.nat(), fc.nat(), (s, at, pick) => {
        const positions = [...s].map((c, i) => (c in LOOK ? i : -1)).filter((i) => i >= 0);
        const i = positions[at % positions.length]!;
        const subs = LOOK[s[i]!]!;
        const fake = s.slice(0, i) + subs[pick % subs.length] + s.slice(i + 1);
        const got = entry(fake);
        expect(got).toHaveLength(1);
        expect(got[0]).toContain(`PC4020 Entry "${fake}" mixes Latin and`);
        expect(got[0]).toContain(`looks like "${s}"`);
      }),
      { numRuns: 200 },
    );
  });

  it("refuses fullwidth and other compatibility characters (PC4021)", () => {
    expect(entry("ｒｏｏｔ")).toEqual([
      '2:46 PC4021 Entry "ｒｏｏｔ" holds "ｒ" (U+FF52), a compatibility form that looks like "r"; write "root" if that is the name meant.',
    ]);
    expect(entry("ﬁle")[0]).toMatch(/PC4021 .*write "file"/);
    expect(entry("root²")[0]).toMatch(/PC4021 .*write "root2"/);
  });

  it("warns about an entry wholly in Cyrillic or Greek that looks like an ASCII name (PC4022), and writes it", () => {
    const r = compileText(P + 'service s { acl user deny "/etc/u" { entries "ѕсоре"; } }\n');
    expect(r.diagnostics.sorted().map((d) => `${d.code} ${d.message}`)).toEqual([
      'PC4022 Entry "ѕсоре" is written in Cyrillic letters but looks exactly like "scope"; make sure it is not meant to be that name.',
    ]);
    expect(r.files).toBeDefined();
  });

  it("accepts names that are what they look like", () => {
    for (const s of ["josé", "иван", "Αλέξης", "müller", "中文", "ølaf"]) expect(entry(s), s).toEqual([]);
  });
});
