/**
 * Fault injection in build's writer (BuildStream, src/output/stream.ts), in
 * process: every write, open, mkdir, close and rename of a build fails in
 * turn (ENOSPC, EIO, a write that makes no progress), and writes come back
 * short. The files are added one "host" at a time, so a fault also hits a
 * later host's `add` after earlier hosts' temporaries were written, and the
 * commit. After each fault the tree must be whole: before the commit
 * exactly the old tree (folder times too) with no temporary, staging folder
 * or lock; during it every file old or new with the old manifest and a
 * journal; and the next build must leave no temporaries and equal a clean
 * build.
 */
import * as nodeFs from "node:fs";
import { existsSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { findLeftovers, hasLeftovers } from "../../src/output/journal.js";
import { makeManifest } from "../../src/output/manifest.js";
import { type Fs, OutputError } from "../../src/output/write.js";
import type { OutputFile } from "../../src/targets/Target.js";
import { readTree, tempDir, treeState } from "../helpers.js";
import { streamFiles, temporaries } from "./helpers.js";

const file = (path: string, content: string): OutputFile => ({ path, content, mode: 0o644, producer: "test", origins: [] });
const manifestOf = (files: OutputFile[]) => JSON.stringify(makeManifest("test.policy", null, files), null, 2) + "\n";
/** bodyInMemory 0: the manifest's entries go to the staging folder from the first file on, as a fleet's do. */
const build = (root: string, files: OutputFile[], fs?: Fs, per = 1, bodyInMemory?: number) =>
  streamFiles(root, files, { fs, per, bodyInMemory });

/** A clean build of files in a fresh folder, as a tree. */
function clean(files: OutputFile[]) {
  const dir = tempDir("policyc-clean-");
  build(dir, files);
  return readTree(dir);
}

type Op = "openSync" | "writeSync" | "closeSync" | "mkdirSync" | "renameSync" | "unlinkSync";

/** node:fs with the n-th call of `op` failing (or counting calls when n is Infinity). */
function failing(op: Op, n: number, how: "ENOSPC" | "EIO" | "zero" = "ENOSPC") {
  let calls = 0;
  const fs = { ...nodeFs } as Fs & Record<string, unknown>;
  const real = nodeFs[op] as (...a: unknown[]) => unknown;
  fs[op] = ((...args: unknown[]) => {
    calls++;
    if (calls === n) {
      if (how === "zero") return 0;
      throw Object.assign(new Error(`${how}: injected fault, ${op}`), { code: how });
    }
    return real(...args);
  }) as never;
  return { fs: fs as Fs, calls: () => calls };
}

/** node:fs whose writes write at most a few bytes each. */
function shortWrites(max: number): Fs {
  return {
    ...nodeFs,
    writeSync: ((fd: number, buf: Buffer, off: number) => nodeFs.writeSync(fd, buf, off, Math.min(max, buf.length - off))) as never,
  };
}

// Old and new trees; within one tree no file is another's folder, but across the two it may be
// (srv/lists and srv/lists/x, etc/pam.d/imap and etc/pam.d/imap/deep): the new build then removes the stale one first.
const PATHS = [
  "etc/a.acl",
  "etc/pam.d/imap",
  "etc/pam.d/imap/deep",
  "etc/pam.d/sshd",
  "etc/mail/access",
  "etc/mail/sasl/Sendmail.conf.2",
  "srv/lists",
  "srv/lists/x",
  "top",
];
const consistent = (files: OutputFile[]) => files.every((f) => !files.some((g) => g.path.startsWith(f.path + "/")));
const content = fc.string({ unit: fc.constantFrom("a", "b", "é", "\u{1F600}", "\n", " "), maxLength: 40 }).map((s) => `# header\n${s}\n`);
const tree = fc
  .tuple(
    ...PATHS.map((p) =>
      fc.option(
        content.map((c) => file(p, c)),
        { nil: undefined },
      ),
    ),
  )
  .map((files) => files.filter((f): f is OutputFile => f !== undefined))
  .filter((files) => files.length > 0 && consistent(files));

/** The tree holds every file either old or new (or absent where neither has it yet), and a whole manifest. */
function expectMixed(root: string, oldFiles: OutputFile[], newFiles: OutputFile[]) {
  const disk = readTree(root);
  for (const [path, { content: text }] of disk) {
    if (path.startsWith(".policyc/")) continue;
    const o = oldFiles.find((f) => f.path === path)?.content;
    const n = newFiles.find((f) => f.path === path)?.content;
    expect([o, n], path).toContain(text);
  }
  const manifest = disk.get(".policyc/manifest.json")?.content;
  expect([manifestOf(oldFiles), manifestOf(newFiles)]).toContain(manifest);
  if (manifest === manifestOf(newFiles)) for (const f of newFiles) expect(disk.get(f.path)?.content, f.path).toBe(f.content);
}

describe("fault injection: every write of a build fails in turn", () => {
  const oldFiles = [file("etc/a.acl", "# old a\n"), file("etc/pam.d/imap", "old imap\n"), file("etc/gone", "# removed by the new build\n")];
  const newFiles = [
    file("etc/a.acl", "# new a\n"),
    file("etc/pam.d/imap", "new imap\n"),
    file("etc/mail/access", "To:x RELAY\n"),
    file("new/deep/f", "f\n"),
  ];

  for (const op of ["openSync", "writeSync", "closeSync", "mkdirSync"] as const)
    for (const spill of [undefined, 0]) {
      it(`${op}: ENOSPC at each call leaves exactly the old tree, no temporaries, journal or lock (manifest entries ${spill === 0 ? "in the staging folder" : "in memory"})`, () => {
        const count = failing(op, Infinity);
        build(tempDir(), oldFiles);
        const probe = tempDir();
        build(probe, oldFiles);
        build(probe, newFiles, count.fs, 1, spill);
        const total = count.calls();
        expect(total).toBeGreaterThan(3);
        for (let n = 1; n <= total; n++) {
          const root = tempDir();
          build(root, oldFiles);
          const before = readTree(root);
          const state = treeState(root, { folderTimes: true });
          const f = failing(op, n);
          let error: unknown;
          try {
            build(root, newFiles, f.fs, 1, spill);
          } catch (e) {
            error = e;
          }
          if (error === undefined) {
            // A fault after the commit (not every build makes the same calls): the new tree is whole.
            expect(readTree(root)).toEqual(clean(newFiles));
            continue;
          }
          expect(error, `call ${n}`).toBeInstanceOf(OutputError);
          const after = readTree(root);
          if (hasLeftovers(findLeftovers(root))) {
            // The fault hit the commit: mixed but whole, and reported.
            expectMixed(root, oldFiles, newFiles);
          } else {
            expect(after, `call ${n}`).toEqual(before);
            expect(treeState(root, { folderTimes: true }), `call ${n}`).toEqual(state);
            expect(existsSync(join(root, "new")), `call ${n}: a folder created for the build stays`).toBe(false);
          }
          expect(temporaries(root), `call ${n}`).toEqual([]);
          expect(existsSync(join(root, ".policyc/lock"))).toBe(false);
          build(root, newFiles);
          expect(temporaries(root)).toEqual([]);
          expect(readTree(root), `call ${n}: the next build`).toEqual(clean(newFiles));
        }
      });
    }

  it("a fault in a later host's add, after the earlier hosts were staged, and one in the commit: OUT exactly as it was", () => {
    const hosts = ["h0", "h1", "h2"];
    const mk = (v: string) => hosts.flatMap((h) => [file(`${h}/etc/a.acl`, `${v} a\n`), file(`${h}/etc/pam.d/imap`, `${v} imap\n`)]);
    // Before each: the last host's first file, checks.json (an extra file, staged by the commit), the manifest, the journal.
    for (const at of ["h2/etc/a.acl", "checks.json", ".policyc/manifest.json", ".policyc/journal"]) {
      const root = tempDir();
      streamFiles(root, mk("old"), { hosts });
      const before = readTree(root);
      const state = treeState(root, { folderTimes: true });
      let staged = 0;
      const fault = (p: string) => {
        if (!p.endsWith(at)) return;
        staged = temporaries(root).length;
        throw new Error("ENOSPC: injected");
      };
      const extra = [{ path: join(root, ".policyc/checks.json"), content: "{}\n" }];
      expect(() => streamFiles(root, mk("new"), { hosts, extra, faultBeforeWrite: fault }), at).toThrow(OutputError);
      // The staging folder and the temporaries of the hosts before (4 files at least) were there when it failed.
      expect(staged, at).toBeGreaterThanOrEqual(5);
      expect(readTree(root), at).toEqual(before);
      expect(treeState(root, { folderTimes: true }), at).toEqual(state);
      expect(temporaries(root), at).toEqual([]);
      expect(existsSync(join(root, ".policyc/lock")), at).toBe(false);
      expect(hasLeftovers(findLeftovers(root)), at).toBe(false);
    }
  });

  it("a write that makes no progress is an error, never a short file", () => {
    const root = tempDir();
    build(root, oldFiles);
    const before = readTree(root);
    for (let n = 1; n <= 5; n++) {
      expect(() => build(root, newFiles, failing("writeSync", n, "zero").fs)).toThrow(/short write/);
      expect(readTree(root)).toEqual(before);
      expect(temporaries(root)).toEqual([]);
    }
  });

  it("renameSync: EIO at each rename leaves every file old or new, the old manifest and a journal; the next build repairs it", () => {
    const count = failing("renameSync", Infinity);
    const probe = tempDir();
    build(probe, oldFiles);
    build(probe, newFiles, count.fs);
    for (let n = 1; n <= count.calls(); n++) {
      for (const next of [newFiles, oldFiles]) {
        const root = tempDir();
        build(root, oldFiles);
        expect(() => build(root, newFiles, failing("renameSync", n, "EIO").fs)).toThrow(OutputError);
        expectMixed(root, oldFiles, newFiles);
        expect(temporaries(root)).toEqual([]);
        const leftovers = findLeftovers(root);
        // The journal's own rename is the first: a fault there leaves nothing to report.
        if (n > 1) expect(hasLeftovers(leftovers), `rename ${n}`).toBe(true);
        const r = build(root, next);
        if (n > 1) expect(r.recovered).toMatch(/journal/);
        expect(temporaries(root)).toEqual([]);
        expect(readTree(root), `rename ${n}, then a build of the ${next === newFiles ? "new" : "old"} policy`).toEqual(clean(next));
      }
    }
  });

  it("short writes (a few bytes per call) still give exactly the clean tree", () => {
    fc.assert(
      fc.property(tree, tree, fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 3 }), (a, b, max, per) => {
        const root = tempDir();
        build(root, a, shortWrites(max), per);
        build(root, b, shortWrites(max), per);
        expect(readTree(root)).toEqual(clean(b));
      }),
      { numRuns: 12, seed: 11 },
    );
  });

  it("random trees, a random fault anywhere: whole before, repaired after", () => {
    fc.assert(
      fc.property(
        tree,
        tree,
        fc.constantFrom<Op>("openSync", "writeSync", "closeSync", "mkdirSync", "renameSync", "unlinkSync"),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 3 }),
        (a, b, op, n, per) => {
          const root = tempDir();
          build(root, a);
          const before = readTree(root);
          const state = treeState(root, { folderTimes: true });
          try {
            build(root, b, failing(op, n, "EIO").fs, per);
          } catch (e) {
            expect(e).toBeInstanceOf(OutputError);
            if (!hasLeftovers(findLeftovers(root))) {
              expect(readTree(root)).toEqual(before);
              expect(treeState(root, { folderTimes: true })).toEqual(state);
            } else expectMixed(root, a, b);
          }
          expect(existsSync(join(root, ".policyc/lock"))).toBe(false);
          expect(temporaries(root)).toEqual([]);
          build(root, b);
          expect(readTree(root)).toEqual(clean(b));
          expect(temporaries(root)).toEqual([]);
        },
      ),
      { numRuns: 40, seed: 7 },
    );
  });
});
