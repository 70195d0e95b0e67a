import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { findLeftovers, findTemporaries } from "../../src/output/journal.js";
import { acquireLock } from "../../src/output/lock.js";
import { readOwnFile } from "../../src/output/read.js";
import { isSystemRoot } from "../../src/output/tree.js";
import { OutputError } from "../../src/output/write.js";
import { tempDir } from "../helpers.js";

/**
 * README "Safe output" and "Command line": policyc's own files under OUT are
 * data someone else may have replaced (read once, never through a link, never
 * waiting on a FIFO), only temporaries below OUT are removed, and OUT may not
 * be (or become, once build makes its folders) this machine's own /.
 */
const dirs: string[] = [];
const fresh = () => {
  const d = tempDir("policyc-output-reads-");
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const mkfifo = (path: string) => expect(spawnSync("mkfifo", [path]).status).toBe(0);
const TEMP = ".policyc-tmp-0123456789abcdef0123456789abcdef";

describe("output: reading policyc's own files", () => {
  it("gives the text of a regular file, nothing for a missing one or one under a file, and words for the rest", () => {
    const d = fresh();
    writeFileSync(join(d, "file"), "text\n");
    mkfifo(join(d, "fifo"));
    symlinkSync(join(d, "file"), join(d, "link"));
    symlinkSync(join(d, "fifo"), join(d, "link-to-fifo"));
    mkdirSync(join(d, "folder"));
    expect(readOwnFile(join(d, "file"))).toEqual({ text: "text\n" });
    expect(readOwnFile(join(d, "missing"))).toEqual({ absent: true });
    expect(readOwnFile(join(d, "file", "below"))).toEqual({ absent: true });
    // A FIFO opened without O_NONBLOCK would block this very test until a writer came.
    expect(readOwnFile(join(d, "fifo"))).toEqual({ problem: "it is not a regular file" });
    expect(readOwnFile(join(d, "link"))).toEqual({ problem: "it is a symbolic link" });
    expect(readOwnFile(join(d, "link-to-fifo"))).toEqual({ problem: "it is a symbolic link" });
    expect(readOwnFile(join(d, "folder"))).toEqual({ problem: "it is a directory" });
  });

  it("a journal that is a FIFO or a link is an unfinished build's, not read, and says why", () => {
    for (const kind of ["fifo", "link"] as const) {
      const out = fresh();
      mkdirSync(join(out, ".policyc"));
      const journal = join(out, ".policyc/journal");
      if (kind === "fifo") mkfifo(journal);
      else symlinkSync(join(out, "elsewhere"), journal);
      const l = findLeftovers(out);
      expect(l.journal, kind).toEqual({
        pid: null,
        files: [],
        problem: kind === "fifo" ? "it is not a regular file" : "it is a symbolic link",
      });
    }
  });

  it("a lock that is not a regular file refuses the build in words and is left as it was", () => {
    for (const kind of ["fifo", "folder", "link"] as const) {
      const out = fresh();
      mkdirSync(join(out, ".policyc"));
      const lock = join(out, ".policyc/lock");
      if (kind === "fifo") mkfifo(lock);
      else if (kind === "folder") mkdirSync(lock);
      else symlinkSync(join(out, "elsewhere"), lock);
      let error: unknown;
      try {
        acquireLock(out)();
      } catch (e) {
        error = e;
      }
      expect(error, kind).toBeInstanceOf(OutputError);
      const e = error as OutputError;
      expect([e.reason, e.symlink], kind).toEqual(
        kind === "fifo" ? ["it is not a regular file", false] : kind === "folder" ? ["it is a directory", false] : ["symbolic link", true],
      );
      expect(lstatSync(lock).isFIFO() || lstatSync(lock).isDirectory() || lstatSync(lock).isSymbolicLink()).toBe(true);
    }
  });
});

describe("output: the temporaries a journal lists", () => {
  function journalIn(out: string, temporaries: string[]): void {
    mkdirSync(join(out, ".policyc"), { recursive: true });
    writeFileSync(join(out, ".policyc/journal"), JSON.stringify({ format: "policyc-journal", version: 1, pid: 1, files: [], temporaries }));
  }

  it("takes those below OUT, never one elsewhere, by .., or through a link below OUT", () => {
    const base = fresh();
    const out = join(base, "out");
    mkdirSync(join(out, "etc/deep"), { recursive: true });
    mkdirSync(join(base, "elsewhere"));
    for (const f of ["out/etc/deep", "elsewhere"]) writeFileSync(join(base, f, TEMP), "x");
    symlinkSync(join(base, "elsewhere"), join(out, "link"));
    const below = join(out, "etc/deep", TEMP);
    journalIn(out, [
      below,
      join(base, "elsewhere", TEMP),
      `${out}/../elsewhere/${TEMP}`,
      join(out, "link", TEMP),
      `etc/deep/${TEMP}`, // relative: not as the journal writes them
    ]);
    // Only the folders the policy writes are scanned (as diff --root does): the journal alone names `below`.
    expect(findLeftovers(out, ["etc"]).temporaries).toEqual([below]);
    // Relative OUT: the same, by the real path of OUT.
    const cwd = process.cwd();
    try {
      process.chdir(base);
      expect(findLeftovers("out", ["etc"]).temporaries).toEqual([below]);
    } finally {
      process.chdir(cwd);
    }
    expect(existsSync(join(base, "elsewhere", TEMP))).toBe(true);
  });

  it("a file where a folder of the policy's files should be holds no temporaries (no ENOTDIR)", () => {
    const out = fresh();
    mkdirSync(join(out, "etc"));
    writeFileSync(join(out, "etc/acl"), "a file\n");
    expect(findTemporaries(out, ["etc/acl/sub", "etc"])).toEqual([]);
  });
});

describe("output: this machine's own /, as OUT is or will be", () => {
  it("is / for every spelling that is or becomes / once the missing folders are made, and nothing else", () => {
    const base = fresh();
    mkdirSync(join(base, "d"));
    symlinkSync("/", join(base, "to-root"));
    symlinkSync(join(base, "d"), join(base, "to-d"));
    symlinkSync(join(base, "nowhere"), join(base, "dangling"));
    writeFileSync(join(base, "file"), "");
    const depth = base.split("/").filter(Boolean).length;
    const up = (n: number) => Array(n).fill("..").join("/");
    const root = [
      "/",
      "//",
      "///",
      "/.",
      `${base}/${up(depth)}`,
      `${base}/missing/${up(depth + 1)}`,
      `${base}/missing/more/${up(depth + 2)}`,
      `${base}/to-root`,
      `${base}/to-root/`,
      `${base}/to-root/tmp/..`,
      `${base}/to-root/missing/..`,
      `${base}/to-d/${up(depth + 1)}`,
      `${base}/to-d/missing/${up(depth + 2)}`,
    ];
    const not = [
      base,
      `${base}/missing`,
      `${base}/missing/${up(depth)}`,
      `${base}/to-d/${up(depth)}`,
      `${base}/d/..`,
      `${base}/dangling/..`,
      `${base}/file/..`,
      `${base}/file/missing/${up(depth + 2)}`,
      "",
    ];
    for (const p of root) expect([p, isSystemRoot(p)]).toEqual([p, true]);
    for (const p of not) expect([p, isSystemRoot(p)]).toEqual([p, false]);
    expect(existsSync(join(base, "missing"))).toBe(false);
  });
});
