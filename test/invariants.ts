import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import type { CompileResult } from "../src/compile.js";
import { RELEASES } from "../src/check/model.js";
import { hiddenRegExp, TEXT_CONTROLS } from "../src/syntax/chars.js";
import { m4MacroIn } from "../src/targets/sendmail/m4names.js";

/** Any character of syntax/chars.ts's classes but TAB and LF. */
const NOT_PLAIN = new RegExp(hiddenRegExp(TEXT_CONTROLS).source, "u");

/** Every line a generated .mc may have: fixed macros with closed-set arguments. */
const MC_LINE = [
  /^dnl .*$/,
  /^divert\((-1|0)\)dnl$/,
  /^define\(`_NO_MAKEINFO_'\)dnl$/,
  /^include\(`\/usr\/share\/sendmail(-cf|\/cf)\/m4\/cf\.m4'\)dnl$/,
  /^VERSIONID\(`policyc'\)dnl$/,
  /^OSTYPE\(`(debian|linux)'\)dnl$/,
  /^define\(`confTRUSTED_USER', `smmta'\)dnl$/,
  /^define\(`confAUTH_MECHANISMS', `([A-Z0-9-]+ ?)*'\)dnl$/,
  /^define\(`confAUTH_OPTIONS', `[a-zA-Z]+'\)dnl$/,
  /^define\(`confAUTH_REALM', `[a-z0-9-]+(\.[a-z0-9-]+)*'\)dnl$/,
  /^define\(`conf(SERVER|CLIENT)_(CERT|KEY)', `\/[A-Za-z0-9_.\/-]+'\)dnl$/,
  /^define\(`confCACERT(_PATH)?', `\/[A-Za-z0-9_.\/-]+'\)dnl$/,
  /^FEATURE\(`(no_default_msa|use_cw_file|access_db)'\)dnl$/,
  /^FEATURE\(`greet_pause', `\d+'\)dnl( \d+ seconds)?$/,
  /^DAEMON_OPTIONS\(`(?<opts>[A-Za-z0-9=,.: _-]+)'\)dnl$/,
  /^TRUST_AUTH_MECH\(`([A-Z0-9-]+ ?)+'\)dnl$/,
  /^MAILER\(`(local|smtp)'\)dnl$/,
];

/**
 * The distribution's own lines: the shipped templates' lines that hold no
 * placeholder reach the .mc as they are (README, "What the generated
 * sendmail.mc keeps"), so they carry no policy data.
 */
const TEMPLATE_LINES = new Set(
  Object.entries(RELEASES).flatMap(([p, releases]) =>
    releases.flatMap((r) =>
      readFileSync(join(fileURLToPath(new URL("../templates", import.meta.url)), p, r, "mail", "sendmail.mc"), "utf8")
        .split("\n")
        .filter((l) => !l.includes("{{")),
    ),
  ),
);

/**
 * pam.d argument tokens: words, or one [...] token that ends at the first "]"
 * not preceded by a backslash; a backslash escapes only "]" (_pam_StrTok in
 * libpam/pam_misc.c), so "[\\]]" is the argument "\]".
 */
const PAM_TOKEN = /\[(?:\\\]|\\(?!\])|[^\]\\])*\]|[^\s\[\]]+/g;

/**
 * What every successful compile must give, whatever the policy: plain bytes;
 * a .mc made only of known lines whose arguments hold no m4 macro word; pam.d
 * lines that pam.conf(5) reads as TYPE CONTROL MODULE ARGS with no "#"
 * outside comments; list files with one clean entry per line under 255 bytes.
 * A failed compile writes nothing.
 */
export function expectSafeOutput(result: CompileResult): void {
  if (result.diagnostics.hasErrors) {
    expect(result.files).toBeUndefined();
    return;
  }
  expect(result.files).toBeDefined();
  for (const f of result.files!) {
    expect(NOT_PLAIN.test(f.content), `${f.path} is not plain text`).toBe(false);
    expect(f.content.endsWith("\n"), `${f.path} ends with a newline`).toBe(true);
    expect(f.mode).toBe(0o644);
    const lines = f.content.slice(0, -1).split("\n");
    if (f.path === "etc/mail/sendmail.mc") {
      for (const line of lines) {
        if (TEMPLATE_LINES.has(line)) continue;
        const shape = MC_LINE.find((re) => re.test(line));
        expect(shape, `unexpected .mc line: ${line}`).toBeDefined();
        if (!line.startsWith("dnl ") && !line.startsWith("include(")) {
          const arg = line
            .replace(/^[A-Za-z_]+\(/, "")
            .replace(/\)dnl( \d+ seconds)?$/, "")
            .replace(/`(conf\w+|_NO_MAKEINFO_)'/, "");
          // (paths are checked word by word too: "/etc/ssl/dnl.pem" would lose its tail to dnl)
          expect(
            m4MacroIn(arg.replace(/`(no_default_msa|use_cw_file|access_db|local|smtp|debian|linux|policyc|smmta|greet_pause)'/, "")),
            line,
          ).toBeUndefined();
        }
      }
    } else if (f.path.startsWith("etc/pam.d/")) {
      for (const line of lines) {
        // Linux-PAM reads lines in 1023-byte pieces and joins a line ending in "\\" to the next.
        expect(Buffer.byteLength(line), `pam.d line of 1023 bytes or more: ${line.slice(0, 80)}...`).toBeLessThan(1023);
        expect(line.trimEnd().endsWith("\\"), `pam.d line ending in a backslash: ${line}`).toBe(false);
        if (line.startsWith("#") || line === "") continue;
        if (line.startsWith("@include ")) {
          expect(line).toMatch(/^@include [A-Za-z0-9_.-]+$/);
          continue;
        }
        expect(line.includes("#"), `"#" in pam.d line: ${line}`).toBe(false);
        const tokens = line.match(PAM_TOKEN) ?? [];
        expect(line.replace(PAM_TOKEN, "").trim(), line).toBe(""); // the tokens and blanks between them are the whole line
        expect(tokens[0], line).toMatch(/^-?(auth|account|password|session)$/);
        expect(tokens[1], line).toMatch(/^(required|requisite|sufficient|optional|include|substack|\[[^\]]+\])$/);
        expect(tokens.length, line).toBeGreaterThanOrEqual(3);
      }
    } else if (!f.path.startsWith("etc/mail/") && !f.path.startsWith("etc/sasl2/")) {
      // A pam_listfile list: entries only (pam_listfile has no comment syntax).
      for (const entry of lines) {
        expect(entry).not.toBe("");
        expect(entry.trim()).toBe(entry);
        expect(Buffer.byteLength(entry)).toBeLessThan(255);
      }
    }
  }
}
