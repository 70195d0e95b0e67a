/**
 * Site templates (README, the templates paragraph of "Generated files"): a needed placeholder
 * counts only where it takes effect; one inside a comment is an error (PC5020), not a pass.
 */
import fc from "fast-check";
import { execFileSync } from "node:child_process";
import { cpSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compile } from "../../src/compile.js";
import { commentStart } from "../../src/targets/templates.js";
import { tempDir, TEMPLATES } from "../helpers.js";

const made: string[] = [];
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** A copy of the shipped templates with one file's text changed by edit. */
function siteTemplates(file: string, edit: (text: string) => string): string {
  const dir = tempDir("policyc-templates-");
  made.push(dir);
  cpSync(TEMPLATES, dir, { recursive: true });
  const p = join(dir, file);
  writeFileSync(p, edit(readFileSync(p, "utf8")));
  return dir;
}

const ONE_ACL = 'platform debian;\nservice imapd { pam imap; acl user allow "/etc/imapd.acl" { entries alice, root; } }\n';
const TWO_ACLS =
  'platform debian;\nservice imapd { pam imap; acl user allow "/etc/a.acl" { entries alice, root; } acl tty deny "/etc/t.acl" { entries tty9; } }\n';
const NO_ACL = "platform debian;\nservice imapd { pam imap; }\n";
const MAIL =
  "platform debian;\nmail {\n  domain mx.example.test;\n  listen smtp;\n  auth mechanisms SCRAM-SHA-256;\n  relay authenticated;\n  tls certificate /etc/ssl/c.pem;\n  tls key /etc/ssl/k.pem;\n  tls ca /etc/ssl/ca.pem;\n  tls ca-path /etc/ssl/certs;\n}\n";

/** code and message of each diagnostic, with the temp folder cut out of paths. */
function run(policy: string, templates: string): { lines: string[]; files: boolean } {
  const r = compile("site.policy", new TextEncoder().encode(policy), { templates });
  return { lines: r.diagnostics.sorted().map((d) => `${d.code} ${d.message.replace(templates + "/", "")}`), files: r.files !== undefined };
}

describe("templates: a placeholder in a comment does not count", () => {
  it("refuses a pam.d template whose {{acls}} is commented out (PC5020), which used to pass PC5006", () => {
    const t = siteTemplates("debian/pam.d/service", (s) => s.replace("\n{{acls}}\n", "\n# {{acls}}\n"));
    expect(run(ONE_ACL, t)).toEqual({
      lines: [
        "PC5020 Template debian/pam.d/service line 5 has {{acls}} inside a comment, so the lines it stands for would be commented out; put it on a line of its own.",
      ],
      files: false,
    });
    // Two access lists are two lines: still one error, the same one.
    expect(run(TWO_ACLS, t).lines.map((l) => l.slice(0, 6))).toEqual(["PC5020"]);
  });

  it("refuses a commented-out copy beside a live one, and accepts a commented one the policy has no lines for", () => {
    const t = siteTemplates("debian/pam.d/service", (s) => s.replace("\n{{acls}}\n", "\n{{acls}}\n#{{acls}}\n"));
    expect(run(ONE_ACL, t).lines.map((l) => l.slice(0, 6))).toEqual(["PC5020"]);
    expect(run(NO_ACL, t)).toEqual({ lines: [], files: true });
  });

  it("still reports a template without the placeholder at all as PC5006", () => {
    const t = siteTemplates("debian/pam.d/service", (s) => s.replace("\n{{acls}}\n", "\n"));
    expect(run(ONE_ACL, t).lines.map((l) => l.slice(0, 6))).toEqual(["PC5006"]);
  });

  it("says that a placeholder for several lines must be on a line of its own (PC5021)", () => {
    const t = siteTemplates("debian/pam.d/service", (s) => s.replace("\n{{acls}}\n", "\naccount optional pam_permit.so {{acls}}\n"));
    expect(run(TWO_ACLS, t).lines).toEqual([
      "PC5021 Template debian/pam.d/service line 5 has {{acls}} inside a line, but it stands for several lines; put it on a line of its own.",
    ]);
  });

  it.each([
    ["dnl before {{tls}}", "{{tls}}", "dnl {{tls}}", "tls"],
    ["a line's closing dnl before {{auth}}", "{{auth}}", "FEATURE(`use_cw_file')dnl {{auth}}", "auth"],
    ["# before {{trust}}", "{{trust}}", "# {{trust}}", "trust"],
    ["# before {{daemon_options}}", "{{daemon_options}}", "#{{daemon_options}}", "daemon_options"],
  ])("refuses a .mc with %s", (_name, from, to, key) => {
    const t = siteTemplates("debian/12/mail/sendmail.mc", (s) => s.replace(from, to));
    const r = run(MAIL, t);
    expect(r.files).toBe(false);
    expect(r.lines.filter((l) => !l.startsWith("PC40"))).toEqual([
      expect.stringMatching(new RegExp(`^PC5020 Template debian/12/mail/sendmail\\.mc line \\d+ has \\{\\{${key}\\}\\} inside a comment`)),
    ]);
  });

  it("refuses a Sendmail.conf whose mech_list is commented out (sendmail would offer every mechanism)", () => {
    const t = siteTemplates("debian/mail/Sendmail.conf", (s) => s.replace("mech_list: {{mech_list}}", "# mech_list: {{mech_list}}"));
    expect(run(MAIL, t).lines.filter((l) => !l.startsWith("PC40"))).toEqual([
      "PC5020 Template debian/mail/Sendmail.conf line 5 has {{mech_list}} inside a comment, so the lines it stands for would be commented out; put it on a line of its own.",
    ]);
    const gone = siteTemplates("debian/mail/Sendmail.conf", (s) => s.replace("mech_list: {{mech_list}}\n", ""));
    expect(
      run(MAIL, gone)
        .lines.filter((l) => !l.startsWith("PC40"))
        .map((l) => l.slice(0, 6)),
    ).toEqual(["PC5006"]);
  });

  it("accepts the shipped templates for every example-like policy", () => {
    for (const p of [ONE_ACL, TWO_ACLS, NO_ACL, MAIL]) expect(run(p, TEMPLATES).files).toBe(true);
  });
});

describe("templates: where comments start (property)", () => {
  it("finds the comment of any line of text, '#' in every file and dnl in a .mc", () => {
    const code = fc.stringMatching(/^[A-Za-z0-9_ ()`',=.]{0,20}$/).filter((s) => !/(?<![A-Za-z0-9_])dnl(?![A-Za-z0-9_])/.test(s));
    fc.assert(
      fc.property(code, fc.constantFrom("#", "dnl ", "dnl(", "# dnl"), fc.string({ maxLength: 10 }), (before, marker, after) => {
        // The marker must start a word of its own after the code before it.
        const line = before + (marker.startsWith("dnl") ? " " : "") + marker + after;
        const at = line.indexOf(marker, before.length);
        if (marker.startsWith("#")) expect(commentStart(line, "hash")).toBe(at);
        expect(commentStart(line, "m4")).toBe(at);
        expect(commentStart(before, "hash")).toBe(-1);
        expect(commentStart(before, "m4")).toBe(-1);
      }),
      { numRuns: 500 },
    );
    expect(commentStart("FEATURE(`x')dnl", "m4")).toBe(12);
    expect(commentStart("undnl dnlx xdnl_ {{a}}", "m4")).toBe(-1);
    expect(commentStart("dnl", "hash")).toBe(-1);
  });

  it("refuses every needed placeholder of every shipped template when a comment marker comes first (200 cases)", () => {
    const cases = [
      { file: "debian/pam.d/service", key: "acls", policy: ONE_ACL, markers: ["#", "# ", "account required pam_permit.so #"] },
      { file: "redhat/pam.d/service", key: "acls", policy: ONE_ACL.replace("debian", "redhat"), markers: ["#", "# "] },
      { file: "debian/12/mail/sendmail.mc", key: "tls", policy: MAIL, markers: ["dnl ", "#", "dnl # ", "VERSIONID(`x')dnl "] },
      { file: "debian/12/mail/sendmail.mc", key: "trust", policy: MAIL, markers: ["dnl ", "#"] },
      { file: "debian/mail/Sendmail.conf", key: "mech_list", policy: MAIL, markers: ["#", "# mech_list: "] },
    ];
    const dirs = new Map<string, string>();
    fc.assert(
      fc.property(fc.constantFrom(...cases), fc.nat(), (c, n) => {
        const marker = c.markers[n % c.markers.length]!;
        const id = `${c.file}|${c.key}|${marker}`;
        let t = dirs.get(id);
        if (!t) {
          t = siteTemplates(c.file, (s) => s.replace(new RegExp(`^.*\\{\\{${c.key}\\}\\}.*$`, "m"), `${marker}{{${c.key}}}`));
          dirs.set(id, t);
        }
        const r = run(c.policy, t);
        expect(r.files).toBe(false);
        expect(r.lines.some((l) => l.startsWith(`PC5020 Template ${c.file} line `) && l.includes(`{{${c.key}}}`))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});

describe("templates: a site's templates folder is input too", () => {
  it("refuses a template that is a FIFO or a device without waiting on it or reading it (PC5001)", () => {
    const t = siteTemplates("debian/pam.d/service", (s) => s);
    const service = join(t, "debian/pam.d/service");
    unlinkSync(service);
    execFileSync("mkfifo", [service]);
    const started = Date.now();
    expect(run(ONE_ACL, t).lines).toEqual([
      "PC5001 Template debian/pam.d/service is missing: it is a named pipe (FIFO), not a regular file.",
    ]);
    expect(Date.now() - started).toBeLessThan(5000);
    unlinkSync(service);
    symlinkSync("/dev/zero", service);
    expect(run(ONE_ACL, t).lines).toEqual([
      "PC5001 Template debian/pam.d/service is missing: it is a character device, not a regular file.",
    ]);
  });
});
