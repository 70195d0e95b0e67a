import * as nodeFs from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import type { OutputFile } from "../targets/Target.js";
import { errnoWords } from "../diagnostics/errno.js";
import { chunks } from "./chunks.js";
import { sha256 } from "./sha256.js";
import { TEMP_NAME, TEMP_PREFIX } from "../targets/reserved.js";
import { PARALLEL_MIN_FILES, type StageJob, stageInWorkers } from "./stage.js";

/** A reason the tree cannot be written; the CLI turns it into a diagnostic. */
export class OutputError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
    readonly symlink = false,
  ) {
    super(`${path}: ${reason}`);
  }
}

/**
 * The file system calls the writer makes. Production passes node:fs; the
 * fault-injection tests pass a copy whose writeSync writes short or fails.
 */
export type Fs = Pick<
  typeof nodeFs,
  | "openSync"
  | "writeSync"
  | "fstatSync"
  | "fchmodSync"
  | "closeSync"
  | "renameSync"
  | "unlinkSync"
  | "lstatSync"
  | "mkdirSync"
  | "chmodSync"
  | "readFileSync"
  | "readdirSync"
  | "rmdirSync"
>;

/** Mode of every directory policyc creates, whatever the umask: rsync copies it to the host's /etc. */
export const DIR_MODE = 0o755;

export { TEMP_NAME, TEMP_PREFIX } from "../targets/reserved.js";

/**
 * Random bytes for temporary names: /dev/urandom (the kernel's generator,
 * which also seeds node:crypto's) read directly, so that a small build does
 * not load node:crypto (README "Performance", cold start); node:crypto's
 * where there is no /dev/urandom.
 */
function randomBytes(size: number): Buffer {
  const bytes = Buffer.alloc(size);
  try {
    const fd = nodeFs.openSync("/dev/urandom", "r");
    try {
      let done = 0;
      while (done < size) {
        const n = nodeFs.readSync(fd, bytes, done, size - done, null);
        if (!(n > 0)) break;
        done += n;
      }
      if (done === size) return bytes;
    } finally {
      nodeFs.closeSync(fd);
    }
  } catch {
    // no /dev/urandom here: node:crypto below
  }
  return (process.getBuiltinModule("node:crypto") as typeof import("node:crypto")).randomBytes(size);
}

/** Random bytes for temporary names, drawn 64 names at a time (each draw costs three system calls). */
let pool: Buffer = Buffer.alloc(0);
let used = 0;

/** An unpredictable temporary name: a local user cannot plant a link under it in advance. */
export function tempName(): string {
  if (used + 16 > pool.length) {
    pool = randomBytes(1024);
    used = 0;
  }
  used += 16;
  return TEMP_PREFIX + pool.toString("hex", used - 16, used);
}

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = nodeFs.constants;
/** Created, never opened: O_EXCL fails on anything already there, a symbolic link included. */
export const CREATE_NEW = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW;

const reasonOf = errnoWords;

export function lstatOrNull(fs: Fs, path: string): nodeFs.Stats | null {
  try {
    return fs.lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT" || (e as NodeJS.ErrnoException).code === "ENOTDIR") return null;
    throw new OutputError(path, reasonOf(e));
  }
}

/**
 * Creates a folder and its missing parents with mode 0755 whatever the
 * umask (mkdir's mode is masked, so each is chmod'ed after creation). A
 * folder that exists keeps its mode. Below `root` nothing may be a symbolic
 * link; `root` itself and what lies above it are the user's path and are
 * followed. Returns the folders it created, outermost first.
 */
export function makeDirs(fs: Fs, root: string, rel: string, created: string[] = []): string[] {
  const chain: string[] = [];
  for (let d = root; ; d = dirname(d)) {
    chain.unshift(d);
    if (dirname(d) === d) break;
  }
  // The root and its parents: follow links (the user named them), create what is missing.
  for (const d of chain) {
    let st: nodeFs.Stats | null;
    try {
      st = fs.lstatSync(d).isSymbolicLink() ? nodeFs.statSync(d) : fs.lstatSync(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw new OutputError(d, reasonOf(e));
      st = null;
    }
    if (st && !st.isDirectory()) throw new OutputError(d, "exists and is not a directory");
    if (!st) mkdir(fs, d, created);
  }
  let dir = root;
  for (const part of rel.split("/").filter(Boolean)) {
    dir = join(dir, part);
    const st = lstatOrNull(fs, dir);
    if (st?.isSymbolicLink()) throw new OutputError(dir, "symbolic link", true);
    if (st && !st.isDirectory()) throw new OutputError(dir, "exists and is not a directory");
    if (!st) mkdir(fs, dir, created);
  }
  return created;
}

function mkdir(fs: Fs, dir: string, created: string[]): void {
  try {
    fs.mkdirSync(dir, { mode: DIR_MODE });
    created.push(dir);
    fs.chmodSync(dir, DIR_MODE);
  } catch (e) {
    // Another process made it meanwhile: fine if it is a real folder.
    if ((e as NodeJS.ErrnoException).code === "EEXIST" && lstatOrNull(fs, dir)?.isDirectory()) return;
    throw new OutputError(dir, reasonOf(e));
  }
}

/**
 * Writes content to a new temporary file: created exclusively (never through
 * a link, never over anything) with its mode (set again when the umask cut
 * it), written in full, its size checked (no fsync: see writeTree). A write that makes no progress or a size that
 * differs is an error, never a truncated file.
 */
export function writeTemp(fs: Fs, tmp: string, content: string | Iterable<string | Uint8Array>, mode: number): void {
  let fd: number;
  try {
    // Created with its final mode; fchmod only when the umask cut it (the fstat below tells): one call less per file.
    fd = fs.openSync(tmp, CREATE_NEW, mode & 0o777);
  } catch (e) {
    throw new OutputError(tmp, reasonOf(e));
  }
  try {
    let total = 0;
    for (const piece of typeof content === "string" ? chunks(content) : content) {
      const buf = typeof piece === "string" ? Buffer.from(piece, "utf8") : piece;
      for (let off = 0; off < buf.length;) {
        const n = fs.writeSync(fd, buf, off);
        if (!(n > 0))
          throw new Error(
            `short write: ${total + off} of ${typeof content === "string" ? Buffer.byteLength(content) : "more"} bytes written`,
          );
        off += n;
      }
      total += buf.length;
    }
    const st = fs.fstatSync(fd);
    if ((st.mode & 0o7777) !== mode) fs.fchmodSync(fd, mode);
    const size = st.size;
    if (size !== total) throw new Error(`short write: the file holds ${size} of ${total} bytes`);
  } finally {
    fs.closeSync(fd);
  }
}

export function removeQuietly(fs: Fs, path: string): void {
  try {
    fs.unlinkSync(path);
  } catch {
    // best effort: cleanup must not hide the error that caused it
  }
}

export interface WriteReport {
  written: string[];
  unchanged: string[];
  removed: string[];
}

/** A file outside the tree's own list that goes through the same transaction (the manifest, the depfile). */
export interface ExtraFile {
  /** Absolute path, or relative to the current folder. */
  path: string;
  /**
   * Its text, or how to make it: called once, when it is staged (the manifest of a fleet is tens of MB, made after the
   * tree's temporaries), as one string or in pieces (a streamed build's manifest is never one string).
   */
  content: string | (() => string | Iterable<string | Uint8Array>);
}

export interface WriteOptions {
  /** Files of an earlier build to remove (relative to root; checked to be policyc's and unchanged by the caller). */
  remove?: string[];
  /** Written after the tree, in this order; the last one is renamed last (the manifest). */
  extra?: ExtraFile[];
  /** Where to record, before anything is renamed, what this build will rename (relative to root). */
  journal?: string;
  /** Files an earlier, interrupted build's journal recorded: carried over, so they stay known as policyc's. */
  journalFiles?: { path: string; sha256: string }[];
  /** A journal was there before this build (an interrupted one): a failure before the commit keeps it. */
  keepJournal?: boolean;
  /** Each file's sha256 (in the order of `files`), when the caller computed them already: the journal records them. */
  hashes?: readonly string[];
  /**
   * The caller gives up the files' texts (build: README "Performance"): each
   * file's content is set to "" once its temporary is written or it is found
   * unchanged. Writing a text makes V8 flatten it into one more copy, which
   * lives as long as the text: a fleet's would double its memory. Needs
   * `hashes` (the journal's).
   */
  consume?: boolean;
  fs?: Fs;
  /** Test hook: called before each temporary is written. */
  faultBeforeWrite?: (path: string) => void;
  /** Test hook: called before each rename. */
  faultBeforeRename?: (path: string) => void;
  /**
   * Threads that write the temporaries (README "Performance"): above 1, and
   * with at least PARALLEL_MIN_FILES changed files, worker threads write
   * them; the plan, the journal and the commit stay on this thread.
   */
  jobs?: number;
  /** Test hooks: the worker script (tests run from source), and a target whose staging fails in a worker. */
  stageWorker?: string;
  faultInWorker?: string;
}

/**
 * Checks that no folder between root and a path is a link or a file. A file
 * in the way that this build removes anyway (a stale file of an earlier
 * build) is allowed: the path is then "deferred" (its folders are made after
 * the removals). Returns whether it is.
 */
export function checkDirs(fs: Fs, root: string, rel: string, checked: Set<string>, removing: Removing, missing?: Set<string>): Folders {
  let dir = root;
  const parts = rel.split("/").slice(0, -1);
  for (let i = 0; i < parts.length; i++) {
    dir = join(dir, parts[i]!);
    if (checked.has(dir)) continue;
    if (missing?.has(dir)) return "missing";
    const st = lstatOrNull(fs, dir);
    if (st?.isSymbolicLink()) throw new OutputError(dir, "symbolic link", true);
    if (st?.isFile() && removing.has(parts.slice(0, i + 1).join("/"))) return "deferred";
    if (st && !st.isDirectory()) throw new OutputError(dir, "exists and is not a directory");
    if (!st) {
      // Nothing below a missing folder exists either, and planning creates nothing: asked once.
      missing?.add(dir);
      return "missing";
    }
    checked.add(dir);
  }
  return "exist";
}

/**
 * join(root, rel) for the many paths of one tree, as a two-piece string
 * sharing rel: join's own result is built piece by piece while normalising,
 * about 500 bytes a path that a fleet's 56,000 files held until the build
 * ended. A rel that is not already normal goes through join.
 */
export function joiner(root: string): (rel: string) => string {
  let base = join(root, ".");
  if (base.length > 1 && base.endsWith("/")) base = base.slice(0, -1);
  const prefix = base === "." ? "" : base === "/" ? "/" : base + "/";
  return (rel) => (NORMAL.test(rel) ? prefix + rel : join(root, rel));
}

/** A relative path join leaves as it is: no empty, "." or ".." part, no leading or trailing "/". */
const NORMAL = /^(?!\.\.?(?:\/|$))[^/]+(?:\/(?!\.\.?(?:\/|$))[^/]+)*$/;

/** The files a build removes, by path under root: a Set, or a question answered lazily (a streamed build). */
export interface Removing {
  has(path: string): boolean;
}

/** What checkDirs found of a path's folders: all there, one missing (so the file is too), or a stale file in the way. */
export type Folders = "exist" | "missing" | "deferred";

/**
 * Whether a folder holds nothing but files this build removes, and at least
 * one in each folder, so that the removals delete it (an empty folder stays).
 */
export function onlyRemoved(fs: Fs, abs: string, rel: string, removing: Removing): boolean {
  const entries = fs.readdirSync(abs, { withFileTypes: true });
  return (
    entries.length > 0 &&
    entries.every((e) => {
      const r = `${rel}/${e.name}`;
      if (e.isDirectory()) return onlyRemoved(fs, join(abs, e.name), r, removing);
      return e.isFile() && removing.has(r);
    })
  );
}

/**
 * Writes the tree under root as one transaction.
 *
 * 1. Plan: every path is checked before any byte is written: no symbolic
 *    link anywhere below root, no file where a folder must be and no folder
 *    where a file must be. Files whose bytes and mode are already right are
 *    left alone (their mtime stays, so make rebuilds nothing).
 * 2. Stage: every changed file, then each extra file, is written in full to
 *    an exclusively created temporary with a random name beside its target. Any failure removes the temporaries (and the folders this
 *    build created) and leaves the tree as it was.
 * 3. Journal: the list of temporaries and targets is written (the same way)
 *    to `journal`, so an interrupted build can be found and repaired.
 * 4. Commit: files to remove are removed (one may stand where a new file
 *    needs a folder), tree files are renamed into place, then the extra files are renamed, the last one
 *    (the manifest) last. Then the journal is removed.
 *
 * A reader sees each file either old or new; the tree as a whole is mixed
 * only during step 4, and a manifest always describes a complete tree.
 *
 * Nothing is fsync'd: renames give readers old-or-new and a killed build
 * leaves its journal in the page cache, which outlives the process; only a
 * power cut needs the disk, and making the tree durable is the deploy's job
 * (`sync`, or the copy to the hosts), as for any compiler's output. A
 * per-file fsync made build 1.4-1.9x slower than writing the files plainly.
 */
export function writeTree(root: string, files: OutputFile[], options: WriteOptions = {}): WriteReport {
  const fs = options.fs ?? nodeFs;
  const consume = options.consume === true;
  if (consume && options.hashes?.length !== files.length)
    throw new Error("policyc bug: writeTree consumes the files' texts only with their hashes");
  const report: WriteReport = { written: [], unchanged: [], removed: [] };
  const checked = new Set<string>();
  const removing = new Set(options.remove ?? []);
  const missing = new Set<string>();
  const under = joiner(root);
  const plan: { index: number; path: string; abs: string; content: string; mode: number; deferred: boolean }[] = [];
  for (const [index, file] of files.entries()) {
    // A stale file where this one needs a folder, or a folder of stale files where this one goes: removed first.
    const folders = checkDirs(fs, root, file.path, checked, removing, missing);
    const deferred = folders === "deferred";
    const abs = under(file.path);
    const st = folders === "exist" ? lstatOrNull(fs, abs) : null;
    if (st?.isSymbolicLink()) throw new OutputError(abs, "symbolic link", true);
    if (st?.isDirectory() && onlyRemoved(fs, abs, file.path, removing)) {
      plan.push({ index, path: file.path, abs, content: file.content, mode: file.mode, deferred: true });
      continue;
    }
    if (st && !st.isFile()) throw new OutputError(abs, "exists and is not a regular file");
    if (
      st &&
      (st.mode & 0o7777) === file.mode &&
      st.size === Buffer.byteLength(file.content) &&
      fs.readFileSync(abs, "utf8") === file.content
    ) {
      report.unchanged.push(file.path);
      if (consume) file.content = "";
      continue;
    }
    plan.push({ index, path: file.path, abs, content: file.content, mode: file.mode, deferred });
  }
  for (const p of options.remove ?? []) checkDirs(fs, root, p, checked, new Set());
  for (const x of options.extra ?? []) {
    const st = lstatOrNull(fs, x.path);
    if (st && !st.isFile() && !st.isSymbolicLink()) throw new OutputError(x.path, "exists and is not a regular file");
  }

  const created: string[] = [];
  const staged: { tmp: string; abs: string; path: string; deferred: boolean }[] = [];
  const extras: { tmp: string; abs: string }[] = [];
  const journal = options.journal ? join(root, options.journal) : undefined;
  let journalWritten = false;
  const undo = () => {
    for (const s of [...staged, ...extras]) removeQuietly(fs, s.tmp);
    if (journalWritten && journal && !options.keepJournal) removeQuietly(fs, journal);
    for (const d of created.reverse()) {
      try {
        fs.rmdirSync(d);
      } catch {
        // not empty or gone: leave it
      }
    }
  };

  // Stage. In parallel only with the real file system and no test hook of the serial path.
  const parallel = (options.jobs ?? 1) > 1 && plan.length >= PARALLEL_MIN_FILES && !options.fs && !options.faultBeforeWrite;
  try {
    const ensured = new Set<string>();
    const jobs: StageJob[] = [];
    for (const p of plan) {
      let dir = dirname(p.path);
      if (p.deferred) {
        // Staged in the deepest folder that exists and stays: its own folders are made after the removals.
        while (dir !== "." && !lstatOrNull(fs, join(root, dir))?.isDirectory()) dir = dirname(dir);
      } else if (!ensured.has(dir)) {
        makeDirs(fs, root, dir, created);
        ensured.add(dir);
      }
      const tmp = dir === "." ? under(tempName()) : under(`${dir}/${tempName()}`);
      staged.push({ tmp, abs: p.abs, path: p.path, deferred: p.deferred });
      if (parallel) {
        jobs.push({ tmp, target: p.abs, content: p.content, mode: p.mode });
        if (consume) p.content = files[p.index]!.content = "";
        continue;
      }
      try {
        options.faultBeforeWrite?.(p.path);
        writeTemp(fs, tmp, p.content, p.mode);
      } catch (e) {
        throw e instanceof OutputError ? new OutputError(p.abs, e.reason) : new OutputError(p.abs, reasonOf(e));
      }
      if (consume) p.content = files[p.index]!.content = "";
    }
    // The folders are made above, on this thread; the workers only create files in them.
    if (parallel) stageInWorkers(jobs, options.jobs!, { script: options.stageWorker, failAt: options.faultInWorker });
    for (const x of options.extra ?? []) {
      const dir = dirname(x.path);
      makeDirs(fs, dir, "", created);
      const tmp = join(dir, tempName());
      extras.push({ tmp, abs: x.path });
      try {
        options.faultBeforeWrite?.(x.path);
        writeTemp(fs, tmp, typeof x.content === "string" ? x.content : x.content(), 0o644);
      } catch (e) {
        throw e instanceof OutputError ? new OutputError(x.path, e.reason) : new OutputError(x.path, reasonOf(e));
      }
    }
    // Only the extra files change (the manifest): each rename is atomic on its own, no journal needed.
    if (journal && (staged.length > 0 || (options.remove ?? []).length > 0)) {
      const record = {
        format: "policyc-journal",
        version: 1,
        pid: process.pid,
        temporaries: [...staged, ...extras].map((s) => resolve(s.tmp)),
        files: [
          ...plan.map((p) => ({ path: p.path, sha256: options.hashes?.[p.index] ?? sha256(p.content) })),
          ...(options.journalFiles ?? []),
        ],
      };
      const tmp = join(dirname(journal), tempName());
      extras.push({ tmp, abs: journal });
      try {
        options.faultBeforeWrite?.(options.journal!);
        writeTemp(fs, tmp, JSON.stringify(record) + "\n", 0o644);
        fs.renameSync(tmp, journal);
        extras.pop();
        journalWritten = true;
      } catch (e) {
        throw new OutputError(journal, reasonOf(e));
      }
    }
  } catch (e) {
    undo();
    throw e;
  }

  // Commit. From here a failure leaves a mixed tree and the journal that says so.
  let current = "";
  try {
    // Stale files first: one may stand where a new file needs a folder.
    for (const p of options.remove ?? []) {
      const abs = join(root, p);
      current = abs;
      fs.unlinkSync(abs);
      report.removed.push(p);
      for (let dir = dirname(abs); dir.length > root.length && dir.startsWith(root + "/"); dir = dirname(dir)) {
        try {
          fs.rmdirSync(dir);
        } catch {
          break; // not empty: it stays
        }
      }
    }
    for (const s of staged) {
      current = s.abs;
      options.faultBeforeRename?.(s.path);
      if (s.deferred) makeDirs(fs, root, dirname(s.path));
      fs.renameSync(s.tmp, s.abs);
      report.written.push(s.path);
    }
    for (const x of extras) {
      current = x.abs;
      options.faultBeforeRename?.(x.abs);
      fs.renameSync(x.tmp, x.abs);
    }
    if (journal && (journalWritten || options.keepJournal)) {
      current = journal;
      fs.unlinkSync(journal);
    }
  } catch (e) {
    for (const s of [...staged, ...extras]) if (lstatOrNull(fs, s.tmp)) removeQuietly(fs, s.tmp);
    throw new OutputError(current, `${reasonOf(e)}; the tree is incomplete until the next build repairs it`);
  }
  return report;
}

/** Is this a temporary policyc made (by name, and a regular file)? */
export function isTemporary(fs: Fs, path: string): boolean {
  return TEMP_NAME.test(basename(path)) && lstatOrNull(fs, path)?.isFile() === true;
}
