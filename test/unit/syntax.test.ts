import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DiagnosticBag } from "../../src/diagnostics/diagnostic.js";
import { SourceFile } from "../../src/diagnostics/source.js";
import nearley from "nearley";
import type {
  Acl,
  BlockLoc,
  Host,
  Include,
  ListDef,
  Listen,
  Mail,
  Node,
  Platform,
  Service,
  Setting,
  SettingLoc,
  Stack,
} from "../../src/syntax/ast.js";
import * as b from "../../src/syntax/build.js";
import grammar from "../../src/syntax/grammar.generated.js";
import { bodyOf, CHILD_KEYS, childrenOf, isContainer, lastChild, walk } from "../../src/syntax/visit.js";
import { policyText } from "../format/arbitrary.js";
import { lex } from "../../src/syntax/lexer.js";
import { decodeSource, parse } from "../../src/syntax/parser.js";
import { diagnosticsOf } from "../helpers.js";

function parseText(text: string) {
  const bag = new DiagnosticBag();
  const file = new SourceFile("t.policy", text);
  return { ast: parse(file, bag), bag, file };
}

describe("syntax: lexer", () => {
  it("keeps comments aside with their positions", () => {
    const file = new SourceFile("t.policy", "platform debian; # the OS\n# alone\n");
    const { tokens, comments } = lex(file, new DiagnosticBag());
    expect(tokens.map((t) => t.text)).toEqual(["platform", "debian", ";"]);
    expect(comments.map((c) => [c.text, c.loc.start])).toEqual([
      ["# the OS", 17],
      ["# alone", 26],
    ]);
  });

  it("lexes a comma-separated run of bare words as one token", () => {
    const file = new SourceFile("t.policy", "users a = alice, bob,\n  carol;");
    const { tokens } = lex(file, new DiagnosticBag());
    expect(tokens.map((t) => t.type)).toEqual(["word", "word", "eq", "run", "semi"]);
  });

  it("decodes string escapes", () => {
    const { ast } = parseText('users a = "tab\\there", "q\\"uote", "\\x41\\u{1F600}", "back\\\\slash";');
    expect((ast.statements[0] as ListDef).values.map((v) => v.value)).toEqual(["tab\there", 'q"uote', "A😀", "back\\slash"]);
  });

  it("reports an invalid escape at its column", () => {
    expect(diagnosticsOf('platform debian;\nusers a = "x\\qy";')).toEqual([
      '2:13 PC1005 Invalid escape sequence \\q in a string; valid escapes are \\\\, \\", \\n, \\t, \\xHH and \\u{1 to 6 hex digits}.',
    ]);
  });

  it("reports an unterminated string", () => {
    expect(diagnosticsOf('platform debian;\nusers a = "alice;\n')).toEqual([
      "2:11 PC1004 This string is not closed with a quote before the end of the line.",
    ]);
  });

  it("reports characters that are not part of the language, and nothing else about their statement", () => {
    expect(diagnosticsOf("platform debian;\nusers a = alice, b\u00e9b;")).toEqual([
      '2:19 PC1003 Invalid character "é" (U+00E9) in the policy.',
    ]);
  });
});

describe("syntax: parser", () => {
  it("builds services, access lists and settings with exact positions", () => {
    const text =
      'platform debian;\nservice imapd {\n  pam imap;\n  acl user allow "/etc/imapd.acl" { onerr fail; entries alice, bob; }\n}\n';
    const { ast, bag, file } = parseText(text);
    expect(bag.items).toEqual([]);
    const svc = ast.statements[1] as Service;
    expect(svc.kind).toBe("Service");
    expect(svc.name.value).toBe("imapd");
    const acl = svc.items[1]!;
    if (acl.kind !== "Acl") throw new Error("expected an acl");
    expect([acl.item.value, acl.sense.value, acl.file.value]).toEqual(["user", "allow", "/etc/imapd.acl"]);
    const entries = acl.items[1] as Setting;
    expect(entries.values.map((v) => [v.value, file.position(v.loc.start)])).toEqual([
      ["alice", { line: 4, column: 57 }],
      ["bob", { line: 4, column: 64 }],
    ]);
  });

  it("reports every lexical finding before the parser's, as when the whole file was lexed first", () => {
    // Tokens are lexed as statements are parsed (README "Performance"): the order of findings, which the
    // bag's cap sees, and the hint that looks one token back into the statement before stay as they were.
    const { ast, bag } = parseText("service a { pam x; };\nusers u = a b;\nusers v = 'x';\nusers w = c;\n");
    expect(bag.items.map((d) => [d.code, d.span?.start])).toEqual([
      ["PC1021", 47],
      ["PC1025", 20],
      ["PC1001", 34],
    ]);
    expect(ast.statements.map((s) => s.kind)).toEqual(["Service", "ListDef"]);
  });

  it("parses keywords as values where a value is expected", () => {
    const { ast, bag } = parseText("users u = mail, service, users, platform;");
    expect(bag.items).toEqual([]);
    expect((ast.statements[0] as ListDef).values.map((v) => v.value)).toEqual(["mail", "service", "users", "platform"]);
  });

  it("reports the unexpected token and what was expected", () => {
    expect(diagnosticsOf("platform debian;\nservice x { pam x y z; }\n")).toEqual([
      '2:21 PC1001 Unexpected word "z"; expected "," or ";".',
    ]);
    expect(diagnosticsOf("platform debian;\nusers a = b c;")).toEqual(['2:13 PC1001 Unexpected word "c"; expected "," or ";".']);
  });

  it("goes on after a syntax error and reports the next statement's too", () => {
    expect(diagnosticsOf("platform debian;\nusers a = b c;\ngroups g = ;\n")).toEqual([
      '2:13 PC1001 Unexpected word "c"; expected "," or ";".',
      '3:12 PC1001 Unexpected ";"; expected a string or a word.',
    ]);
  });

  it("reports an unclosed block at the end of the file", () => {
    expect(diagnosticsOf("platform debian;\nservice x {\n  pam x;\n")).toEqual([
      '3:9 PC1002 The policy ends inside a statement; expected "}", "acl", "stack" or a word.',
    ]);
  });

  it("reports a stray closing brace", () => {
    expect(diagnosticsOf("platform debian;\n}\n")).toEqual([
      '2:1 PC1001 Unexpected "}"; expected "domains", "expect", "groups", "host", "hosts", "include", "inventory", "mail", "networks", "platform", "role", "service", "shells", "ttys" or "users".',
    ]);
  });

  it("gives exactly one parse for every statement form", () => {
    const text = `platform debian;
users u = a, "b", c;
service s {
  pam p; template local;
  stack { auth required pam_env.so readenv=1 envfile="/etc/x y" [a=b]; account acls; account [success=1 default=ignore] pam_unix.so; }
  acl tty allow "/f" { apply @g; entries t1; quiet; }
}
mail { domain d.example; listen smtp; listen 587 { address 127.0.0.1; modifiers E, a; } relay authenticated; relay networks 10.0.0.0/8; }
role r { users a = b; service s { pam p; } }
host h { role r; role r2, r3; users c = d; }
`;
    // parser.ts throws on more than one parse: a clean run proves uniqueness here.
    const { bag } = parseText(text);
    expect(bag.items).toEqual([]);
  });
});

describe("syntax: decoding the file", () => {
  const decode = (bytes: number[] | Uint8Array) => {
    const bag = new DiagnosticBag();
    const file = decodeSource("t.policy", bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes), bag);
    return { file, messages: bag.items.map((d) => `${d.code} ${d.message}`) };
  };

  it("refuses invalid UTF-8 and says where", () => {
    expect(decode([0x61, 0x62, 0xff, 0x63]).messages).toEqual(["PC1007 The policy is not valid UTF-8 (first invalid byte at offset 2)."]);
  });

  it("refuses a byte order mark", () => {
    expect(decode([0xef, 0xbb, 0xbf, 0x61]).messages).toEqual([
      "PC1008 The policy starts with a byte order mark; save it as UTF-8 without a BOM.",
    ]);
  });

  it("refuses CRLF line ends", () => {
    expect(decode(new TextEncoder().encode("platform debian;\r\n")).messages).toEqual([
      "PC1009 Carriage return (CR) in the policy; save it with LF line ends.",
    ]);
  });

  it("reports an empty policy", () => {
    expect(diagnosticsOf("# only a comment\n")).toEqual(["1:1 PC1006 The policy has no statements."]);
  });

  it("reports NUL bytes as invalid characters", () => {
    expect(diagnosticsOf("platform debian;\u0000")).toEqual(["1:17 PC1003 Invalid character U+0000 in the policy."]);
  });
});

describe("syntax: one parse, exact positions at any size", () => {
  it("parses every example with exactly one parse per statement", async () => {
    const { readdirSync, readFileSync } = await import("node:fs");
    const { join } = await import("node:path");
    const root = join(__dirname, "..", "..", "examples");
    const files = [
      ...readdirSync(root).filter((f) => f.endsWith(".policy")),
      ...["fleet/fleet.policy", "fleet/lists/staff.policy", "fleet/lists/networks.policy"],
    ];
    for (const f of files) {
      // parser.ts throws on a second parse ("policyc bug: the grammar is ambiguous").
      const { ast, bag } = parseText(readFileSync(join(root, f), "utf8"));
      expect(bag.items, f).toEqual([]);
      expect(ast.statements.length, f).toBeGreaterThan(0);
    }
  });

  it("points at the exact line and column of a bad entry deep in a list of 100,000", () => {
    const lines = ["platform debian;", "users big ="];
    for (let i = 0; i < 100_000; i += 10) {
      const chunk = Array.from({ length: 10 }, (_, j) => (i + j === 77_777 ? '"bad entry "' : `user${i + j}`));
      lines.push("  " + chunk.join(", ") + (i + 10 < 100_000 ? "," : ";"));
    }
    lines.push('service s { acl user allow "/f" { entries $big, root; } }');
    // Entry 77,777 is the eighth of the 7,778th line of entries (line 7,780).
    const line = 2 + 7_778;
    const column = lines[line - 1]!.indexOf('"bad entry "') + 1;
    expect(diagnosticsOf(lines.join("\n") + "\n")).toEqual([
      `${line}:${column} PC3023 Entry "bad entry " has leading or trailing white space; pam_listfile compares exactly, so it would never match.`,
    ]);
  });
});

describe("syntax: list references and one-value positions", () => {
  it("keeps a comma run mixing $refs and words one token, and marks it as holding references", () => {
    const file = new SourceFile("t.policy", "users a = alice, $staff,\n  bob, $more;");
    const { tokens } = lex(file, new DiagnosticBag());
    expect(tokens.map((t) => t.type)).toEqual(["word", "word", "eq", "refRun", "semi"]);
    const { ast } = parseText("users a = alice, $staff,\n  bob, $more;");
    expect((ast.statements[0] as ListDef).values.map((v) => [v.kind, v.value, v.loc.start])).toEqual([
      ["Word", "alice", 10],
      ["Ref", "$staff", 17],
      ["Word", "bob", 27],
      ["Ref", "$more", 32],
    ]);
  });

  it('reads $name alone as a reference, and a quoted "$name" as a string', () => {
    const { ast, bag } = parseText('users a = $staff;\nusers b = "$staff";');
    expect(bag.items).toEqual([]);
    expect((ast.statements[0] as ListDef).values[0]).toMatchObject({ kind: "Ref", name: "staff", value: "$staff" });
    expect((ast.statements[1] as ListDef).values[0]).toMatchObject({ kind: "String", value: "$staff" });
  });

  it("reports a comma list where one port or file stands instead of failing (PC3050)", () => {
    expect(diagnosticsOf("platform debian;\nmail { domain d.example; listen a,b { } }\n")).toEqual([
      "2:33 PC3050 listen takes one port, not a list of 2; write one listen statement per port.",
    ]);
    expect(diagnosticsOf("platform debian;\nservice s { acl user allow /etc/a,/etc/b { entries x; } }\n")).toEqual([
      "2:28 PC3050 An access list takes one file, not a list of 2; write one acl block per file.",
    ]);
    expect(diagnosticsOf("platform debian;\nservice s { acl user allow /etc/a, $b, /c { entries x; } }\n")).toEqual([
      "2:28 PC3050 An access list takes one file, not a list of 3; write one acl block per file.",
    ]);
  });

  it("never throws on a comma run in any position of any statement (property)", () => {
    const slots = [
      "listen RUN { }",
      "listen RUN;",
      "acl user allow RUN { entries x; }",
      "acl RUN allow /f { entries x; }",
      "stack { auth required RUN; }",
      "stack { auth RUN pam_env.so; }",
      "pam RUN;",
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...slots),
        fc.array(fc.constantFrom("a", "$b", "/c", "d.e", "25"), { minLength: 2, maxLength: 4 }),
        fc.constantFrom("service s { X }", "mail { domain d.example; X }"),
        (slot, run, block) => {
          const text = "platform debian;\n" + block.replace("X", slot.replace("RUN", run.join(", "))) + "\n";
          expect(() => diagnosticsOf(text)).not.toThrow();
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("syntax: the AST owns its spans", () => {
  const text = `platform debian;
include "x.policy";
users staff = alice, bob;
host h1 # a comment with { and }
{
  service imapd { pam imap; acl user allow "/f" { entries $staff; } stack { account acls; } }
  mail {
    listen 587 { address 127.0.0.1; }
  }
}
`;
  const at = (loc: { start: number; end: number }) => [loc.start, text.slice(loc.start, loc.end)];

  it("records where each block's keyword and braces are, and each statement's keyword", () => {
    const { ast, bag } = parseText(text);
    expect(bag.items).toEqual([]);
    const [platform, include, users, host] = ast.statements as [Platform, Include, ListDef, Host];
    expect(at(platform.loc.keyword)).toEqual([0, "platform"]);
    expect(at(include.loc.keyword)).toEqual([17, "include"]);
    expect(at(users.loc.keyword)).toEqual([37, "users"]);
    // A "{" in a comment of the header is not the block's brace.
    expect([at(host.loc.keyword), at(host.loc.open), at(host.loc.close)]).toEqual([
      [63, "host"],
      [96, "{"],
      [text.length - 2, "}"],
    ]);
    const service = host.items[0] as Service;
    const [, acl, stack] = service.items as [Setting, Acl, Stack];
    const mail = host.items[1] as Mail;
    const listen = mail.items[0] as Listen;
    const blocks = [service, acl, stack, mail, listen].map((b) => [at(b.loc.keyword)[1], at(b.loc.open), at(b.loc.close)]);
    const brace = (at: string, plus = 0) => [text.indexOf(at) + plus, text[text.indexOf(at) + plus]];
    expect(blocks).toEqual([
      ["service", brace("{ pam imap"), brace("} }\n  mail", 2)],
      ["acl", brace("{ entries"), brace("} stack")],
      ["stack", brace("{ account acls"), brace("} }\n  mail")],
      ["mail", brace("{\n    listen"), brace("}\n}\n")],
      ["listen", brace("{ address"), brace("}\n  }")],
    ]);
  });

  it("records where each setting's ';' is", () => {
    const { ast } = parseText("mail { relay authenticated; domain\n  d.example ;\n  quiet;}");
    const settings = (ast.statements[0] as Mail).items as Setting[];
    expect(settings.map((s) => [s.name.value, s.loc.semi.start, s.loc.semi.end === s.loc.end])).toEqual([
      ["relay", 26, true],
      ["domain", 47, true],
      ["quiet", 56, true],
    ]);
  });

  it("for any policy, a keyword's location holds the keyword, a brace's the brace, a ';' the ';', and they bound the node (property)", () => {
    const KEYWORDS: Record<string, string> = {
      Service: "service",
      Mail: "mail",
      Stack: "stack",
      Acl: "acl",
      Listen: "listen",
      Host: "host",
      Platform: "platform",
      Include: "include",
    };
    fc.assert(
      fc.property(policyText, (source) => {
        const { ast, bag } = parseText(source);
        expect(bag.items).toEqual([]);
        const slice = (l: { start: number; end: number }) => source.slice(l.start, l.end);
        walk(ast, (node) => {
          const loc = node.loc as Partial<BlockLoc & SettingLoc>;
          if (node.kind === "ListDef") expect(slice(node.loc.keyword)).toBe(node.listKind);
          else if (KEYWORDS[node.kind]) expect(slice(loc.keyword!)).toBe(KEYWORDS[node.kind]);
          if (loc.keyword) expect(loc.keyword.start).toBe(node.loc.start);
          if (isContainer(node) && node.kind !== "Policy") {
            const block = node.loc as BlockLoc;
            expect([slice(block.open), slice(block.close), block.close.end]).toEqual(["{", "}", node.loc.end]);
            // The "{" comes after the header's last word and before the body's first item.
            const header = childrenOf(node).filter((c) => c.loc.start < block.open.start);
            const body = bodyOf(node);
            expect(header.every((c) => c.loc.end <= block.open.start)).toBe(true);
            expect(body.every((c) => c.loc.start >= block.open.end && c.loc.end <= block.close.start)).toBe(true);
          }
          if (node.kind === "Setting") expect([slice(node.loc.semi), node.loc.semi.end]).toEqual([";", node.loc.end]);
        });
      }),
      { numRuns: 300 },
    );
  });
});

describe("syntax: one table of child keys (visit.ts)", () => {
  /** Every node reachable through the enumerable properties of a node (not its locations, nor the policy's comments, which are kept aside). */
  function reachable(node: Node, out: Node[] = []): Node[] {
    for (const [key, value] of Object.entries(node)) {
      if (key === "loc" || (node.kind === "Policy" && key === "comments")) continue;
      for (const v of Array.isArray(value) ? value : [value]) {
        if (v && typeof v === "object" && "kind" in v) {
          out.push(v as Node);
          reachable(v as Node, out);
        }
      }
    }
    return out;
  }

  it("has a line for every node kind and names only keys that kind has", () => {
    const kinds = new Set<string>();
    const { ast } = parseText(`# c
platform debian; include "x"; users u = a, $b, "c";
host h { service s { pam p; relay domains d; stack { auth required pam_env.so readenv=1 [x=y] "s"; account acls; } acl user allow "/f" { entries a; } }
mail { listen 587 { address 1.2.3.4; } } }
expect allow s user a groups g, h;
role r { platform debian; }
host h2 { role r, s; }
inventory "hosts.ini";
`);
    kinds.add(ast.kind);
    for (const n of [...reachable(ast), ...ast.comments]) kinds.add(n.kind);
    expect([...kinds].sort()).toEqual(Object.keys(CHILD_KEYS).sort());
  });

  it("for any policy, the walker reaches every node exactly once, each node's children in source order (property)", () => {
    fc.assert(
      fc.property(policyText, (source) => {
        const { ast } = parseText(source);
        const walked: Node[] = [];
        walk(ast, (node, parent) => {
          walked.push(node);
          expect(parent === null).toBe(node === ast);
        });
        expect(walked.slice(1)).toEqual(reachable(ast));
        expect(new Set(walked).size).toBe(walked.length);
        for (const node of walked) {
          const starts = childrenOf(node).map((c) => c.loc.start);
          expect(starts).toEqual([...starts].sort((a, b) => a - b));
          expect(lastChild(node)).toBe(childrenOf(node).at(-1));
        }
      }),
      { numRuns: 300 },
    );
  });

  it("the walker skips a node's children when told to", () => {
    const { ast } = parseText("service s { pam p; }\nmail { domain d; }\n");
    const kinds: string[] = [];
    walk(ast, (node) => {
      kinds.push(node.kind);
      return node.kind !== "Service";
    });
    expect(kinds).toEqual(["Policy", "Service", "Mail", "Setting", "Word", "Word"]);
  });
});

describe("syntax: the grammar keeps long lists linear (README, Performance)", () => {
  const rules = (grammar as unknown as nearley.CompiledRules).ParserRules;
  const LIST_BUILDERS: unknown[] = [b.nil, b.one, b.snoc, b.snoc2, b.snocInclude, b.snocClause];
  const lists = new Set(rules.filter((r) => LIST_BUILDERS.includes(r.postprocess)).map((r) => r.name));

  it("uses no EBNF macro and no right recursion", () => {
    expect(rules.filter((r) => /\$ebnf|\$subexpression/.test(r.name)).map((r) => r.name)).toEqual([]);
    const right = rules.filter((r) => r.symbols.length > 1 && r.symbols[r.symbols.length - 1] === r.name);
    expect(right.map((r) => r.name)).toEqual([]);
  });

  it("builds every list from cons cells, left-recursive, and flattens it only in a rule that ends in ';' or '}'", () => {
    expect([...lists].sort()).toEqual([
      "expectClauses",
      "hostItems",
      "mailItems",
      "serviceItems",
      "settings",
      "stackArgs",
      "stackLines",
      "values",
    ]);
    for (const r of rules) {
      if (lists.has(r.name)) {
        // nil, one, or the list itself first, then one more item.
        expect(r.symbols.length === 0 || r.symbols[0] === r.name || r.postprocess === b.one, r.name).toBe(true);
        continue;
      }
      if (!r.symbols.some((s) => typeof s === "string" && lists.has(s))) continue;
      const last = r.symbols[r.symbols.length - 1] as { literal?: string };
      expect([";", "}"], `${r.name} -> ${JSON.stringify(r.symbols)}`).toContain(last.literal);
    }
  });
});
