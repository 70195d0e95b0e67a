/**
 * pam.d lines that Linux-PAM reads exactly as written, the lists exactly
 * where `account acls;` stands, lockout checks by what each login service
 * sets, and list files that hold only entries (README "Inside service",
 * "Inside acl", "Safety checks").
 */
import fc from "fast-check";
import { cpSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compile } from "../../src/compile.js";
import { PAM_ACTIONS, PAM_RETURN_VALUES } from "../../src/check/pamControl.js";
import { compileText, diagnosticsOf, TEMPLATES, tempDir, codesOf } from "../helpers.js";
import { expectSafeOutput } from "../invariants.js";

const P = "platform debian;\n";
const codes = codesOf;
const service = (body: string, name = "s") => P + `service ${name} {\n${body}\n}\n`;
const withStack = (lines: string, acl = 'acl user allow "/etc/u.acl" { entries root; }') => service(`  stack {\n${lines}\n  }\n  ${acl}`);
const pamFile = (text: string, name = "s") => compileText(text).files!.find((f) => f.path === `etc/pam.d/${name}`)!.content;
const body = (pam: string) => pam.split("\n").filter((l) => l !== "" && !l.startsWith("#"));

describe("pam.d: arguments ending in a backslash (PC3032)", () => {
  it("refuses a plain, quoted, key=value or bracketed argument that ends in a backslash", () => {
    expect(diagnosticsOf(withStack('    auth required pam_env.so "x\\\\";'))).toEqual([
      '4:30 PC3032 PAM module argument "x\\" ends in a backslash: pam.d reads that as a line continuation and joins the next line to this one.',
    ]);
    expect(codes(withStack('    auth required pam_env.so key="v\\\\";'))).toEqual(["PC3032"]);
    expect(codes(withStack('    auth required pam_env.so "a b\\\\";'))).toEqual(["PC3032"]);
  });

  it("refuses an empty argument, which pam.d would silently drop", () => {
    expect(codes(withStack('    auth required pam_env.so "";'))).toEqual(["PC3010"]);
  });

  it("accepts a backslash elsewhere in an argument", () => {
    expect(codes(withStack('    auth required pam_env.so "x\\\\y" "a\\\\ b";\n    account acls;'))).toEqual([]);
  });
});

describe("pam.d: bracket controls in libpam's vocabulary (PC3015)", () => {
  it("refuses a misspelt return value or action, with a suggestion", () => {
    expect(diagnosticsOf(withStack("    auth [sucess=ok default=bad] pam_unix.so;"))).toEqual([
      '4:10 PC3015 Invalid PAM control "[sucess=ok default=bad]": "sucess" is not a return value Linux-PAM knows (did you mean "success"?); Linux-PAM would treat the line as always failing.',
    ]);
    expect(diagnosticsOf(withStack("    auth [success=okk default=bad] pam_unix.so;"))).toEqual([
      '4:10 PC3015 Invalid PAM control "[success=okk default=bad]": "okk" is not an action (ignore, ok, done, bad, die, reset or a jump count from 1) (did you mean "ok"?); Linux-PAM would treat the line as always failing.',
    ]);
  });

  it("refuses capitals, which libpam compares case-sensitively", () => {
    expect(diagnosticsOf(withStack("    auth [SUCCESS=ok default=bad] pam_unix.so;"))[0]).toContain(
      '"SUCCESS" is not a return value Linux-PAM knows (did you mean "success"? Linux-PAM compares them case-sensitively)',
    );
    expect(codes(withStack("    auth [success=OK default=bad] pam_unix.so;"))).toEqual(["PC3015"]);
    expect(codes(withStack("    auth [success=0 default=bad] pam_unix.so;"))).toEqual(["PC3015"]);
  });

  it("accepts every return value with every action, and jump counts", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.constantFrom(...PAM_RETURN_VALUES),
            fc.oneof(fc.constantFrom(...PAM_ACTIONS), fc.integer({ min: 1, max: 99 }).map(String)),
          ),
          {
            minLength: 1,
            maxLength: 4,
          },
        ),
        (pairs) => {
          const control = `[${pairs.map(([v, a]) => `${v}=${a}`).join(" ")}]`;
          expect(codes(service(`  stack { auth ${control} pam_unix.so; }`))).toEqual([]);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("refuses any value that is not exactly one of libpam's words", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z_]{1,20}$/), (value) => {
        fc.pre(!(PAM_RETURN_VALUES as readonly string[]).includes(value));
        expect(codes(service(`  stack { auth [${value}=ok] pam_unix.so; }`))).toEqual(["PC3015"]);
      }),
      { numRuns: 100 },
    );
  });
});

describe("pam.d: keyword controls and the marker", () => {
  it("suggests the keyword a misspelt control was meant to be", () => {
    expect(diagnosticsOf(withStack("    account requird pam_permit.so;"))).toEqual([
      '4:13 PC3015 Invalid PAM control "requird": expected required, requisite, sufficient, optional, include, substack or [value=action ...] (did you mean "required"?).',
    ]);
    expect(codes(withStack("    account Required pam_permit.so;"))).toEqual([]); // libpam compares keywords with strcasecmp
  });

  it("refuses a second `account acls;`, which would otherwise be ignored", () => {
    expect(diagnosticsOf(withStack("    account acls;\n    account required pam_permit.so;\n    account acls;"))).toEqual([
      '6:5 PC2004 "account acls" is set more than once in the stack.',
    ]);
  });
});

describe("pam.d: every generated line stays under 1023 bytes (PC3033)", () => {
  const listLine = (path: string) => service(`  acl user deny "${path}" { entries alice; }`);
  const fixed = "account required pam_listfile.so item=user sense=deny file= onerr=fail".length;

  it("refuses a list file path that makes the pam_listfile line 1023 bytes, pointing at the path", () => {
    const path = "/" + "d".repeat(1023 - fixed - 1);
    expect(diagnosticsOf(listLine(path))).toEqual([
      `3:17 PC3033 Line 6 of /etc/pam.d/s would be 1023 bytes long (the pam_listfile line of this list file); Linux-PAM reads a pam.d line in pieces of at most 1023 bytes and parses the rest as a new line, so a generated line must stay under 1023 bytes.`,
    ]);
    expect(compileText(listLine(path)).files).toBeUndefined();
  });

  it("accepts that line at 1022 bytes, and reports exactly the lines that reach the limit, whatever their length", () => {
    fc.assert(
      fc.property(fc.integer({ min: 900, max: 1100 }), (n) => {
        const path = "/" + "d".repeat(n - fixed - 1);
        const r = compileText(listLine(path));
        if (n < 1023) {
          const pam = r.files!.find((f) => f.path === "etc/pam.d/s")!.content;
          for (const line of pam.split("\n")) expect(Buffer.byteLength(line)).toBeLessThan(1023);
        } else expect(r.diagnostics.sorted().map((d) => d.code)).toContain("PC3033");
      }),
      { numRuns: 60 },
    );
  });

  it("counts bytes, not characters, and checks stack lines, the header and template lines", () => {
    const arg = "é".repeat(500); // 1000 bytes
    expect(diagnosticsOf(withStack(`    auth required pam_env.so "${arg}";`))[0]).toMatch(
      /^4:5 PC3033 Line 4 of \/etc\/pam.d\/s would be 102\d bytes long \(this stack line\)/,
    );
    const longName = "s".repeat(1000);
    expect(codes(service("", longName))).toContain("PC3033");
    const r = compileText(P + "service s { }\n", "p/" + "x".repeat(1000) + ".policy");
    expect(r.diagnostics.sorted().map((d) => `${d.code} ${d.message}`)[0]).toMatch(
      /^PC3033 Line 1 of \/etc\/pam.d\/s would be \d+ bytes long \(the header comment, which names the policy file\)/,
    );
  });
});

describe("pam.d: the lists stand exactly where `account acls;` stands", () => {
  const LISTFILE = "account required pam_listfile.so item=user sense=allow file=/etc/u.acl onerr=fail";

  it("puts them at the marker even when account lines come before it", () => {
    const pam = pamFile(withStack("    account required pam_permit.so;\n    account acls;\n    account sufficient pam_permit.so;"));
    expect(body(pam)).toEqual(["account required pam_permit.so", LISTFILE, "account sufficient pam_permit.so"]);
  });

  it("puts them before the first account line without a marker, and last when there is none", () => {
    expect(body(pamFile(withStack("    auth required pam_permit.so;\n    account optional pam_permit.so;")))).toEqual([
      "auth required pam_permit.so",
      LISTFILE,
      "account optional pam_permit.so",
    ]);
    expect(body(pamFile(withStack("    auth required pam_permit.so;")))).toEqual(["auth required pam_permit.so", LISTFILE]);
  });

  it("for generated stacks, the pam_listfile line is where the marker is, or before the first account line", () => {
    const line = fc.record({
      type: fc.constantFrom("auth", "account", "session", "password"),
      control: fc.constantFrom("required", "optional", "requisite"),
    });
    fc.assert(
      fc.property(fc.array(line, { maxLength: 6 }), fc.option(fc.nat(6)), (lines, marker) => {
        const text = lines.map((l, i) => `    ${l.type} ${l.control} pam_m${i}.so;`);
        if (marker !== null) text.splice(Math.min(marker, text.length), 0, "    account acls;");
        const out = body(pamFile(withStack(text.join("\n"))));
        const expected = text.filter((t) => !t.includes("acls")).map((t) => t.trim().slice(0, -1));
        const at =
          marker !== null
            ? Math.min(marker, lines.length)
            : ((i) => (i < 0 ? lines.length : i))(lines.findIndex((l) => l.type === "account"));
        expected.splice(at, 0, LISTFILE);
        expect(out).toEqual(expected);
      }),
      { numRuns: 100 },
    );
  });
});

describe("check: PC4102 follows Linux-PAM's dispatcher", () => {
  it("refuses a reset after the lists, which wipes out their refusal", () => {
    expect(
      diagnosticsOf(withStack("    account acls;\n    account [default=reset] pam_permit.so;\n    account required pam_permit.so;")),
    ).toEqual([
      '5:5 PC4102 The account line "account [default=reset] pam_permit.so" comes after the access lists and its reset action wipes out their refusal, so a later success lets in a user they refuse; remove the reset.',
    ]);
    expect(codes(withStack("    account [success=ok default=reset] pam_unix.so;"))).toEqual(["PC4102"]); // no marker: the lists come first
  });

  it("is silent on ok, done, die, bad, jumps and sufficient after the lists: none of them undoes a required failure", () => {
    for (const control of [
      "sufficient",
      "[success=done default=ignore]",
      "[default=ok]",
      "[success=1 default=ignore]",
      "[default=die]",
      "requisite",
      "include",
    ]) {
      expect(
        codes(withStack(`    account acls;\n    account ${control} pam_permit.so;\n    account required pam_permit.so;`)),
        control,
      ).toEqual([]);
    }
  });

  it("is silent on a reset before the lists, and on resets in other stacks", () => {
    expect(
      codes(withStack("    account [default=reset] pam_permit.so;\n    account acls;\n    auth [default=reset] pam_permit.so;")),
    ).toEqual([]);
  });

  it("lets unsafe allow it, visibly", () => {
    const text = service(
      '  stack {\n    account acls;\n    account [default=reset] pam_permit.so;\n  }\n  acl user allow "/etc/u.acl" { entries root; }\n  unsafe PC4102 "lab host";',
    );
    expect(codes(text)).toEqual(["PC4100"]);
  });
});

describe("check: lockouts on login services", () => {
  it("warns about a group allow list without root's group or an admin group, and a shell list without root's shell (PC4003)", () => {
    expect(diagnosticsOf(P + 'service sshd { acl group allow "/f" { entries developers; } }\n')).toEqual([
      '2:16 PC4003 This allow list on the login service "sshd" names no administrator (one of the groups root, wheel, sudo, admin, adm): one mistake in it locks out the people who could fix it.',
    ]);
    expect(diagnosticsOf(P + 'service sudo { acl shell allow "/f" { entries /bin/zsh; } }\n')).toEqual([
      '2:16 PC4003 This allow list on the login service "sudo" names no administrator (root\'s login shell /bin/bash): one mistake in it locks out the people who could fix it.',
    ]);
    expect(codes(P + 'service gdm { pam gdm-password; acl user allow "/f" { entries alice; } }\n')).toEqual(["PC4003"]);
  });

  it("is silent when root's group, an admin group or root's shell is listed, on deny lists and other services", () => {
    expect(codes(P + 'service sshd { acl group allow "/f" { entries developers, root; } }\n')).toEqual([]);
    expect(codes(P + 'service sudo { acl shell allow "/f" { entries /bin/zsh, /bin/bash; } }\n')).toEqual([]);
    expect(codes(P + 'service sshd { acl shell deny "/f" { entries /bin/bash; } }\n')).toEqual([]);
    expect(codes(P + 'service imapd { pam imap; acl shell allow "/f" { entries /bin/zsh; } }\n')).toEqual([]);
  });

  it("refuses an rhost allow list where the service never sets the remote host, and a ruser one where it never sets the remote user (PC4105)", () => {
    expect(diagnosticsOf(P + 'service login { template local; acl rhost allow "/f" { entries h.example.org; } }\n')).toEqual([
      '2:33 PC4105 This rhost allow list on the PAM service "login" denies everyone: console logins through login never set PAM_RHOST (only login -h, for telnet, does), and pam_listfile refuses a request whose item is unset.',
    ]);
    expect(codes(P + 'service su { template local; acl rhost allow "/f" { entries h.example.org; } }\n')).toEqual(["PC4105"]);
    expect(codes(P + 'service sudo { template local; acl rhost allow "/f" { entries h.example.org; } }\n')).toEqual(["PC4105"]);
    expect(codes(P + 'service sshd { acl ruser allow "/f" { entries root; } }\n')).toEqual(["PC4105"]);
    expect(diagnosticsOf(P + 'service sshd { acl tty allow "/f" { entries tty1; } }\n')).toEqual([
      '2:16 PC4105 This tty allow list on the PAM service "sshd" denies everyone: sshd checks the account with PAM_TTY set to "ssh", which the list does not name.',
    ]);
    expect(codes(P + 'service gdm { pam gdm-password; acl ruser allow "/f" { entries root; } }\n')).toEqual(["PC4105"]);
  });

  it("is silent where the item is set (sshd's rhost, su's ruser), on deny lists, and with unsafe it is a warning", () => {
    expect(codes(P + 'service sshd { acl rhost allow "/f" { entries h.example.org; } }\n')).toEqual([]);
    expect(codes(P + 'service sshd { acl tty allow "/f" { entries tty1, ssh; } }\n')).toEqual([]);
    expect(codes(P + 'service login { template local; acl tty allow "/f" { entries tty1; } }\n')).toEqual([]);
    expect(codes(P + 'service su { template local; acl ruser allow "/f" { entries root; } }\n')).toEqual([]);
    expect(codes(P + 'service sudo { template local; acl ruser allow "/f" { entries root; } }\n')).toEqual([]);
    expect(codes(P + 'service login { template local; acl rhost deny "/f" { entries h.example.org; } }\n')).toEqual([]);
    expect(
      codes(P + 'service login { template local; acl rhost allow "/f" { entries h.example.org; unsafe PC4105 "telnet only"; } }\n'),
    ).toEqual(["PC4100"]);
  });
});

describe("pam.d: a site template line that ends in a backslash (PC3034)", () => {
  const withTemplate = (template: string) => {
    const dir = tempDir();
    cpSync(TEMPLATES, dir, { recursive: true });
    writeFileSync(join(dir, "debian/pam.d/service"), template);
    return compile("t.policy", new TextEncoder().encode(P + 'service s { acl user allow "/f" { entries root; } }\n'), { templates: dir });
  };

  it("refuses it: PAM would join the pam_listfile line (past the comment above it) to that line", () => {
    const r = withTemplate("# {{header}}\naccount optional pam_permit.so \\\n{{acls}}\n@include common-account\n");
    expect(r.files).toBeUndefined();
    expect(r.diagnostics.sorted().map((d) => `${d.code} ${d.message}`)).toEqual([
      "PC3034 Line 2 of /etc/pam.d/s ends in a backslash (line 2 of the template): Linux-PAM would join the next non-comment line, such as a pam_listfile line, to it.",
    ]);
  });

  it("is silent on comments that end in a backslash, which PAM skips whole", () => {
    const r = withTemplate("# {{header}}\n# a comment \\\naccount optional pam_permit.so # note \\\n{{acls}}\n");
    expect(r.diagnostics.sorted().map((d) => d.code)).toEqual([]);
  });
});

/**
 * How libpam splits a pam.d line into words (_pam_StrTok, libpam/pam_misc.c,
 * Linux-PAM 1.5.2): blanks separate words; a word starting with "[" runs to
 * the first "]" not preceded by a backslash, "\\]" becoming "]".
 */
function strTok(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  const blank = (c: string | undefined) => c === " " || c === "\t" || c === "\n";
  while (i < line.length) {
    while (i < line.length && blank(line[i])) i++;
    if (i >= line.length) break;
    let word = "";
    if (line[i] === "[") {
      i++;
      while (i < line.length && line[i] !== "]") {
        if (line[i] === "\\" && line[i + 1] === "]") i++;
        word += line[i++];
      }
      i++; // the closing "]" (and, as in libpam, whatever char ends the string)
    } else {
      while (i < line.length && !blank(line[i])) word += line[i++];
    }
    out.push(word);
  }
  return out;
}

describe("pam.d: generated arguments", () => {
  it("either are refused or give lines PAM reads as written: no continuation, each under 1023 bytes", () => {
    const piece = fc.oneof(fc.constantFrom("\\", "\\\\", "]", "[", " ", "=", "é", "x".repeat(300)), fc.string({ maxLength: 8 }));
    const arg = fc.array(piece, { minLength: 1, maxLength: 6 }).map((a) => a.join(""));
    fc.assert(
      fc.property(fc.array(arg, { minLength: 1, maxLength: 4 }), (args) => {
        const quoted = args.map((a) => JSON.stringify(a)).join(" ");
        const r = compileText(withStack(`    account acls;\n    account optional pam_permit.so ${quoted};`));
        expectSafeOutput(r);
        if (!r.diagnostics.hasErrors) {
          const pam = r.files!.find((f) => f.path === "etc/pam.d/s")!.content;
          expect(pam).toContain("account required pam_listfile.so item=user sense=allow file=/etc/u.acl onerr=fail\n");
          const line = pam.split("\n").find((l) => l.startsWith("account optional pam_permit.so "))!;
          expect(strTok(line).slice(3)).toEqual(args);
        }
      }),
      { numRuns: 300 },
    );
  });
});
