/**
 * `policyc verify OUT` on the real m4, makemap and sendmail (-bt): every shipped example passes,
 * and trees made into open relays (or missing their AUTH relaying) fail, naming the failing case.
 */
import fc from "fast-check";
import { execFileSync, spawnSync as spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { verifyCommand } from "../src/cli/verify.js";
import { checkCf, M4_PROLOGUE, scanMc } from "../src/verify/untrusted.js";
import { chooseForeignAddress, classify, parseAccess, verifyTree } from "../src/verify/verify.js";
import { ROOT, runCli, tempDir } from "./helpers.js";

const INSTALL_COMMAND = "bash scripts/install-e2e-deps.sh";
const DEBIAN_CF_DIR = "/usr/share/sendmail/cf";
const SEARCH = [...(process.env.PATH ?? "").split(":"), "/usr/sbin", "/sbin"];
const missing = [
  ...["m4", "sendmail", "makemap"].filter((t) => !SEARCH.some((d) => d && existsSync(join(d, t)))),
  ...(existsSync(join(DEBIAN_CF_DIR, "m4/cf.m4")) ? [] : [`${DEBIAN_CF_DIR}/m4/cf.m4 (sendmail-cf)`]),
];
if (missing.length && process.env.CI === "true") {
  throw new Error(`verify tests: missing with CI=true: ${missing.join(", ")}. Install them with: ${INSTALL_COMMAND} (as root)`);
}
if (missing.length) {
  const bar = "!".repeat(78);
  console.warn(
    [
      bar,
      "!! SKIPPED: policyc verify tests (real m4 + sendmail -bt)",
      `!! missing: ${missing.join(", ")}`,
      `!! install: ${INSTALL_COMMAND}   (as root)`,
      "!! with CI=true these tests FAIL instead of being skipped",
      bar,
    ].join("\n"),
  );
}

const EXAMPLES = readdirSync(join(ROOT, "examples"))
  .filter((f) => f.endsWith(".policy"))
  .sort();

const made: string[] = [];
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** Builds an example into a fresh folder with the real CLI. */
function build(example: string): string {
  const dir = tempDir("policyc-verify-test-");
  made.push(dir);
  const out = join(dir, "out");
  const r = runCli(["build", join("examples", example), "-o", out, "-q"]);
  expect(r.status, r.stderr).toBe(0);
  return out;
}

/** --cf-dir when the tree's include names a cf.m4 this machine does not have (a Red Hat tree on Debian). */
function cfArgs(out: string): string[] {
  const mc = readFileSync(join(out, "etc/mail/sendmail.mc"), "utf8");
  const include = /include\(`([^']*\/m4\/cf\.m4)'\)/.exec(mc)?.[1];
  return include && !existsSync(include) ? ["--cf-dir", DEBIAN_CF_DIR] : [];
}

let stdout = "";
let stderr = "";
beforeEach(() => {
  stdout = stderr = "";
  vi.spyOn(process.stdout, "write").mockImplementation((s: string | Uint8Array) => ((stdout += String(s)), true));
  vi.spyOn(process.stderr, "write").mockImplementation((s: string | Uint8Array) => ((stderr += String(s)), true));
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** Runs verifyCommand and returns its exit code with what it printed. */
function verify(args: string[]): { code: number; stdout: string; stderr: string } {
  stdout = stderr = "";
  const code = verifyCommand(args);
  return { code, stdout, stderr };
}

const mcOf = (out: string) => join(out, "etc/mail/sendmail.mc");
const edit = (path: string, f: (s: string) => string) => writeFileSync(path, f(readFileSync(path, "utf8")));
const failLines = (s: string) => s.split("\n").filter((l) => l.startsWith("FAIL  "));

describe("verify: pure parts", () => {
  it("reads relay domains and prefixes from an access map, tagged or not", () => {
    expect(
      parseAccess(
        "# c\nTo:Partner.Example.ORG\tRELAY\nConnect:10.20 RELAY\n192.0.2 RELAY\nFrom:x.example REJECT\nexample.net RELAY\nConnect:IPv6:2001:db8 RELAY\n",
      ),
    ).toEqual({
      relayDomains: ["partner.example.org", "example.net"],
      relayPrefixes: ["10.20", "192.0.2"],
    });
  });

  it("picks a foreign client outside every relay prefix", () => {
    expect(chooseForeignAddress([])).toBe("192.0.2.1");
    expect(chooseForeignAddress(["192.0.2", "198.51"])).toBe("203.0.113.1");
    expect(chooseForeignAddress(["192", "198", "203", "100"])).not.toMatch(/^(192|198|203|100)\./);
  });

  it("classifies check_rcpt answers", () => {
    expect(classify('$# error $@ 5 . 7 . 1 $: "550 Relaying denied. Proper authentication required."')).toEqual({
      outcome: "refused",
      summary: "550 Relaying denied. Proper authentication required.",
    });
    expect(classify('$# error $@ 4 . 3 . 0 $: "451 Temporary system failure. Please try again later."').outcome).toBe("tempfail");
    expect(classify("RELAY")).toEqual({ outcome: "accepted", summary: "RELAY" });
    expect(classify("$# RELAY").outcome).toBe("accepted");
    expect(classify("$# discard $: discard").outcome).toBe("refused");
    expect(classify(null).outcome).toBe("no answer");
  });

  it("exits 2 on wrong usage and for a folder without etc/mail/sendmail.mc", () => {
    expect(verify([]).code).toBe(2);
    expect(stderr).toBe('policyc: verify needs the output folder of policyc build (OUT).\nRun "policyc --help" for usage.\n');
    expect(verify(["a", "b"]).code).toBe(2);
    expect(verify(["--bogus", "a"]).code).toBe(2);
    expect(verify(["--help"]).code).toBe(0);
    expect(stdout).toContain("Usage: policyc verify OUT");
    const empty = tempDir("policyc-verify-test-");
    made.push(empty);
    const r = verify([empty]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("etc/mail/sendmail.mc does not exist");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe.skipIf(missing.length > 0)("verify on the real sendmail", () => {
  it.each(EXAMPLES)("passes for examples/%s", (example) => {
    const out = build(example);
    // A private temp folder: other verify runs on this machine make their own temp dirs too.
    const privateTmp = tempDir("policyc-verify-test-tmp-");
    made.push(privateTmp);
    const savedTmp = process.env.TMPDIR;
    process.env.TMPDIR = privateTmp;
    let r: ReturnType<typeof verify>;
    try {
      r = verify([out, ...cfArgs(out)]);
    } finally {
      if (savedTmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = savedTmp;
    }
    expect(readdirSync(privateTmp)).toEqual([]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toBe("");
    const cases = r.stdout.split("\n").filter((l) => /^(ok|FAIL) /.test(l));
    expect(cases.length).toBeGreaterThanOrEqual(7);
    expect(
      cases.every((l) => l.startsWith("ok    ")),
      r.stdout,
    ).toBe(true);
    expect(r.stdout).toMatch(/^ok {4}foreign recipient <someone@relay-test\.invalid> from foreign client [\d.]+, no AUTH: refused: 550 /m);
    expect(r.stdout).toMatch(/^ok {4}percent hack .*: refused: 5/m);
    expect(r.stdout).toMatch(/^ok {4}local recipient <postmaster@.*: accepted/m);
    expect(r.stdout).toMatch(/^ok {4}AUTH \S+ \(TRUST_AUTH_MECH\).*: accepted/m);
    expect(r.stdout).toMatch(/^PASS: all \d+ checks passed\.$/m);
  });

  it.each(["mx1", "mx2"])("passes for host %s of examples/fleet/fleet.policy (PLAIN and LOGIN trusted after STARTTLS)", (host) => {
    const out = build("fleet/fleet.policy");
    const r = verify([join(out, host)]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ok {4}AUTH PLAIN \(TRUST_AUTH_MECH\).*: accepted/m);
    expect(r.stdout).toMatch(/^ok {4}relay network client 192\.0\.2\.\d+ \(Connect:192\.0\.2 RELAY\)/m);
  });

  it("checks each relay domain and network of the tree, and keeps the foreign client outside them", () => {
    const out = build("site.policy");
    // Take the first two documentation networks too: the foreign client must move on.
    edit(join(out, "etc/mail/access"), (s) => s + "Connect:198.51.100\tRELAY\n");
    const report = verifyTree(out);
    expect(report.ok, JSON.stringify(report, null, 2)).toBe(true);
    expect(report.foreignAddress).toBe("203.0.113.1");
    const groups = report.results.map((r) => r.group);
    expect(groups).toContain("relay-domain");
    expect(groups.filter((g) => g === "relay-network").length).toBeGreaterThanOrEqual(3);
    expect(report.results.find((r) => r.title.includes("Connect:198.51.100"))?.clientAddr).toBe("198.51.100.1");
  });

  it("fails an open relay (FEATURE promiscuous_relay), naming the failing cases", () => {
    const out = build("cookbook.policy");
    edit(mcOf(out), (s) => s.replace(/^MAILER\(`local'\)dnl$/m, "FEATURE(`promiscuous_relay')dnl\n$&"));
    const r = verify([out]);
    expect(r.code).toBe(1);
    const fails = failLines(r.stdout);
    expect(
      fails.some((l) => l.startsWith("FAIL  foreign recipient <someone@relay-test.invalid>") && l.includes("accepted, expected refused")),
    ).toBe(true);
    expect(fails.some((l) => l.startsWith("FAIL  percent hack"))).toBe(true);
    expect(r.stdout).toMatch(/^FAIL: \d+ of \d+ checks FAILED/m);
    // m4's own warning is reported too.
    expect(r.stderr).toContain("promiscuous_relay");
  });

  it("fails a tree whose access map lets every IPv4 client relay (no foreign client is left)", () => {
    const out = build("cookbook.policy");
    // RELAY for the whole of 0.0.0.0/0 in whole octets: the foreign client has nowhere left to come from.
    const all = Array.from({ length: 256 }, (_, i) => `Connect:${i}\tRELAY\n`).join("");
    edit(join(out, "etc/mail/access"), (s) => s + all);
    const r = verify([out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("relays for (nearly) every IPv4 client");
  });

  it("checks that without TRUST_AUTH_MECH no authenticated client relays", () => {
    const out = build("cookbook.policy");
    edit(mcOf(out), (s) => s.replace(/^TRUST_AUTH_MECH\(.*\n/m, ""));
    const report = verifyTree(out);
    expect(report.ok).toBe(true);
    expect(report.results.filter((r) => r.group === "untrusted-auth").map((r) => [r.authType, r.outcome])).toEqual([
      ["DIGEST-MD5", "refused"],
      ["CRAM-MD5", "refused"],
    ]);
  });

  it("checks that a mechanism offered but not trusted does not relay", () => {
    const out = build("cookbook.policy");
    edit(mcOf(out), (s) => s.replace(/^TRUST_AUTH_MECH\(`DIGEST-MD5 CRAM-MD5'\)dnl$/m, "TRUST_AUTH_MECH(`CRAM-MD5')dnl"));
    const report = verifyTree(out);
    expect(report.ok).toBe(true);
    const untrusted = report.results.find((r) => r.group === "untrusted-auth");
    expect(untrusted?.authType).toBe("DIGEST-MD5");
    expect(untrusted?.outcome).toBe("refused");
  });

  it("counts sendmail's default mechanisms as offered when the .mc has no confAUTH_MECHANISMS", () => {
    const out = build("cookbook.policy");
    edit(mcOf(out), (s) => s.replace(/^define\(`confAUTH_MECHANISMS', `[^']*'\)dnl\n/m, ""));
    const report = verifyTree(out);
    expect(report.ok).toBe(true);
    expect(report.results.filter((r) => r.group === "untrusted-auth").map((r) => [r.authType, r.outcome])).toEqual([
      ["EXTERNAL", "refused"],
      ["GSSAPI", "refused"],
      ["KERBEROS_V4", "refused"],
    ]);
  });

  it("reports m4 errors (FEATURE after MAILER) as a failure", () => {
    const out = build("cookbook.policy");
    edit(mcOf(out), (s) => s + "FEATURE(`relay_entire_domain')dnl\n");
    const r = verify([out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("*** ERROR: FEATURE() should be before MAILER()");
  });

  it("needs --cf-dir for a tree whose include names another distribution's sendmail-cf", () => {
    const out = build("cookbook.policy");
    edit(mcOf(out), (s) => s.replace("/usr/share/sendmail/cf/m4/cf.m4", "/nonexistent/sendmail-cf/m4/cf.m4"));
    const r = verify([out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("includes /nonexistent/sendmail-cf/m4/cf.m4, which is not on this machine");
    expect(r.stderr).toContain(`--cf-dir ${DEBIAN_CF_DIR}`);
    expect(verify([out, "--cf-dir", DEBIAN_CF_DIR]).code).toBe(0);
    expect(verify([out, "--cf-dir", join(out, "nope")]).code).toBe(2);
  });
});

describe("verify: a tree from someone else runs nothing (pure parts)", () => {
  it("finds every refused m4 name, in quotes and comments too, with its line and column", () => {
    const mc =
      "dnl # Generated by policyc from include.policy. Do not edit.\ninclude(`/usr/share/sendmail/cf/m4/cf.m4')dnl\ndnl esyscmd(`id')\n`quoted syscmd'\ndefine(`x', defn(`include'))\n";
    expect(scanMc(mc, 1).map((f) => `${f.line}:${f.column} ${f.word}`)).toEqual(["3:5 esyscmd", "4:9 syscmd", "5:13 defn", "5:19 include"]);
  });

  it("allows only the one cf.m4 include verify replaces, and skips only a first line that dnl discards", () => {
    expect(scanMc("include(`/a/m4/cf.m4')include(`/etc/passwd')\n", 0).map((f) => f.column)).toEqual([23]);
    expect(scanMc("include(`/a/m4/cf.m4')\n", null).map((f) => f.word)).toEqual(["include"]);
    expect(scanMc("dnl esyscmd(`id')\n", null)).toEqual([]);
    expect(scanMc(" dnl esyscmd(`id')\n", null).map((f) => f.word)).toEqual(["esyscmd"]);
    expect(scanMc("dnlx esyscmd(`id')\n", null).map((f) => f.word)).toEqual(["esyscmd"]);
    // Names are whole words: data that merely contains one is fine.
    expect(scanMc("define(`confX', `esyscmdx include_me xinclude')\n", null)).toEqual([]);
  });

  it("refuses, as a property, every refused name placed anywhere in a clean .mc", () => {
    const refused = [
      "syscmd",
      "esyscmd",
      "include",
      "sinclude",
      "undivert",
      "mkstemp",
      "maketemp",
      "debugfile",
      "debugmode",
      "traceon",
      "traceoff",
      "m4exit",
      "indir",
      "builtin",
      "defn",
      "changeword",
      "changequote",
      "changecom",
      "_CF_DIR_",
    ];
    const clean = readFileSync(join(ROOT, "test/golden/cookbook/etc/mail/sendmail.mc"), "utf8");
    const includeLine = clean.split("\n").findIndex((l) => l.startsWith("include("));
    expect(scanMc(clean, includeLine)).toEqual([]);
    fc.assert(
      fc.property(fc.constantFrom(...refused), fc.nat(), fc.constantFrom("", "`", "dnl ", "# ", "x(", " "), (word, at, before) => {
        const pos = clean.indexOf("\n", at % clean.length) + 1; // a line start after line 1
        const mc = clean.slice(0, pos) + before + word + "(`x')\n" + clean.slice(pos);
        const found = scanMc(
          mc,
          mc.split("\n").findIndex((l) => l.startsWith("include(`/usr/share")),
        );
        expect(found.map((f) => f.word)).toEqual([word]);
        expect(found[0]!.line).toBe(mc.slice(0, pos).split("\n").length);
      }),
      { numRuns: 300 },
    );
  });

  it("refuses sendmail.cf lines that run programs: program maps and classes read from a pipe", () => {
    expect(
      checkCf(
        "Kaccess hash -T<TMPF> /etc/mail/access\nKresolve host -a<OKR> -T<TEMP>\nFw/etc/mail/local-host-names %[^\\#]\nFR-o /etc/mail/relay-domains\n",
      ),
    ).toEqual([]);
    expect(checkCf("Kx program /usr/bin/touch /tmp/x\n")).toHaveLength(1);
    expect(checkCf("Kx socket unix:/run/x\n")).toHaveLength(1);
    expect(checkCf("FX|/usr/bin/touch /tmp/x\n")).toHaveLength(1);
    expect(checkCf("F{X} |/bin/sh\n")).toHaveLength(1);
    // sendmail joins continuation lines: a map or class split over lines is refused whole.
    expect(checkCf("Kx\n\tprogram /usr/bin/touch /tmp/x\n")).toHaveLength(1);
    expect(checkCf("FX\n |/usr/bin/touch /tmp/x\n")).toHaveLength(1);
  });

  it("disables every builtin that runs a command or writes a file before m4 reads the .mc, builtin last", () => {
    for (const b of ["syscmd", "esyscmd", "mkstemp", "maketemp", "debugfile", "builtin"])
      expect(M4_PROLOGUE).toContain(`undefine(\`${b}')`);
    expect(M4_PROLOGUE.lastIndexOf("undefine(`builtin')")).toBeGreaterThan(M4_PROLOGUE.lastIndexOf("undefine(`syscmd')"));
  });
});

describe.skipIf(missing.length > 0)("verify: a tree from someone else runs nothing (real m4 and sendmail)", () => {
  const marks: string[] = [];
  afterAll(() => {
    for (const m of marks) rmSync(m, { force: true });
  });
  /** A path a payload would create. */
  const mark = () => {
    const m = join(tmpdir(), `policyc-verify-pwned-${process.pid}-${marks.length}`);
    marks.push(m);
    return m;
  };
  /** The cookbook tree with `payload` (MARK replaced by a fresh mark) before MAILER(`local'). */
  function hostile(payload: (mark: string) => string): { out: string; mark: string } {
    const out = build("cookbook.policy");
    const m = mark();
    edit(mcOf(out), (s) => s.replace(/^MAILER\(`local'\)dnl$/m, () => payload(m) + "\nMAILER(`local')dnl"));
    return { out, mark: m };
  }

  // Payloads that name what they use: refused before m4 runs (exit 2, the word and its line).
  const NAMED: Record<string, [string, (m: string) => string]> = {
    esyscmd: ["esyscmd", (m) => `esyscmd(\`touch ${m}')dnl`],
    syscmd: ["syscmd", (m) => `syscmd(\`touch ${m}')dnl`],
    "syscmd in a dnl comment": ["syscmd", (m) => `dnl syscmd(\`touch ${m}')`],
    "syscmd in quotes": ["syscmd", (m) => `define(\`x', \`syscmd(\`touch ${m}')')x`],
    indir: ["indir", (m) => `indir(\`es'\`yscmd', \`touch ${m}')dnl`],
    builtin: ["builtin", (m) => `builtin(\`es'\`yscmd', \`touch ${m}')dnl`],
    defn: ["defn", (m) => `define(\`run', defn(\`es'\`yscmd'))run(\`touch ${m}')dnl`],
    changequote: ["changequote", (m) => `changequote([,])esyscm[]d([touch ${m}])dnl`],
    "a second include": ["include", () => "include(`/etc/passwd')dnl"],
    undivert: ["undivert", () => "undivert(`/etc/passwd')dnl"],
    mkstemp: ["mkstemp", (m) => `mkstemp(\`${m}XXXXXX')dnl`],
    debugfile: ["debugfile", (m) => `debugfile(\`${m}')dnl`],
    _CF_DIR_: ["_CF_DIR_", (m) => `define(\`_CF_DIR_', \`${m}/')dnl`],
  };
  it.each(Object.entries(NAMED))("refuses a .mc with %s before running anything (exit 2)", (_name, [word, payload]) => {
    const { out, mark } = hostile(payload);
    const line =
      readFileSync(mcOf(out), "utf8")
        .split("\n")
        .findIndex((l) => l.includes(word) && !l.includes("/m4/cf.m4")) + 1;
    const r = verify([out]);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(new RegExp(`sendmail\\.mc:${line}:\\d+: "${word}" `));
    expect(existsSync(mark)).toBe(false);
  });

  // Payloads that build the name at run time, which no scanner of the text can see: m4 has no such builtin.
  const BUILT: Record<string, (m: string) => string> = {
    "esyscmd joined from ifelse's expansion": (m) => `ifelse(\`a', \`a', \`esys')cmd(\`touch ${m}')dnl`,
    "syscmd joined from a macro": (m) => `define(\`half', \`sys')half()cmd(\`touch ${m}')dnl`,
    "esyscmd cut out of a word with substr": (m) => `substr(\`xesyscmd', 1)(\`touch ${m}')dnl`,
  };
  it.each(Object.entries(BUILT))("runs no command for %s (the payload works on plain m4)", (_name, payload) => {
    // The payload is live: plain m4 runs it.
    const control = mark();
    spawn("m4", [], { input: payload(control) + "\n", encoding: "utf8" });
    expect(existsSync(control)).toBe(true);
    const { out, mark: m } = hostile(payload);
    const r = verify([out]);
    expect(r.code).toBe(1);
    expect(existsSync(m)).toBe(false);
    expect(r.stdout).toMatch(/^FAIL: /m);
  });

  it("reads no root-only file through an include it builds at run time (m4 runs as nobody)", () => {
    const { out } = hostile(() => "ifelse(`a', `a', `inc')lude(`/etc/shadow')dnl");
    const r = verify([out]);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).not.toMatch(/^root:/m);
    expect(r.stderr).toMatch(/shadow/);
  });

  it.each([
    ["a class read from a program", (m: string) => `LOCAL_CONFIG\nFX|/usr/bin/touch ${m}`],
    ["a program map", (m: string) => `LOCAL_CONFIG\nKpwn program /usr/bin/touch ${m}`],
    [
      "a program map that check_rcpt looks up",
      (m: string) => `LOCAL_CONFIG\nKpwn program /usr/bin/touch\nLOCAL_RULESETS\nSLocal_check_rcpt\nR$*\t$: $(pwn ${m} $) $1`,
    ],
    ["a class read from a program on a continuation line", (m: string) => `LOCAL_CONFIG\nFX\n\t|/usr/bin/touch ${m}`],
  ])("refuses a .mc whose sendmail.cf has %s, before sendmail reads it (exit 2)", (_name, payload) => {
    const { out, mark: m } = hostile(payload);
    const r = verify([out]);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toContain("expands to a sendmail.cf that could run programs");
    expect(existsSync(m)).toBe(false);
  });

  it.skipIf(process.getuid?.() !== 0)("(control) sendmail -bt really runs a program map that check_rcpt looks up", () => {
    const { out, mark: m } = hostile(
      (m) => `LOCAL_CONFIG\nKpwn program /usr/bin/touch\nLOCAL_RULESETS\nSLocal_check_rcpt\nR$*\t$: $(pwn ${m} $) $1`,
    );
    const cf = join(out, "control.cf");
    writeFileSync(cf, spawn("m4", [mcOf(out)], { encoding: "utf8" }).stdout);
    spawn(
      "unshare",
      [
        "--uts",
        "sh",
        "-c",
        'hostname mx.policyc-verify.invalid && exec "$@"',
        "sh",
        "sendmail",
        "-bt",
        "-C",
        cf,
        "-O",
        "DontProbeInterfaces=true",
      ],
      {
        input: "check_rcpt <someone@relay-test.invalid>\n",
        encoding: "utf8",
        timeout: 60_000,
        env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` },
      },
    );
    expect(existsSync(m)).toBe(true);
  });

  it("verifies a tree whose policy file is named after an m4 builtin (the header line is discarded by dnl)", () => {
    const dir = tempDir("policyc-verify-test-");
    made.push(dir);
    writeFileSync(join(dir, "esyscmd.policy"), readFileSync(join(ROOT, "examples/cookbook.policy")));
    const out = join(dir, "out");
    expect(runCli(["build", join(dir, "esyscmd.policy"), "-o", out, "-q"]).status).toBe(0);
    expect(readFileSync(mcOf(out), "utf8").split("\n")[0]).toContain("esyscmd");
    expect(verify([out]).code).toBe(0);
  });
});

describe.skipIf(missing.length > 0)("verify: reads only the tree's own regular files", () => {
  it("refuses a sendmail.mc that is a FIFO at once (exit 2), without waiting for a writer", () => {
    const out = build("cookbook.policy");
    unlinkSync(mcOf(out));
    execFileSync("mkfifo", [mcOf(out)]);
    const started = Date.now();
    const r = verify([out]);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("sendmail.mc is a named pipe (FIFO), not a regular file; verify reads only regular files.");
  });

  it("refuses data files that lead out of the tree: a link to a host file or a device (exit 2)", () => {
    for (const target of ["/etc/shadow", "/dev/zero"]) {
      const out = build("cookbook.policy");
      unlinkSync(join(out, "etc/mail/access"));
      symlinkSync(target, join(out, "etc/mail/access"));
      const r = verify([out]);
      expect(r.code, target).toBe(2);
      expect(r.stderr).toContain(`etc/mail/access leads out of the tree (to ${target}); verify reads only the tree's own files.`);
      expect(r.stdout + r.stderr).not.toMatch(/^root:/m);
    }
  });

  it("refuses a class file path of the cf that climbs out of the tree (exit 2)", () => {
    const out = build("cookbook.policy");
    edit(mcOf(out), (s) =>
      s.replace(/^MAILER\(`local'\)dnl$/m, "LOCAL_CONFIG\nF{Leak}/../../../../../../../../etc/shadow\nMAILER(`local')dnl"),
    );
    const r = verify([out]);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toMatch(/leads out of the tree \(to \/etc\/shadow\)/);
  });
});
