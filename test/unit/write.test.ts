import * as nodeFs from "node:fs";
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { chunks } from "../../src/output/chunks.js";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { OutputError, TEMP_NAME, tempName, writeTemp } from "../../src/output/write.js";
import type { OutputFile } from "../../src/targets/Target.js";
import { streamFiles, temporaries } from "../fault/helpers.js";
import { readTree, tempDir } from "../helpers.js";

/** build's writer (BuildStream), one file per add. */
const write = (root: string, files: OutputFile[], options: Parameters<typeof streamFiles>[2] = {}) => {
  const { written, unchanged, removed } = streamFiles(root, files, options);
  return { written, unchanged, removed };
};

const file = (path: string, content: string): OutputFile => ({ path, content, mode: 0o644, producer: "test", origins: [] });

describe("output: writing the tree (BuildStream)", () => {
  it("writes files with mode 0644 and reports what changed", () => {
    const out = tempDir();
    const r = write(out, [file("etc/a", "A\n"), file("etc/pam.d/b", "B\n")]);
    expect(r).toEqual({ written: ["etc/a", "etc/pam.d/b"], unchanged: [], removed: [] });
    expect((statSync(join(out, "etc/a")).mode & 0o777).toString(8)).toBe("644");
    expect(write(out, [file("etc/a", "A\n"), file("etc/pam.d/b", "B2\n")])).toEqual({
      written: ["etc/pam.d/b"],
      unchanged: ["etc/a"],
      removed: [],
    });
  });

  it("repairs the mode of an unchanged file that became group- or world-writable", () => {
    const out = tempDir();
    write(out, [file("etc/a", "A\n")]);
    chmodSync(join(out, "etc/a"), 0o666);
    expect(write(out, [file("etc/a", "A\n")]).written).toEqual(["etc/a"]);
    expect((statSync(join(out, "etc/a")).mode & 0o777).toString(8)).toBe("644");
  });

  it("leaves the previous tree intact, with no temporary files, when a write fails midway", () => {
    const out = tempDir();
    write(out, [file("etc/a", "old a\n"), file("etc/z", "old z\n")]);
    const before = readTree(out);
    const fault = (path: string) => {
      if (path === "etc/m") throw new Error("ENOSPC: no space left on device");
    };
    expect(() =>
      write(out, [file("etc/a", "new a\n"), file("etc/m", "n\n"), file("etc/z", "new z\n")], { faultBeforeWrite: fault }),
    ).toThrow(OutputError);
    expect(readTree(out)).toEqual(before);
    expect(readdirSync(join(out, "etc")).sort()).toEqual(["a", "z"]);
    expect(temporaries(out)).toEqual([]);
  });

  it("writes long file names (temporary names do not grow with them)", () => {
    const out = tempDir();
    const long = "x".repeat(250);
    expect(write(out, [file(`etc/${long}`, "n\n")]).written).toEqual([`etc/${long}`]);
  });

  it("refuses a non-directory where a directory must be, before writing anything", () => {
    const out = tempDir();
    writeFileSync(join(out, "etc"), "not a dir");
    expect(() => write(out, [file("a", "1\n"), file("etc/x", "2\n")])).toThrow(/exists and is not a directory/);
    // Not even OUT/.policyc: the folders the failed build made are gone.
    expect(readdirSync(out)).toEqual(["etc"]);
  });

  it("refuses to replace a directory with a file", () => {
    const out = tempDir();
    mkdirSync(join(out, "etc", "a"), { recursive: true });
    expect(() => write(out, [file("etc/a", "1\n")])).toThrow(/exists and is not a regular file/);
    expect(statSync(join(out, "etc", "a")).isDirectory()).toBe(true);
  });
});

describe("output: large files in pieces", () => {
  it("never splits a surrogate pair between pieces, and writes the exact UTF-8", () => {
    const text = "a".repeat((1 << 20) - 1) + "\u{1F600}" + "b".repeat(10) + "\n";
    const pieces = [...chunks(text)];
    expect(pieces.join("")).toBe(text);
    expect(pieces[0]!.length).toBe((1 << 20) - 1);
    const out = tempDir();
    write(out, [file("etc/big.acl", text)]);
    expect(readFileSync(join(out, "etc/big.acl"), "utf8")).toBe(text);
  });
});

describe("output: temporaries", () => {
  it("are named .policyc-tmp- and 32 random hex digits, never the same twice", () => {
    const names = new Set(Array.from({ length: 1000 }, () => tempName()));
    expect(names.size).toBe(1000);
    for (const n of names) expect(n).toMatch(TEMP_NAME);
  });

  it("are created exclusively: never through a link planted under the name, never over a file", () => {
    const out = tempDir();
    const victim = join(out, "victim");
    writeFileSync(victim, "root's file\n");
    const name = join(out, tempName());
    symlinkSync(victim, name);
    expect(() => writeTemp(nodeFs, name, "evil\n", 0o644)).toThrow(/already exists/);
    expect(readFileSync(victim, "utf8")).toBe("root's file\n");
    expect(() => writeTemp(nodeFs, victim, "evil\n", 0o644)).toThrow(/already exists/);
    expect(readFileSync(victim, "utf8")).toBe("root's file\n");
  });

  it("get the file's mode whatever the umask", () => {
    const out = tempDir();
    const old = process.umask(0o777);
    try {
      write(out, [file("etc/a", "A\n")]);
    } finally {
      process.umask(old);
    }
    expect((statSync(join(out, "etc")).mode & 0o777).toString(8)).toBe("755");
    expect((statSync(join(out, "etc/a")).mode & 0o777).toString(8)).toBe("644");
  });

  it("get each file's own mode, created with it or set after the umask cut it", () => {
    for (const mask of [0o022, 0o077, 0o000]) {
      const out = tempDir();
      const old = process.umask(mask);
      try {
        write(
          out,
          [0o600, 0o640, 0o644, 0o755].map((mode) => ({ ...file(`etc/m${mode.toString(8)}`, "x\n"), mode })),
        );
      } finally {
        process.umask(old);
      }
      for (const mode of ["600", "640", "644", "755"]) expect((statSync(join(out, `etc/m${mode}`)).mode & 0o7777).toString(8)).toBe(mode);
    }
  });
});

describe("output: a stale file where a folder must go, and the reverse", () => {
  it("replaces a stale file by a folder and a folder of stale files by a file, in one build", () => {
    const out = tempDir();
    write(out, [file("etc/x", "x was a file\n"), file("etc/d/one", "1\n"), file("etc/d/sub/two", "2\n")]);
    // The stale files are the first build's manifest's, unchanged since: this build removes them.
    const r = write(out, [file("etc/x/y", "now x is a folder\n"), file("etc/d", "now d is a file\n")]);
    expect(r.removed).toEqual(["etc/d/one", "etc/d/sub/two", "etc/x"]);
    expect([...readTree(out)].filter(([p]) => !p.startsWith(".policyc/"))).toEqual([
      ["etc/d", { content: "now d is a file\n", mode: 0o644 }],
      ["etc/x/y", { content: "now x is a folder\n", mode: 0o644 }],
    ]);
    expect((statSync(join(out, "etc/x")).mode & 0o777).toString(8)).toBe("755");
  });

  it("still refuses a folder that holds anything the build does not remove", () => {
    const out = tempDir();
    write(out, [file("etc/d/one", "1\n")]);
    writeFileSync(join(out, "etc/d/mine"), "a user's file\n");
    expect(() => write(out, [file("etc/d", "file\n")])).toThrow(/exists and is not a regular file/);
    expect(readdirSync(join(out, "etc/d")).sort()).toEqual(["mine", "one"]);
  });
});
