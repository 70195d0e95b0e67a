import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CompletionItem, DocumentSymbol, Hover, Location, TextEdit } from "vscode-languageserver-protocol";
import { ROOT, runCli, tempDir } from "../helpers.js";
import { LspClient, positionOf, uri } from "./client.js";

/**
 * README "In the editor": `policyc lsp` over JSON-RPC, as an editor's client
 * talks to it. One server for the whole file; each test works in its own files.
 */
const dir = tempDir("policyc-lsp-");
const client = new LspClient();

const LISTS = `users staff = alice, bob, carol, dave, erin, frank, grace, heidi, ivan, judy, mallory, oscar;
groups admins = wheel;
`;
const MAIN = `platform debian;
include "lists.policy";

users everyone = $staff, zoe;

service imapd {
  pam imap;
  acl user allow "/etc/imapd.acl" {
    onerr fail;
    entries $everyone;
  }
}

mail {
  domain mx.example.test;
  listen smtp;
  auth mechanisms PLAIN;
  auth options noplaintext;
  relay authenticated;
  unsafe PC4101 "lab";
}
`;
const main = join(dir, "main.policy");
const lists = join(dir, "lists.policy");

beforeAll(async () => {
  writeFileSync(main, MAIN);
  writeFileSync(lists, LISTS);
  const init = (await client.initialize(dir)) as { capabilities: Record<string, unknown> };
  expect(init.capabilities).toMatchObject({
    hoverProvider: true,
    definitionProvider: true,
    referencesProvider: true,
    documentFormattingProvider: true,
    documentSymbolProvider: true,
  });
  await client.open(main, MAIN);
});

afterAll(async () => {
  expect(await client.close()).toBe(0);
  expect(client.stderr).not.toMatch(/failed|internal error/);
});

const at = (path: string, text: string, needle: string, delta = 1) => ({
  textDocument: { uri: uri(path) },
  position: positionOf(text, needle, delta),
});

describe("lsp: diagnostics", () => {
  it("publishes every compiler diagnostic with code, severity and range; a clean file gets none but the warnings", async () => {
    const d = await client.diagnosticsOf(main, () => true);
    // PLAIN with noplaintext and no TLS: PC4008 (warning); the unused unsafe: PC4103.
    expect(d.map((x) => [x.code, x.severity])).toEqual([
      ["PC4008", 2],
      ["PC4103", 2],
    ]);
    const unsafe = d.find((x) => x.code === "PC4103")!;
    expect(unsafe.source).toBe("policyc");
    expect(unsafe.range.start).toEqual(positionOf(MAIN, "unsafe PC4101"));
  });

  it("a change to an included file updates the diagnostics of the file that includes it", async () => {
    const f = join(dir, "inc-main.policy");
    const inc = join(dir, "inc-lists.policy");
    const text = `platform debian;\ninclude "inc-lists.policy";\nservice s { acl user allow "/etc/s.acl" { entries $ops; } }\n`;
    writeFileSync(inc, "users ops = alice;\n");
    writeFileSync(f, text);
    await client.open(f, text);
    await client.diagnosticsOf(f, (d) => d.length === 0);
    await client.open(inc, "users ops = alice;\n");
    await client.change(inc, "users opz = alice;\n");
    const d = await client.diagnosticsOf(f, (d) => d.length > 0);
    expect(d.map((x) => x.code)).toEqual(["PC2011"]);
    expect(d[0]!.range.start).toEqual(positionOf(text, "$ops"));
    // The included file is checked as part of its policy: no "no platform" of its own.
    expect((await client.diagnosticsOf(inc, () => true)).map((x) => x.code)).toEqual([]);
    await client.change(inc, "users ops = alice;\n");
    await client.diagnosticsOf(f, (d) => d.length === 0);
  });

  it("an open inventory's unsaved text counts: a change to it re-checks the policies that name it", async () => {
    const sub = join(dir, "inv");
    mkdirSync(sub, { recursive: true });
    const f = join(sub, "fleet.policy");
    const inv = join(sub, "hosts.ini");
    const text = `platform debian;
inventory "hosts.ini";
role shell {
  service sshd { acl user allow "/etc/ssh.users" { entries root, $admins; } }
}
host bastion {
  users admins = alice;
}
`;
    const clean = "[shell]\nbastion\n";
    writeFileSync(inv, clean);
    writeFileSync(f, text);
    await client.open(f, text);
    await client.diagnosticsOf(f, (d) => d.length === 0);
    await client.open(inv, clean);
    // Edited in the editor, not saved: a host without $admins takes the role, an error in the policy.
    await client.change(inv, clean + "shell2\n");
    const d = await client.diagnosticsOf(f, (d) => d.length > 0);
    expect(d.map((x) => x.code)).toEqual(["PC2011"]);
    expect(d[0]!.range.start).toEqual(positionOf(text, "$admins"));
    // A group with no role of its name: PC1042 at the group, on the inventory; the policy is clean again.
    await client.change(inv, clean + "[dbservers]\ndb1\n");
    const own = await client.diagnosticsOf(inv, (d) => d.length > 0);
    expect(own.map((x) => x.code)).toEqual(["PC1042"]);
    expect(own[0]!.range.start.line).toBe(2);
    expect(await client.diagnosticsOf(f, (d) => d.length === 0)).toEqual([]);
    // The disk still holds the saved text; back to it, nothing on either file, and the
    // inventory is never checked as a policy of its own (no PC1001 on its lines).
    expect(readFileSync(inv, "utf8")).toBe(clean);
    await client.change(inv, clean);
    expect(await client.diagnosticsOf(inv, (d) => d.length === 0)).toEqual([]);
    await client.closeDocument(inv);
    await client.closeDocument(f);
    // An open inventory that no policy names is no policy either: nothing is published on it.
    const lone = join(sub, "lone.ini");
    writeFileSync(lone, "[web]\nweb1\n");
    await client.open(lone, "[web]\nweb1\n");
    expect(await client.diagnosticsOf(lone, () => true)).toEqual([]);
    await client.closeDocument(lone);
  });

  it("an include and an inventory open in the editor but never saved are read from the editor, through a linked folder too", async () => {
    const real = join(dir, "unsaved");
    const linked = join(dir, "unsaved-link");
    mkdirSync(real, { recursive: true });
    symlinkSync(real, linked);
    const f = join(real, "fleet.policy");
    const text = `platform debian;
include "new-lists.policy";
inventory "new-hosts.ini";
role shell {
  service sshd { acl user allow "/etc/ssh.users" { entries root, $ops; } }
}
`;
    writeFileSync(f, text);
    await client.open(f, text);
    // Neither file is on disk: no such file, at the include's and the inventory's string.
    const missing = await client.diagnosticsOf(f, (d) => d.length >= 2);
    expect(missing.map((x) => [x.code, x.range.start, x.message])).toEqual([
      ["PC1011", positionOf(text, '"new-lists'), 'Cannot include "new-lists.policy": no such file.'],
      ["PC1040", positionOf(text, '"new-hosts'), "Cannot read inventory new-hosts.ini: no such file."],
    ]);
    // Opened, never saved: the include through the linked folder (its real path is the real
    // folder's), the inventory in the policy's own folder.
    await client.open(join(linked, "new-lists.policy"), "users ops = alice;\n");
    await client.open(join(real, "new-hosts.ini"), "[shell]\nweb1\n");
    expect(await client.diagnosticsOf(f, (d) => d.length === 0)).toEqual([]);
    expect(existsSync(join(real, "new-lists.policy")) || existsSync(join(real, "new-hosts.ini"))).toBe(false);
    // What they say counts: a host of the inventory without $ops' definition is one more edit away.
    await client.change(join(linked, "new-lists.policy"), "users opz = alice;\n");
    expect((await client.diagnosticsOf(f, (d) => d.length > 0)).map((x) => x.code)).toEqual(["PC2011"]);
    // Closed unsaved, they are missing again.
    await client.closeDocument(join(linked, "new-lists.policy"));
    await client.closeDocument(join(real, "new-hosts.ini"));
    expect((await client.diagnosticsOf(f, (d) => d.length >= 2)).map((x) => x.code)).toEqual(["PC1011", "PC1040"]);
    await client.closeDocument(f);
  });

  it("a change on disk to an included file that is not open updates its includers (watched files)", async () => {
    const f = join(dir, "disk-main.policy");
    const inc = join(dir, "disk-lists.policy");
    const text = `platform debian;\ninclude "disk-lists.policy";\nservice s { acl user allow "/etc/d.acl" { entries $ops; } }\n`;
    writeFileSync(inc, "users ops = alice;\n");
    writeFileSync(f, text);
    await client.open(f, text);
    await client.diagnosticsOf(f, (d) => d.length === 0);
    writeFileSync(inc, "groups ops = wheel;\n");
    await client.connection.sendNotification("workspace/didChangeWatchedFiles", { changes: [{ uri: uri(inc), type: 2 }] });
    expect((await client.diagnosticsOf(f, (d) => d.length > 0)).map((x) => x.code)).toEqual(["PC2005"]);
  });

  it("a file no longer included is checked on its own again", async () => {
    const f = join(dir, "drop-main.policy");
    const inc = join(dir, "drop-lists.policy");
    const text = `platform debian;\ninclude "drop-lists.policy";\n`;
    writeFileSync(inc, "users ops = alice;\n");
    writeFileSync(f, text);
    await client.open(f, text);
    await client.open(inc, "users ops = alice;\n");
    await client.diagnosticsOf(inc, (d) => d.length === 0);
    await client.change(f, "platform debian;\n");
    // On its own, the list file has no platform.
    expect((await client.diagnosticsOf(inc, (d) => d.length > 0)).map((x) => x.code)).toEqual(["PC3002"]);
  });

  it("reports diagnostics in included files, on the included file, with related locations", async () => {
    const f = join(dir, "rel-main.policy");
    const inc = join(dir, "rel-lists.policy");
    const text = `platform debian;\nusers dup = a;\ninclude "rel-lists.policy";\n`;
    writeFileSync(inc, "users dup = b;\n");
    writeFileSync(f, text);
    await client.open(f, text);
    const d = await client.diagnosticsOf(inc, (d) => d.length > 0);
    expect(d[0]).toMatchObject({
      code: "PC2001",
      severity: 1,
      range: { start: { line: 0, character: 6 }, end: { line: 0, character: 9 } },
    });
    expect(d[0]!.relatedInformation).toEqual([
      {
        message: "First defined here.",
        location: { uri: uri(f), range: { start: { line: 1, character: 6 }, end: { line: 1, character: 9 } } },
      },
    ]);
  });

  it("checks every host block", async () => {
    const f = join(dir, "hosts.policy");
    const text = `platform debian;\nhost a { service s { pam s; pam t; } }\nhost b { mail { listen smtp; } }\n`;
    await client.open(f, text);
    const d = await client.diagnosticsOf(f, (d) => d.length > 0);
    expect(d.map((x) => `${x.range.start.line + 1} ${x.code}`)).toEqual(["2 PC2004", "3 PC3009"]);
  });

  it("answers bad input with diagnostics: an unterminated string, binary bytes, a 10 MB policy", async () => {
    const f = join(dir, "bad.policy");
    await client.open(f, 'platform debian;\nusers x = "alice;\n');
    expect((await client.diagnosticsOf(f, (d) => d.length > 0)).map((x) => x.code)).toContain("PC1004");
    // A binary file opened by mistake: the editor sends what it decoded, NULs and all.
    const bin = join(dir, "binary.policy");
    const bytes = readFileSync(process.execPath).subarray(0, 4096);
    writeFileSync(bin, bytes);
    await client.open(bin, new TextDecoder().decode(bytes));
    // The compiler names the first thing that makes it no policy text (a CR, a control character).
    const binary = await client.diagnosticsOf(bin, (d) => d.length > 0);
    expect(binary[0]).toMatchObject({ severity: 1, code: expect.stringMatching(/^PC100[3-9]$/) });
    // The same bytes included from disk: not UTF-8.
    const incBin = join(dir, "inc-binary.policy");
    const incText = `platform debian;\ninclude "binary.bin";\n`;
    writeFileSync(join(dir, "binary.bin"), bytes);
    await client.open(incBin, incText);
    const included = await client.diagnosticsOf(join(dir, "binary.bin"), (d) => d.length > 0);
    expect(included.map((x) => x.code)).toEqual(["PC1007"]);
    // 10 MB: a list of 850,000 users, and one mistake at the end.
    const big = join(dir, "big.policy");
    const names = Array.from({ length: 850_000 }, (_, i) => `user${i}`).join(", ");
    const bigText = `platform debian;\nusers many = ${names};\nservice s { acl user allow "/etc/s.acl" { entries $many; onerr maybe; } }\n`;
    expect(bigText.length).toBeGreaterThan(10_000_000);
    await client.open(big, bigText);
    const d = await client.diagnosticsOf(big, (d) => d.length > 0, 60_000);
    expect(d.map((x) => x.code)).toEqual(["PC3007"]);
    // The server still answers.
    const h = await client.request<Hover>("textDocument/hover", at(big, bigText, "$many"));
    expect(JSON.stringify(h)).toContain("850000 entries");
    await client.closeDocument(big);
  }, 90_000);
});

describe("lsp: hover", () => {
  it("on a list: its kind, its resolved entries (the first ten and the count) and where it is defined", async () => {
    const h = await client.request<Hover>("textDocument/hover", at(main, MAIN, "$everyone"));
    const text = (h.contents as { value: string }).value;
    expect(text).toContain("**users** list `$everyone`: 13 entries");
    expect(text).toContain("`alice`, `bob`, `carol`");
    expect(text).toContain("(3 more)");
    expect(text).toContain(`Defined at ${main}:4:7`);
    const h2 = await client.request<Hover>("textDocument/hover", at(main, MAIN, "$staff"));
    expect((h2.contents as { value: string }).value).toContain(`Defined at ${lists}:1:7`);
  });

  it("in a host block: the host's own lists", async () => {
    const f = join(dir, "host-lists.policy");
    const text = `platform debian;\nusers all = root;\nhost a {\n  users mine = alice, $all;\n  service s { acl user allow "/f" { entries $mine; } }\n}\nhost b {\n  users mine = bob;\n  service s { acl user allow "/f" { entries $mine; } }\n}\n# a syntax error elsewhere changes nothing here\nusers broken = ;\n`;
    await client.open(f, text);
    const h = await client.request<Hover>("textDocument/hover", at(f, text, "$mine"));
    expect((h.contents as { value: string }).value).toContain("2 entries\n\n`alice`, `root`");
    const second = text.indexOf("$mine", text.indexOf("host b"));
    const before = text.slice(0, second + 1);
    const pos = { line: before.split("\n").length - 1, character: second + 1 - (before.lastIndexOf("\n") + 1) };
    const h2 = await client.request<Hover>("textDocument/hover", { textDocument: { uri: uri(f) }, position: pos });
    expect((h2.contents as { value: string }).value).toContain("1 entry\n\n`bob`");
    const d = await client.request<Location[]>("textDocument/definition", { textDocument: { uri: uri(f) }, position: pos });
    expect(d[0]!.range.start.line).toBe(7);
  });

  it("on a setting: its meaning from the README's tables", async () => {
    const h = await client.request<Hover>("textDocument/hover", at(main, MAIN, "onerr"));
    expect((h.contents as { value: string }).value).toContain("What pam_listfile does when the list is missing or unreadable");
    const h2 = await client.request<Hover>("textDocument/hover", at(main, MAIN, "auth mechanisms", 6));
    expect((h2.contents as { value: string }).value).toContain("confAUTH_MECHANISMS");
    const h3 = await client.request<Hover>("textDocument/hover", at(main, MAIN, "service imapd"));
    expect((h3.contents as { value: string }).value).toContain("A daemon that authenticates through PAM");
  });

  it("on a diagnostic code: its meaning", async () => {
    const h = await client.request<Hover>("textDocument/hover", at(main, MAIN, "PC4101", 2));
    const text = (h.contents as { value: string }).value;
    expect(text).toContain("**PC4101** (error): open relay");
    expect(text).toContain("Open relay");
  });
});

describe("lsp: definition and references", () => {
  it("goes from $NAME to the list's definition, in an included file too", async () => {
    const d = await client.request<Location[]>("textDocument/definition", at(main, MAIN, "$staff"));
    expect(d).toEqual([{ uri: uri(lists), range: { start: { line: 0, character: 6 }, end: { line: 0, character: 11 } } }]);
  });

  it("goes from an include path to the file", async () => {
    const d = await client.request<Location[]>("textDocument/definition", at(main, MAIN, '"lists.policy"'));
    expect(d.map((l) => l.uri)).toEqual([uri(lists)]);
  });

  it("finds every reference of a list, with its definition", async () => {
    const r = await client.request<Location[]>("textDocument/references", {
      ...at(main, MAIN, "everyone"),
      context: { includeDeclaration: true },
    });
    expect(r.map((l) => `${l.range.start.line}:${l.range.start.character}`)).toEqual(["3:6", "9:12"]);
    const r2 = await client.request<Location[]>("textDocument/references", {
      ...at(main, MAIN, "$staff"),
      context: { includeDeclaration: false },
    });
    expect(r2).toEqual([{ uri: uri(main), range: { start: { line: 3, character: 17 }, end: { line: 3, character: 23 } } }]);
  });

  it("finds every include of a file", async () => {
    const other = join(dir, "other-main.policy");
    writeFileSync(other, 'platform debian;\ninclude "lists.policy";\n');
    const r = await client.request<Location[]>("textDocument/references", {
      ...at(main, MAIN, '"lists.policy"'),
      context: { includeDeclaration: true },
    });
    expect(r.map((l) => l.uri).sort()).toEqual([uri(main), uri(other)].sort());
  });
});

describe("lsp: completion", () => {
  const complete = async (text: string, needle: string, delta: number): Promise<string[]> => {
    const f = join(dir, "complete.policy");
    await client.open(f, text);
    const items = await client.request<CompletionItem[]>("textDocument/completion", at(f, text, needle, delta));
    return items.map((i) => i.label).sort();
  };
  const LIST_HEAD = `include "lists.policy";\nusers mine = a;\n`;

  it("statements at the top level and settings in a block", async () => {
    expect(await complete("platform debian;\n\n", "\n\n", 1)).toEqual(
      [
        "domains",
        "groups",
        "host",
        "hosts",
        "include",
        "inventory",
        "mail",
        "networks",
        "platform",
        "role",
        "service",
        "shells",
        "ttys",
        "users",
      ].sort(),
    );
    expect(await complete("host h {\n  \n}\n", "  ", 2)).toContain("role");
    expect(await complete("role r {\n  \n}\n", "  ", 2)).not.toContain("role");
    expect(await complete("role r {\n  \n}\n", "  ", 2)).toContain("service");
    expect(await complete("mail {\n  \n}\n", "  ", 2)).toContain("relay networks");
    expect(await complete("service s {\n  \n}\n", "  ", 2)).toEqual(["acl", "pam", "stack", "template", "unsafe"]);
    expect(await complete("mail {\n  relay \n}\n", "relay ", 6)).toEqual(["authenticated", "domains", "networks"]);
  });

  it("platforms, mechanisms, items and senses", async () => {
    expect(await complete("platform ", "platform ", 9)).toEqual(["debian", "debian-12", "redhat", "redhat-9"]);
    expect(await complete("mail {\n  auth mechanisms \n}\n", "mechanisms ", 11)).toContain("CRAM-MD5");
    expect(await complete("service s {\n  acl \n}\n", "acl ", 4)).toEqual(["group", "rhost", "ruser", "shell", "tty", "user"]);
    expect(await complete("service s {\n  acl user \n}\n", "acl user ", 9)).toEqual(["allow", "deny"]);
  });

  it("list names of the kind the place takes", async () => {
    const acl = `${LIST_HEAD}service s { acl user allow "/f" { entries $ } }\n`;
    expect(await complete(acl, "entries $", 9)).toEqual(["$mine", "$staff"]);
    const group = `${LIST_HEAD}service s { acl group allow "/f" { entries  } }\n`;
    expect(await complete(group, "entries ", 8)).toEqual(["$admins"]);
    expect(await complete(`${LIST_HEAD}groups g = `, "groups g = ", 11)).toEqual(["$admins"]);
  });
});

describe("lsp: formatting and symbols", () => {
  it("formats a document exactly as policyc fmt does", async () => {
    const samples = readdirSync(join(ROOT, "test/format/samples"));
    const fmtDir = join(dir, "fmt");
    mkdirSync(fmtDir);
    for (const sample of samples) copyFileSync(join(ROOT, "test/format/samples", sample, "input.policy"), join(fmtDir, `${sample}.policy`));
    expect(runCli(["fmt", fmtDir]).status).toBe(0);
    for (const sample of samples) {
      const input = readFileSync(join(ROOT, "test/format/samples", sample, "input.policy"), "utf8");
      const f = join(dir, `fmt-${sample}.policy`);
      await client.open(f, input);
      const edits = await client.request<TextEdit[]>("textDocument/formatting", {
        textDocument: { uri: uri(f) },
        options: { tabSize: 8, insertSpaces: false },
      });
      const expected = readFileSync(join(fmtDir, `${sample}.policy`), "utf8");
      if (expected === input) expect(edits, sample).toEqual([]);
      else
        expect(
          edits.map((e) => e.newText),
          sample,
        ).toEqual([expected]);
    }
  });

  it("gives no edit for a policy with a syntax error", async () => {
    const f = join(dir, "fmt-broken.policy");
    await client.open(f, "platform debian\nusers = ;\n");
    expect(
      await client.request("textDocument/formatting", { textDocument: { uri: uri(f) }, options: { tabSize: 2, insertSpaces: true } }),
    ).toEqual([]);
  });

  it("lists lists, services, hosts and mail for the outline", async () => {
    const s = await client.request<DocumentSymbol[]>("textDocument/documentSymbol", { textDocument: { uri: uri(main) } });
    const names = (list: DocumentSymbol[]): unknown[] => list.map((x) => (x.children?.length ? [x.name, names(x.children)] : x.name));
    expect(names(s)).toEqual([
      "platform debian",
      "include lists.policy",
      "everyone",
      ["imapd", ["acl user allow /etc/imapd.acl"]],
      ["mail", ["listen smtp"]],
    ]);
  });
});

describe("lsp: inventories in an editor that syncs only what it is told (VS Code)", () => {
  /** The sync a client that registers dynamically gets asked for, by method: the document selectors. */
  const syncOf = (c: LspClient) =>
    Object.fromEntries(c.registrations.map((r) => [r.method, (r.registerOptions as { documentSelector?: unknown }).documentSelector]));

  it("asks a client that takes dynamic registrations to sync .ini, .yml and .yaml documents, and nothing else", async () => {
    const c = new LspClient();
    await c.initialize(dir, { textDocument: { synchronization: { dynamicRegistration: true } } });
    // The registration comes after initialized; a hover is answered after it.
    await c.request("textDocument/hover", { textDocument: { uri: uri(main) }, position: { line: 0, character: 0 } });
    const selector = [{ scheme: "file", pattern: "**/*.{ini,yml,yaml}" }];
    expect(syncOf(c)).toEqual({
      "textDocument/didOpen": selector,
      "textDocument/didChange": selector,
      "textDocument/didClose": selector,
    });
    expect(c.registrations.find((r) => r.method === "textDocument/didChange")!.registerOptions).toMatchObject({ syncKind: 1 });
    // Through that sync (the extension's documentSelector stays the policy language), an open
    // inventory's unsaved text is what the policy that names it is checked with.
    const sub = join(dir, "vscode-inv");
    mkdirSync(sub);
    const f = join(sub, "fleet.policy");
    const inv = join(sub, "hosts.yml");
    const text = `platform debian;\ninventory "hosts.yml";\nrole shell { service sshd { acl user allow "/etc/ssh.users" { entries root; } } }\n`;
    writeFileSync(f, text);
    writeFileSync(inv, "shell:\n  hosts:\n    bastion:\n");
    await c.open(f, text);
    await c.diagnosticsOf(f, (d) => d.length === 0);
    await c.open(inv, "shell:\n  hosts:\n    bastion:\ndbservers:\n  hosts:\n    db1:\n", "yaml");
    expect((await c.diagnosticsOf(inv, (d) => d.length > 0)).map((x) => [x.code, x.range.start.line])).toEqual([["PC1042", 3]]);
    expect(await c.close()).toBe(0);
  });

  it("asks a client without dynamic registration (Neovim) for nothing", async () => {
    // The shared client says no capabilities at all; it has been answered many times by now.
    await client.request("textDocument/hover", at(main, MAIN, "$staff"));
    expect(client.registrations).toEqual([]);
  });

  it("answers no language feature for an inventory, even one that reads as a policy", async () => {
    const inv = join(dir, "looks-like-a-policy.ini");
    const text = "users   staff = alice;\nservice s { pam s; }\n";
    writeFileSync(inv, text);
    await client.open(inv, text, "ini");
    const doc = { textDocument: { uri: uri(inv) } };
    expect(await client.request("textDocument/formatting", { ...doc, options: { tabSize: 2, insertSpaces: true } })).toEqual([]);
    expect(await client.request("textDocument/documentSymbol", doc)).toEqual([]);
    expect(await client.request("textDocument/hover", { ...doc, position: positionOf(text, "staff", 1) })).toBeNull();
    expect(await client.request("textDocument/completion", { ...doc, position: { line: 2, character: 0 } })).toEqual([]);
    expect(await client.request("textDocument/definition", { ...doc, position: positionOf(text, "staff", 1) })).toEqual([]);
    expect(
      await client.request("textDocument/references", {
        ...doc,
        position: positionOf(text, "staff", 1),
        context: { includeDeclaration: true },
      }),
    ).toEqual([]);
    // The same text as a policy is formatted (so the answer above is the server's choice, not the text's).
    const asPolicy = join(dir, "looks-like-a-policy.policy");
    await client.open(asPolicy, text);
    expect(
      await client.request<TextEdit[]>("textDocument/formatting", {
        textDocument: { uri: uri(asPolicy) },
        options: { tabSize: 2, insertSpaces: true },
      }),
    ).toHaveLength(1);
    await client.closeDocument(inv);
    await client.closeDocument(asPolicy);
  });
});

describe("lsp: the command", () => {
  it("is not loaded by build or check: the server is its own bundle, imported only by lsp", () => {
    const cli = readFileSync(join(ROOT, "dist/policyc.cjs"), "utf8");
    expect(cli).toContain('import("./lsp.js")');
    expect(cli).not.toMatch(/vscode-languageserver|StreamMessageReader|TextDocuments/);
    expect(readFileSync(join(ROOT, "dist/lsp.js"), "utf8")).toContain("StreamMessageReader");
    const r = runCli(["check", join(ROOT, "examples/cookbook.policy")], { env: { NODE_DEBUG: "module,esm" } });
    expect(r.status).toBe(0);
    expect(r.stderr).not.toMatch(/lsp\.js/);
  });

  it("answers an untitled editor with nothing, and goes on", async () => {
    const untitled = "untitled:Untitled-1";
    await client.connection.sendNotification("textDocument/didOpen", {
      textDocument: { uri: untitled, languageId: "policy", version: 1, text: "platform debian;\nusers a = $b;\n" },
    });
    expect(
      await client.request("textDocument/hover", { textDocument: { uri: untitled }, position: { line: 1, character: 11 } }),
    ).toBeNull();
    expect(client.diagnostics.has(untitled)).toBe(false);
    const h = await client.request<Hover>("textDocument/hover", at(main, MAIN, "$staff"));
    expect((h.contents as { value: string }).value).toContain("users");
  });

  it("takes no arguments", () => {
    const r = runCli(["lsp", "x.policy"]);
    expect(r.status).toBe(2);
  });

  it("checks against the templates --templates names", async () => {
    const c = new LspClient(["--templates", join(dir, "no-templates")]);
    await c.initialize(dir);
    await c.open(main, MAIN);
    const d = await c.diagnosticsOf(main, (d) => d.some((x) => x.severity === 1));
    expect(d.map((x) => x.code)).toContain("PC5001");
    expect(await c.close()).toBe(0);
  });

  it("exits 1 when the editor closes the pipe without shutdown", () => {
    expect(runCli(["lsp"], { input: "" }).status).toBe(1);
  });

  it("exits 1 when the client exits without shutdown", async () => {
    const c = new LspClient();
    await c.initialize(null);
    const exited = new Promise<void>((resolve) => c.process.once("exit", () => resolve()));
    await c.connection.sendNotification("exit");
    await exited;
    expect(c.exitCode).toBe(1);
    c.connection.dispose();
  });
});
