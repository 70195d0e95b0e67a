import { describe, expect, it } from "vitest";
import { parsePolicy, PolicySyntaxError } from "../../src/format/parser.js";
import { diagnosticsOf } from "../helpers.js";
import { format } from "./helpers.js";

/** Policies with syntax errors, and the compiler's first diagnostic for each as `line:col CODE message`. */
const BROKEN: [string, string][] = [
  ["platform debian;\nservice s {\n  pam x y z;\n}\n", "3:11 PC1001"],
  ["platform debian;\nservice s {\n  acl user allow { entries a; }\n}\n", "3:3 PC1023"],
  ["platform debian;\nusers a = alice, bob\n", "2:21 PC1002"],
  ["platform debian;\nusers a = alice, b\u00e9b;\n", "2:19 PC1003"],
  ['platform debian;\nusers a = "alice;\n', "2:11 PC1004"],
  ['platform debian;\nusers a = "x\\qy";\n', "2:13 PC1005"],
  ["# only a comment\n", "1:1 PC1006"],
  ["platform debian;\nmail { listen smtp { name MSA; }\n", "2:33 PC1002"],
];

describe("format: syntax errors", () => {
  for (const [text, where] of BROKEN) {
    it(`reports ${where} as the compiler does, with a location for prettier's code frame`, async () => {
      const expected = diagnosticsOf(text)[0]!;
      expect(expected.startsWith(where + " ")).toBe(true);
      const [line, column] = where.split(" ")[0]!.split(":").map(Number);
      const error = await format(text).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(SyntaxError);
      const e = error as PolicySyntaxError;
      // "PC1001: Unexpected ...; expected .... (3:18)", then prettier's code frame.
      const [code, message] = [expected.split(" ")[1], expected.split(" ").slice(2).join(" ")];
      expect(e.message.split("\n")[0]).toBe(`${code}: ${message} (${line}:${column})`);
      expect(e.loc?.start).toEqual({ line, column });
      expect(e.message).toContain("|"); // prettier added the code frame
    });
  }

  it("leaves a blank text to prettier, which prints it as is without parsing (policyc fmt reports it)", async () => {
    expect(await format(" \n")).toBe("");
  });

  it("carries every syntax error of the policy as the compiler's diagnostics", () => {
    const text = "platform debian;\nusers a = ;\nusers b = ;\n";
    let error: unknown;
    try {
      parsePolicy(text, "t.policy");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PolicySyntaxError);
    const diagnostics = (error as PolicySyntaxError).diagnostics;
    expect(diagnostics.map((d) => `${d.span!.file.path}:${d.span!.file.position(d.span!.start).line} ${d.code}`)).toEqual([
      "t.policy:2 PC1001",
      "t.policy:3 PC1001",
    ]);
  });
});
