/**
 * README "Data never reaches m4 text" / PC3029: the compiled-in table of m4
 * macro words covers every macro the installed GNU m4 and sendmail-cf
 * define, so no value that reaches the .mc can hold one (the tester found
 * TLS_SRV_TAG and friends, defined in proto.m4, passing and expanding).
 */
import { describe, expect, it } from "vitest";
import { M4_MACROS, m4MacroIn } from "../../src/targets/sendmail/m4names.js";
import { compileText } from "../helpers.js";
// @ts-expect-error: a plain JavaScript build script without type declarations
import { CF_DIR, installedNames } from "../../scripts/m4names.js";
import { requireTools, skipBanner } from "../e2e/stack.js";

const missing = requireTools(["m4", `file:${CF_DIR}/m4/proto.m4`]);
if (missing.length > 0) console.warn(skipBanner("the m4 name table against the installed sendmail-cf", missing));

describe.skipIf(missing.length > 0)("m4 names: the table covers the installed m4 and sendmail-cf", () => {
  const names: string[] = installedNames();

  it("reads a real tree: proto.m4's TLS tags, cf.m4's macros and m4's builtins are among the names found", () => {
    for (const n of [
      "TLS_SRV_TAG",
      "TLS_CLT_TAG",
      "TLS_RCPT_TAG",
      "TLS_TRY_TAG",
      "CLT_FEAT_TAG",
      "SRV_FEAT_TAG",
      "DAEMON_OPTIONS",
      "FEATURE",
      "dnl",
      "esyscmd",
      "format",
    ]) {
      expect(names).toContain(n);
    }
    expect(names.length).toBeGreaterThan(150);
  });

  it("has every name the installed tree defines (regenerate with node scripts/m4names.js --write)", () => {
    expect(names.filter((n) => !M4_MACROS.has(n))).toEqual([]);
  });

  it("refuses each such name as a socket name, and as a word of a TLS path", () => {
    for (const n of names) expect(m4MacroIn(n), n).toBe(n);
    for (const n of ["TLS_SRV_TAG", "SRV_FEAT_TAG", "MAIL_HUB", "SMART_HOST", "format"]) {
      const codes = (body: string) =>
        compileText(`platform debian;\nmail { domain d.example; listen smtp; ${body} }\n`)
          .diagnostics.sorted()
          .map((d) => d.code);
      expect(codes(`listen 2525 { name ${n}; }`), n).toEqual(["PC3029"]);
      expect(
        codes(`tls certificate /etc/ssl/${n}.pem; tls key /etc/ssl/k.pem; tls ca /etc/ssl/ca.pem; tls ca-path /etc/ssl/certs;`),
        n,
      ).toEqual(["PC3029"]);
    }
  });
});
