/** The .mc reader of `policyc import` (src/import/m4.ts): m4's lexical rules with sendmail-cf's quotes, nothing run. */
import { describe, expect, it } from "vitest";
import { readM4, unquote } from "../../src/import/m4.js";

const calls = (text: string) => readM4(text).calls.map((c) => [c.name, ...(c.args ?? [])]);

describe("import: the m4 reader", () => {
  it("reads calls with their arguments, one level of quotes removed, and skips dnl and # comments", () => {
    expect(calls("dnl FEATURE(`x')\n# FEATURE(`y')\nFEATURE(`access_db', , `skip')dnl ignored\nMAILER_DEFINITIONS\n")).toEqual([
      ["FEATURE", "access_db", "", "skip"],
      ["MAILER_DEFINITIONS"],
    ]);
  });

  it("drops an unquoted dnl inside arguments with the rest of its line, as m4 does", () => {
    expect(calls("define(`confPRIVACY_FLAGS',dnl\n`needmailhelo,authwarnings')dnl\n")).toEqual(
      calls("define(`confPRIVACY_FLAGS', `needmailhelo,authwarnings')dnl\n"),
    );
  });

  it("keeps nested quotes and parentheses inside an argument", () => {
    expect(calls("define(`X', `a(b, c) `d'')")).toEqual([["define", "X", "a(b, c) `d'"]]);
    expect(unquote("`a'`b'c")).toBe("abc");
  });

  it("reports text m4 copies to its output after divert(0), and none after divert(-1)", () => {
    expect(readM4("divert(-1)\nstray words\ndivert(0)\nmore words\n").text.map((t) => t.value.trim())).toEqual(["more words"]);
  });

  it("stops at changequote, and at a quote or argument list that never closes", () => {
    expect(readM4("FEATURE(`a')\nchangequote([,])\nFEATURE([b])\n").stopped?.why).toBe(
      "changequote changes how the rest of the file reads",
    );
    expect(readM4("FEATURE(`a')\nchangequote([,])\n").calls.map((c) => c.name)).toEqual(["FEATURE"]);
    expect(readM4("`never closed").stopped?.why).toBe("a quote that is never closed");
    expect(readM4("FEATURE(`a'").stopped?.why).toBe("the arguments of FEATURE are never closed");
  });
});
