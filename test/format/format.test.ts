import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as prettier from "prettier";
import { describe, expect, it } from "vitest";
import plugin from "../../src/format/plugin.js";
import { ROOT } from "../helpers.js";
import { essence, format, layoutProblems } from "./helpers.js";

/**
 * Samples: test/format/samples/<name>/input.policy formats to exactly
 * output.policy. To accept a change on purpose: UPDATE_FORMAT=1 npx vitest run
 * test/format, then review the diff like code.
 */
const SAMPLES = join(ROOT, "test", "format", "samples");
const samples = readdirSync(SAMPLES).sort();
/** Every policy under examples/, as paths relative to it (included files too). */
const examples = (readdirSync(join(ROOT, "examples"), { recursive: true }) as string[]).filter((f) => f.endsWith(".policy")).sort();

describe("format: samples", () => {
  for (const name of samples) {
    it(`formats samples/${name}/input.policy to output.policy`, async () => {
      const input = readFileSync(join(SAMPLES, name, "input.policy"), "utf8");
      const actual = await format(input);
      const expectedPath = join(SAMPLES, name, "output.policy");
      if (process.env.UPDATE_FORMAT) writeFileSync(expectedPath, actual);
      expect(actual).toBe(readFileSync(expectedPath, "utf8"));
    });
  }
});

describe("format: keeps meaning and is idempotent", () => {
  const inputs = [
    ...examples.map((f) => [`examples/${f}`, join(ROOT, "examples", f)] as const),
    ...samples.flatMap((name) => [
      [`samples/${name}/input.policy`, join(SAMPLES, name, "input.policy")] as const,
      [`samples/${name}/output.policy`, join(SAMPLES, name, "output.policy")] as const,
    ]),
  ];
  for (const [label, path] of inputs) {
    it(`${label}: same AST and comments after formatting, and formatting again changes nothing`, async () => {
      const text = readFileSync(path, "utf8");
      const once = await format(text);
      expect(essence(once)).toEqual(essence(text));
      expect(await format(once)).toBe(once);
      expect(layoutProblems(once)).toEqual([]);
    });
  }

  it("the examples are committed formatted", async () => {
    for (const f of examples) {
      const text = readFileSync(join(ROOT, "examples", f), "utf8");
      expect(await format(text), f).toBe(text);
    }
  });
});

describe("format: layout", () => {
  it("keeps a list on one line while it fits in printWidth, else one value per line", async () => {
    expect(await format("users a = alice, bob;\n")).toBe("users a = alice, bob;\n");
    expect(await format("users a = alice, bob;\n", { printWidth: 20 })).toBe("users a =\n  alice,\n  bob;\n");
    expect(await format("mail { relay domains alice, bob; }\n", { printWidth: 24 })).toBe(
      "mail {\n  relay domains\n    alice,\n    bob;\n}\n",
    );
  });

  it("does not count a trailing comment in the line's width", async () => {
    const text = "users a = alice, bob; # a comment much longer than the print width allows for\n";
    expect(await format(text, { printWidth: 30 })).toBe(text);
  });

  it("prints strings as written, escapes included", async () => {
    const text = 'users a = "t\\tab", "\\x41\\u{1F600}", "q\\"uote", "b\\\\s";\n';
    expect(await format(text)).toBe(text);
  });

  it("prints an empty block as {}", async () => {
    expect(await format("service s {   }\nmail {\n\n}\n")).toBe("service s {}\nmail {}\n");
  });

  it("honours tabWidth and useTabs for indentation", async () => {
    const text = "service s { pam x; }\n";
    expect(await format(text, { tabWidth: 4 })).toBe("service s {\n    pam x;\n}\n");
    expect(await format(text, { useTabs: true })).toBe("service s {\n\tpam x;\n}\n");
  });
});

describe("format: plugin", () => {
  it("declares the policyc language for *.policy files", async () => {
    expect(plugin.languages).toEqual([{ name: "policyc", parsers: ["policyc"], extensions: [".policy"] }]);
    const info = await prettier.getFileInfo("site.policy", { plugins: [plugin] });
    expect(info.inferredParser).toBe("policyc");
  });

  it("is chosen by file name, without naming the parser", async () => {
    expect(await prettier.format("platform   debian ;", { filepath: "x/site.policy", plugins: [plugin] })).toBe("platform debian;\n");
  });

  it("formats without printing any comment twice or losing one", async () => {
    const text = "# a\nplatform debian; # b\n# c\n";
    expect(await format(text)).toBe(text);
  });
});

describe("format: comments in a block's header", () => {
  it("finds the block's '{' by the AST, not in a comment that holds braces", async () => {
    const text = "service s # { not the brace\n  # } nor this\n{ pam p; }\nmail # {\n{ domain d; } # after\n";
    expect(await format(text)).toBe("# { not the brace\n# } nor this\nservice s {\n  pam p;\n}\n# {\nmail {\n  domain d;\n} # after\n");
  });

  it("keeps a comment after a '{' on its line, in every kind of block", async () => {
    const text =
      "host h { # h\n  service s { # s\n    acl user allow /f { # a\n      entries x;\n    }\n    stack { # k\n      account acls;\n    }\n  }\n  mail { # m\n    listen 587 { # l\n      address 1.2.3.4;\n    }\n  }\n}\n";
    expect(await format(text)).toBe(text);
  });
});
