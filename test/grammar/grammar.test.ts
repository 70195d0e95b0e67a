import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import * as oniguruma from "vscode-oniguruma";
import * as vsctm from "vscode-textmate";
import { ROOT } from "../helpers.js";

/**
 * README "In the editor": the TextMate grammar (editors/vscode/syntaxes/
 * policy.tmLanguage.json) tokenized with VS Code's own engine
 * (vscode-textmate on the Oniguruma regular expressions VS Code uses) over
 * every example and every formatter sample, against a committed snapshot
 * per file: one line per token, its text and its scopes.
 * `UPDATE_GRAMMAR=1 npx vitest run test/grammar/grammar.test.ts` rewrites
 * the snapshots; review the diff.
 */
const GRAMMAR = join(ROOT, "editors/vscode/syntaxes/policy.tmLanguage.json");
const SNAPSHOTS = join(ROOT, "test/grammar/snapshots");
const UPDATE = process.env.UPDATE_GRAMMAR === "1";

let grammar: vsctm.IGrammar;

beforeAll(async () => {
  const require = createRequire(import.meta.url);
  const wasm = readFileSync(join(require.resolve("vscode-oniguruma"), "..", "onig.wasm"));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength) as ArrayBuffer);
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns: string[]) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s: string) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scope) => (scope === "source.policy" ? vsctm.parseRawGrammar(readFileSync(GRAMMAR, "utf8"), GRAMMAR) : null),
  });
  const g = await registry.loadGrammar("source.policy");
  if (!g) throw new Error("the grammar did not load");
  grammar = g;
});

/** Each token of a text: line, its text and its scopes below source.policy. */
function tokenize(text: string): { line: number; text: string; scopes: string[] }[] {
  const out: { line: number; text: string; scopes: string[] }[] = [];
  let stack = vsctm.INITIAL;
  text.split("\n").forEach((line, i) => {
    const r = grammar.tokenizeLine(line, stack);
    for (const t of r.tokens) {
      const piece = line.slice(t.startIndex, t.endIndex);
      out.push({ line: i + 1, text: piece, scopes: t.scopes.slice(1) });
    }
    stack = r.ruleStack;
  });
  return out;
}

/** The snapshot text: one token per line, blank tokens and unscoped white space left out. */
function snapshot(text: string): string {
  return (
    tokenize(text)
      .filter((t) => t.text.trim() !== "")
      .map((t) => `${t.line}\t${JSON.stringify(t.text)}\t${t.scopes.join(" ")}`)
      .join("\n") + "\n"
  );
}

function policies(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? policies(join(dir, e.name)) : e.name.endsWith(".policy") ? [join(dir, e.name)] : [],
  );
}

const FILES = [...policies(join(ROOT, "examples")), ...policies(join(ROOT, "test/format/samples"))].sort();

describe("grammar: snapshots of every example and formatter sample", () => {
  it("finds the files", () => {
    expect(FILES.length).toBeGreaterThan(20);
  });
  it.each(FILES.map((f) => relative(ROOT, f)))("%s", (file) => {
    const name = file.replace(/\.policy$/, "").replace(/\//g, "__") + ".tokens";
    const actual = snapshot(readFileSync(join(ROOT, file), "utf8"));
    const path = join(SNAPSHOTS, name);
    if (UPDATE || !existsSync(path)) {
      if (!UPDATE) throw new Error(`no snapshot ${relative(ROOT, path)}: run with UPDATE_GRAMMAR=1 and review it`);
      mkdirSync(SNAPSHOTS, { recursive: true });
      writeFileSync(path, actual);
    }
    expect(actual).toBe(readFileSync(path, "utf8"));
  });
});

describe("grammar: what each construct is", () => {
  const scopeOf = (text: string, piece: string, nth = 0): string => {
    const found = tokenize(text).filter((t) => t.text.trim() === piece.trim());
    if (!found[nth]) throw new Error(`no token "${piece}" in ${JSON.stringify(text)}: ${JSON.stringify(tokenize(text))}`);
    return found[nth].scopes.join(" ");
  };

  it("comments, keywords, list definitions and references", () => {
    const text =
      'platform debian; # the platform\nusers staff = alice, $admins;\nservice imapd {\n  pam imap;\n  acl user allow "/etc/x" { entries $staff; }\n}\n';
    expect(scopeOf(text, "# the platform")).toBe("comment.line.number-sign.policy");
    expect(scopeOf(text, "platform")).toBe("keyword.control.statement.policy");
    expect(scopeOf(text, "debian")).toBe("support.constant.platform.policy");
    expect(scopeOf(text, "users")).toBe("storage.type.list.policy");
    expect(scopeOf(text, "staff")).toBe("entity.name.variable.list.policy");
    expect(scopeOf(text, "$admins")).toBe("variable.other.list.policy");
    expect(scopeOf(text, "$staff")).toBe("variable.other.list.policy");
    expect(scopeOf(text, "service")).toBe("keyword.control.block.policy");
    expect(scopeOf(text, "imapd")).toBe("entity.name.section.policy");
    expect(scopeOf(text, "pam")).toBe("keyword.other.setting.policy");
    expect(scopeOf(text, "acl")).toBe("keyword.control.block.policy");
    expect(scopeOf(text, "user")).toBe("support.constant.item.policy");
    expect(scopeOf(text, "allow")).toBe("support.constant.sense.policy");
    expect(scopeOf(text, "entries")).toBe("keyword.other.setting.policy");
  });

  it("a keyword is only a keyword where a statement starts: a user named mail is a value", () => {
    const text = "users staff =\n  mail, service;\n";
    expect(scopeOf(text, "mail")).toBe("");
    expect(scopeOf(text, "service")).toBe("");
  });

  it("strings with escapes, and an invalid escape and an unterminated string", () => {
    const text = 'users u = "a\\"b\\x41\\u{1F600}\\q";\nusers v = "open\nplatform debian;\n';
    expect(scopeOf(text, '\\"')).toBe("string.quoted.double.policy constant.character.escape.policy");
    expect(scopeOf(text, "\\x41")).toBe("string.quoted.double.policy constant.character.escape.policy");
    expect(scopeOf(text, "\\u{1F600}")).toBe("string.quoted.double.policy constant.character.escape.policy");
    expect(scopeOf(text, "\\q")).toBe("string.quoted.double.policy invalid.illegal.escape.policy");
    // The string ends with its line, as the compiler's lexer says (PC1004): the next line is code again.
    expect(scopeOf(text, "platform")).toBe("keyword.control.statement.policy");
  });

  it("addresses, networks, numbers and diagnostic codes", () => {
    const text =
      'networks lan = 10.20.0.0/16, 2001:db8::/32;\nhosts h = 192.0.2.7, ::1, web1.example;\nmail { greet pause 1000; unsafe PC4101 "lab"; }\n';
    expect(scopeOf(text, "10.20.0.0/16")).toBe("constant.numeric.address.ipv4.policy");
    expect(scopeOf(text, "2001:db8::/32")).toBe("constant.numeric.address.ipv6.policy");
    expect(scopeOf(text, "192.0.2.7")).toBe("constant.numeric.address.ipv4.policy");
    expect(scopeOf(text, "::1")).toBe("constant.numeric.address.ipv6.policy");
    expect(scopeOf(text, " web1.example")).toBe("");
    expect(scopeOf(text, "1000")).toBe("constant.numeric.policy");
    expect(scopeOf(text, "PC4101")).toBe("constant.other.diagnostic-code.policy");
  });
});
