/**
 * README "Safety checks", PC4115, and "Inside mail", `auth backend
 * saslauthd`: the auth stack of the PAM service "smtp" is SMTP AUTH's
 * password check, so a custom stack there that lets a login through without
 * a password is refused, unless a visible `unsafe PC4115` allows it.
 * (test/e2e/saslauthd.e2e.test.ts shows on the real stack that the PAM
 * service is "smtp" and that its lists decide who relays.)
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileText } from "../helpers.js";

interface AuthLine {
  control: string;
  module: string;
  args: string[];
}

const authLine: fc.Arbitrary<AuthLine> = fc.record({
  control: fc.constantFrom("required", "requisite", "sufficient", "optional", "[success=1 default=ignore]"),
  module: fc.constantFrom("pam_unix.so", "pam_permit.so", "/lib/x86_64-linux-gnu/security/pam_permit.so", "pam_deny.so", "pam_env.so"),
  args: fc.subarray(["nullok", "nullok_secure", "try_first_pass", "audit"]),
});

/** What the README promises: pam_permit in auth, or nullok on an auth line. */
const passwordless = (l: AuthLine) => /(^|\/)pam_permit\.so$/.test(l.module) || l.args.some((a) => a === "nullok" || a === "nullok_secure");

function policy(o: { pam: string; backend: "sasldb" | "saslauthd"; lines: AuthLine[]; unsafe: boolean }): string {
  const stack = o.lines.map((l) => `    auth ${l.control} ${l.module}${l.args.map((a) => " " + a).join("")};`);
  return [
    "platform debian;",
    "service mailauth {",
    `  pam ${o.pam};`,
    ...(o.unsafe ? ['  unsafe PC4115 "test host, accounts without passwords are locked";'] : []),
    "  stack {",
    ...stack,
    "    account required pam_unix.so;",
    "  }",
    "}",
    "mail {",
    "  domain mx.example.test;",
    "  listen smtp;",
    "  auth mechanisms SCRAM-SHA-256, PLAIN;",
    `  auth backend ${o.backend};`,
    "  relay authenticated;",
    "}",
    "",
  ].join("\n");
}

const codesOf = (text: string, code: string) =>
  compileText(text)
    .diagnostics.sorted()
    .filter((d) => d.code === code || (d.code === "PC4100" && d.message.includes(code)))
    .map((d) => ({ code: d.code, line: d.span ? d.span.file.position(d.span.start).line : 0 }));

describe("PC4115: no passwordless auth stack behind saslauthd", () => {
  it("refuses each pam_permit or nullok auth line of the smtp stack, and only those, when saslauthd checks passwords", () => {
    fc.assert(
      fc.property(fc.array(authLine, { minLength: 1, maxLength: 4 }), (lines) => {
        const text = policy({ pam: "smtp", backend: "saslauthd", lines, unsafe: false });
        const want = lines.flatMap((l, i) => (passwordless(l) ? [{ code: "PC4115", line: 5 + i }] : []));
        expect(codesOf(text, "PC4115"), text).toEqual(want);
      }),
      { numRuns: 200 },
    );
  });

  it("says nothing with sasldb (PAM is not asked) or on another PAM service", () => {
    fc.assert(
      fc.property(
        fc.array(authLine, { minLength: 1, maxLength: 4 }),
        fc.constantFrom("sasldb", "saslauthd"),
        fc.constantFrom("smtp", "imap", "smtpd"),
        (lines, backend, pam) => {
          fc.pre(backend === "sasldb" || pam !== "smtp");
          const text = policy({ pam, backend: backend as "sasldb" | "saslauthd", lines, unsafe: false });
          expect(codesOf(text, "PC4115"), text).toEqual([]);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("turns into warning PC4100, which keeps the reason, under unsafe PC4115; an unsafe PC4115 with nothing to allow is PC4103", () => {
    fc.assert(
      fc.property(fc.array(authLine, { minLength: 1, maxLength: 4 }), (lines) => {
        const text = policy({ pam: "smtp", backend: "saslauthd", lines, unsafe: true });
        const result = compileText(text);
        const diags = result.diagnostics.sorted();
        expect(diags.filter((d) => d.code === "PC4115")).toEqual([]);
        const allowed = diags.filter((d) => d.code === "PC4100");
        expect(allowed.length, text).toBe(lines.filter(passwordless).length);
        for (const d of allowed) expect(d.message).toContain("test host, accounts without passwords are locked");
        expect(
          diags.some((d) => d.code === "PC4103"),
          text,
        ).toBe(!lines.some(passwordless));
      }),
      { numRuns: 100 },
    );
  });
});

describe("greet pause (PC3065, PC4025)", () => {
  const mail = (platform: string, value: string) =>
    `platform ${platform};\nmail {\n  domain mx.example.test;\n  listen smtp;\n  greet pause ${value};\n}\n`;

  it("writes FEATURE(greet_pause, MS) for whole milliseconds up to 300000, and warns below the platform's stock pause", () => {
    fc.assert(
      fc.property(fc.constantFrom("debian", "redhat"), fc.integer({ min: 0, max: 300_000 }), (platform, ms) => {
        const result = compileText(mail(platform, String(ms)));
        const codes = result.diagnostics.sorted().map((d) => d.code);
        expect(codes).toEqual(platform === "debian" && ms < 1000 ? ["PC4025"] : []);
        const mc = result.files!.find((f) => f.path === "etc/mail/sendmail.mc")!.content;
        expect(mc.split("\n").filter((l) => l.startsWith("FEATURE(`greet_pause'"))).toEqual([`FEATURE(\`greet_pause', \`${ms}')dnl`]);
      }),
      { numRuns: 200 },
    );
  });

  it("refuses anything else with PC3065 and writes nothing", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: 300_001, max: 10_000_000 }).map(String), fc.constantFrom("1s", "-1", "01", "1.5", "1e3", "0x10", "ms")),
        (value) => {
          const result = compileText(mail("debian", value));
          expect(
            result.diagnostics.sorted().map((d) => d.code),
            value,
          ).toContain("PC3065");
          expect(result.files).toBeUndefined();
        },
      ),
      { numRuns: 100 },
    );
  });

  it("keeps the stock pause when the policy says nothing: Debian's line as Debian writes it, none on Red Hat", () => {
    const plain = (platform: string) =>
      compileText(`platform ${platform};\nmail {\n  domain mx.example.test;\n  listen smtp;\n}\n`).files!.find(
        (f) => f.path === "etc/mail/sendmail.mc",
      )!.content;
    expect(plain("debian")).toContain("\nFEATURE(`greet_pause', `1000')dnl 1 seconds\n");
    expect(plain("redhat")).not.toContain("greet_pause");
  });
});
