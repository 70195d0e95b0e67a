/**
 * Reading a policy and its includes (README, Statements: `include`): only regular files, each
 * read and parsed once, no recursion a policy controls, bounded sizes; nothing an input can do
 * makes policyc hang, crash or print a stack trace.
 */
import { execFileSync } from "node:child_process";
import fc from "fast-check";
import { mkdirSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compile } from "../../src/compile.js";
import { DiagnosticBag } from "../../src/diagnostics/diagnostic.js";
import { load, MAX_FILE_BYTES, NotRegularFileError, readRegularFile, type ReadFile } from "../../src/syntax/load.js";
import { runCli, tempDir, TEMPLATES } from "../helpers.js";

const made: string[] = [];
const servers: Server[] = [];
afterAll(() => {
  for (const s of servers) s.close();
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** A folder with policy files; a value of null makes a FIFO, "dir" a folder. */
function repo(files: Record<string, string | null>): string {
  const dir = tempDir("policyc-load-");
  made.push(dir);
  for (const [name, text] of Object.entries(files)) {
    const p = join(dir, name);
    mkdirSync(dirname(p), { recursive: true });
    if (text === null) execFileSync("mkfifo", [p]);
    else if (text === "dir") mkdirSync(p, { recursive: true });
    else writeFileSync(p, text);
  }
  return dir;
}

/** Loads dir/root with a reader that counts reads per file. */
function loadCounting(dir: string, root = "root.policy") {
  const reads = new Map<string, number>();
  const reader: ReadFile = (p, max) => {
    reads.set(p, (reads.get(p) ?? 0) + 1);
    return readRegularFile(p, max);
  };
  const diagnostics = new DiagnosticBag();
  const path = join(dir, root);
  const program = load(path, readFileSync(path), diagnostics, reader);
  return { program, diagnostics, reads, codes: diagnostics.items.map((d) => d.code) };
}

const P = "platform debian;\n";
const cli = (args: string[], cwd: string) => runCli(args, { cwd });
const noStackTrace = (s: string) => expect(s).not.toMatch(/\n\s+at |Error: |policyc bug/);

describe("load: only regular files are read", () => {
  it("refuses an included FIFO at once (PC1015) instead of waiting for a writer", () => {
    const dir = repo({ "root.policy": P + 'include "pipe";\n', pipe: null });
    const started = Date.now();
    const r = cli(["check", "root.policy"], dir);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      "root.policy:2:9: error PC1015: Cannot read pipe: it is a named pipe (FIFO), not a regular file; a policy and the files it includes must be regular files.",
    );
  });

  it("refuses a FIFO, a device and a folder given as the policy (PC1015, exit 2)", () => {
    const dir = repo({ pipe: null, folder: "dir" });
    for (const [arg, what] of [
      ["pipe", "a named pipe (FIFO)"],
      ["/dev/zero", "a character device"],
      ["folder", "a directory"],
    ]) {
      const r = cli(["check", arg!], dir);
      expect(r.status, arg).toBe(2);
      expect(r.stderr).toBe(
        `policyc: error PC1015: Cannot read ${arg}: it is ${what}, not a regular file; a policy and the files it includes must be regular files.\n`,
      );
    }
  });

  it("refuses an included folder, socket and (through a link inside the folder) FIFO", async () => {
    const dir = repo({ "root.policy": P + 'include "lists";\ninclude "sock";\ninclude "link";\n', lists: "dir", pipe: null });
    symlinkSync("pipe", join(dir, "link"));
    const server = createServer();
    servers.push(server);
    await new Promise<void>((ok) => server.listen(join(dir, "sock"), ok));
    const { codes, diagnostics } = loadCounting(dir);
    expect(codes).toEqual(["PC1015", "PC1015", "PC1015"]);
    expect(
      diagnostics.items.map((d) => d.message.replace(dir + "/", "").replace(/^Cannot read (\S+): it is ([^,]+),.*$/, "$1 $2")),
    ).toEqual(["lists a directory", "sock a socket", "link a named pipe (FIFO)"]);
  });

  it("checks the open descriptor too: a device is refused without reading it", () => {
    expect(() => readRegularFile("/dev/zero", 10)).toThrow(NotRegularFileError);
    expect(() => readRegularFile("/dev/null", 10, { noFollow: true })).toThrow(/character device/);
  });
});

describe("load: each file is read and parsed once", () => {
  /** Levels 0..n-1: l_k includes a_k and b_k, which both include l_{k+1}; l_n defines nothing but a comment. */
  function diamond(levels: number, leaf: string): Record<string, string> {
    const files: Record<string, string> = { "root.policy": P + 'include "l0.policy";\n' };
    for (let k = 0; k < levels; k++) {
      files[`l${k}.policy`] = `include "a${k}.policy";\ninclude "b${k}.policy";\n`;
      files[`a${k}.policy`] = `include "l${k + 1}.policy";\n`;
      files[`b${k}.policy`] = `include "l${k + 1}.policy";\n`;
    }
    files[`l${levels}.policy`] = leaf;
    return files;
  }

  it("reads every file of a diamond include graph once, and still places its statements at each include", () => {
    const { program, reads, codes } = loadCounting(repo(diamond(10, "users leaf = x;\n")));
    expect([...reads.values()].every((n) => n === 1)).toBe(true);
    expect(reads.size).toBe(31);
    expect(program!.files.length).toBe(32);
    // 2^10 paths reach the leaf: its list is defined at each (a duplicate, as the README says).
    expect(program!.shared.length).toBe(1 + 1024);
    expect(codes).toEqual([]);
  });

  it("reports a syntax error of a file included twice once", () => {
    const dir = repo({ "root.policy": P + 'include "x.policy";\ninclude "x.policy";\n', "x.policy": "users = ;\n" });
    const { codes } = loadCounting(dir);
    expect(codes).toEqual(["PC1001"]);
  });

  it("defines a twice-included file's lists twice (PC2001), as before", () => {
    const dir = repo({ "root.policy": P + 'include "x.policy";\ninclude "x.policy";\n', "x.policy": "users staff = alice;\n" });
    const r = cli(["check", "root.policy"], dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('PC2001: List "staff" is defined more than once.');
  });

  it("stops a 17-level diamond (131,072 include paths) quickly at 100,000 includes (PC1018)", () => {
    const dir = repo(diamond(17, "# a comment\nusers leaf = x;\n"));
    const started = Date.now();
    const r = cli(["check", "root.policy"], dir);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /error PC1018: Cannot include "l17\.policy": the policy already includes files 100,000 times, the most policyc follows\./,
    );
    noStackTrace(r.stderr);
  });

  it("follows a chain of 5,000 includes without recursion", () => {
    const files: Record<string, string> = { "root.policy": P + 'include "c0.policy";\n' };
    for (let i = 0; i < 5000; i++)
      files[`c${i}.policy`] = (i < 4999 ? `include "c${i + 1}.policy";\n` : "") + `users list${i} = member${i};\n`;
    const { program, codes, reads } = loadCounting(repo(files));
    expect(codes).toEqual([]);
    expect(reads.size).toBe(5000);
    expect(program!.shared.length).toBe(5001);
    // In place of each include: the deepest file's list comes first, the first file's last.
    const listName = (i: number) => (program!.shared[i]!.node as unknown as { name: { value: string } }).name.value;
    expect([listName(1), listName(5000)]).toEqual(["list4999", "list0"]);
  });

  it("names the whole chain of a cycle 3,000 files deep", () => {
    const files: Record<string, string> = { "root.policy": P + 'include "c0.policy";\n' };
    for (let i = 0; i < 3000; i++) files[`c${i}.policy`] = `include "c${(i + 1) % 3000}.policy";\n`;
    const { diagnostics, codes } = loadCounting(repo(files));
    expect(codes).toEqual(["PC1013"]);
    expect(diagnostics.items[0]!.message).toMatch(
      /^"c0\.policy" is already being included: c0\.policy -> c1\.policy -> .* -> c2999\.policy -> c0\.policy\.$/,
    );
  });
});

describe("load: bounded sizes", () => {
  it("refuses an included file over 64 MiB (PC1016), reading no more than the limit", () => {
    const dir = repo({ "root.policy": P + 'include "big.policy";\n', "big.policy": "" });
    truncateSync(join(dir, "big.policy"), MAX_FILE_BYTES + 1);
    const { diagnostics, codes } = loadCounting(dir);
    expect(codes).toEqual(["PC1016"]);
    expect(diagnostics.items[0]!.message.replace(dir + "/", "")).toBe(
      "Cannot read big.policy: it is larger than 64 MiB, the most policyc reads from one policy file.",
    );
  });

  it("does not trust the file size: a reader that returns more than asked is cut off", () => {
    const dir = repo({ "root.policy": P + 'include "x.policy";\n', "x.policy": "users a = b;\n" });
    const liar: ReadFile = (_p, max) => new Uint8Array(max + 1).fill(0x20);
    const diagnostics = new DiagnosticBag();
    load(join(dir, "root.policy"), new TextEncoder().encode(P + 'include "x.policy";\n'), diagnostics, liar);
    expect(diagnostics.items.map((d) => d.code)).toEqual(["PC1016"]);
  });

  it("refuses a policy over 64 MiB on the command line and on standard input (exit 2)", () => {
    const dir = repo({ "big.policy": "" });
    truncateSync(join(dir, "big.policy"), MAX_FILE_BYTES + 1);
    const r = cli(["check", "big.policy"], dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      "policyc: error PC1016: Cannot read big.policy: it is larger than 64 MiB, the most policyc reads from one policy file.\n",
    );
    const s = runCli(["check", "-"], { input: Buffer.alloc(MAX_FILE_BYTES + 10, 0x20) });
    expect(s.status).toBe(2);
    expect(s.stderr).toContain("PC1016: Cannot read standard input: it is larger than 64 MiB");
  });

  it("counts a file again at each include: 300 includes of a 1 MiB file pass 256 MiB (PC1017)", () => {
    const dir = repo({
      "root.policy": P + 'include "one.policy";\n'.repeat(300),
      "one.policy": "# " + "x".repeat(1 << 20) + "\nusers u = v;\n",
    });
    const { codes, reads, diagnostics } = loadCounting(dir);
    expect(reads.size).toBe(1);
    expect(codes).toContain("PC1017");
    expect(diagnostics.items.find((d) => d.code === "PC1017")!.message).toBe(
      'Cannot include "one.policy": the policy with its includes would be larger than 256 MiB in all (a file included again counts again).',
    );
    expect(diagnostics.items.filter((d) => d.code === "PC1017").length).toBe(1);
  });

  it("still compiles a 12 MB policy of a million entries", () => {
    const names = Array.from({ length: 1_000_000 }, (_, i) => `user${i}`).join(", ");
    const text = P + `users all = ${names};\nservice s { acl user allow "/etc/s.acl" { entries $all, root; } }\n`;
    expect(text.length).toBeGreaterThan(11_000_000);
    const dir = repo({ "root.policy": text });
    const r = cli(["check", "root.policy"], dir);
    expect(r.status, r.stderr).toBe(0);
  });
});

describe("load: random include graphs (fast-check)", () => {
  type Node = { kind: "policy"; includes: number[]; body: string } | { kind: "missing" | "fifo" | "dir" | "outside" | "empty" | "garbage" };
  const node: fc.Arbitrary<Node> = fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({
        kind: fc.constant("policy" as const),
        includes: fc.array(fc.nat({ max: 7 }), { maxLength: 4 }),
        body: fc.constantFrom("", "users u = a;\n", "# c\n", "users = ;\n"),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(...(["missing", "fifo", "dir", "outside", "empty", "garbage"] as const)).map((kind) => ({ kind }) as Node),
    },
  );
  const graph = fc.array(node, { minLength: 1, maxLength: 8 });

  function materialize(nodes: Node[]): string {
    const files: Record<string, string | null> = {};
    const name = (i: number) => (i === 0 ? "root.policy" : `n${i}.policy`);
    nodes.forEach((given, i) => {
      // The root is always a policy (the CLI tests the root's own file types above).
      const n: Node = i === 0 && given.kind !== "policy" ? { kind: "policy", includes: [1, 2], body: "" } : given;
      if (n.kind === "policy") {
        files[name(i)] =
          (i === 0 ? P : "") + n.includes.map((j) => `include "${j < nodes.length ? name(j) : `../n${j}.policy`}";\n`).join("") + n.body;
      } else if (n.kind === "fifo") files[name(i)] = null;
      else if (n.kind === "dir") files[name(i)] = "dir";
      else if (n.kind === "empty") files[name(i)] = "";
      else if (n.kind === "garbage") files[name(i)] = "\u202e\r\n{{{";
      // missing and outside: no file (an include of it is missing, or leaves the folder)
    });
    return repo(files);
  }

  it("loads and compiles any graph (cycles, diamonds, missing files, folders, FIFOs) to files or diagnostics (300 cases)", () => {
    fc.assert(
      fc.property(graph, (nodes) => {
        const dir = materialize(nodes);
        const path = join(dir, "root.policy");
        const r = compile(path, readFileSync(path), { templates: TEMPLATES });
        for (const d of r.diagnostics.items) expect(d.code).toMatch(/^PC\d{4}$/);
        expect(r.files !== undefined).toBe(!r.diagnostics.hasErrors);
        rmSync(dir, { recursive: true, force: true });
      }),
      { numRuns: 300 },
    );
  });

  it("exits 0, 1 or 2 with no stack trace through the CLI (15 cases)", () => {
    fc.assert(
      fc.property(graph, (nodes) => {
        const dir = materialize(nodes);
        const r = cli(["check", "root.policy"], dir);
        expect([0, 1, 2]).toContain(r.status);
        noStackTrace(r.stderr);
        rmSync(dir, { recursive: true, force: true });
      }),
      { numRuns: 15 },
    );
  });
});
