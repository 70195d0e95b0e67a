import * as nodeFs from "node:fs";
import { dirname, join } from "node:path";
import { errnoWords } from "../diagnostics/errno.js";
import { chunks } from "./chunks.js";
import { TEMP_PREFIX } from "../targets/reserved.js";

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
 * it), written in full, its size checked (no fsync: see BuildStream). A write that makes no progress or a size that
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
