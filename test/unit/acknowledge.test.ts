/**
 * README "Safety checks": a warning acknowledged with `unsafe CODE "reason";`
 * in its block stays a diagnostic, marked suppressed with the reason, and no
 * longer counts; one that acknowledges nothing is PC4103.
 */
import { describe, expect, it } from "vitest";
import { compileText } from "../helpers.js";

const mail = (body: string) =>
  `platform debian;\nmail {\n  domain mx.example.test;\n  listen smtp;\n  auth mechanisms DIGEST-MD5, CRAM-MD5;\n${body}}\n`;

function summary(text: string) {
  const d = compileText(text).diagnostics;
  return {
    warnings: d.warningCount,
    suppressed: d.suppressedCount,
    items: d.sorted().map((x) => `${x.code}${x.suppressed ? ` suppressed: ${x.suppressed.justification}` : ""}`),
  };
}

describe("acknowledging a warning with unsafe", () => {
  it("marks the warning suppressed with the reason, and counts it apart", () => {
    expect(summary(mail('  unsafe PC4005 "the recipe\'s clients only speak DIGEST-MD5";\n'))).toEqual({
      warnings: 1,
      suppressed: 1,
      items: ["PC4005 suppressed: the recipe's clients only speak DIGEST-MD5", "PC4006"],
    });
  });

  it("covers only its own block: an acknowledgment in a service does not reach the mail block", () => {
    const text = mail("").replace("mail {", 'service imapd { pam imap; unsafe PC4005 "elsewhere"; }\nmail {');
    expect(summary(text).items).toEqual(["PC4103", "PC4005", "PC4006"]);
  });

  it("reports an acknowledgment of a warning that is not there (PC4103), and refuses an error's code (PC4104)", () => {
    expect(summary(mail('  unsafe PC4002 "nothing fails open here";\n')).items).toEqual(["PC4005", "PC4006", "PC4103"]);
    expect(summary(mail('  unsafe PC3007 "an error";\n')).items).toEqual(["PC4005", "PC4006", "PC4104"]);
  });
});
