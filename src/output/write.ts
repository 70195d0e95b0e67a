import { closeSync, fchmodSync, fsyncSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import type { OutputFile } from "../targets/Target.js";
import { chunks } from "./chunks.js";

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

/** Writes a string as UTF-8, piece by piece. */
function writeChunked(fd: number, content: string): void {
  for (const piece of chunks(content)) {
    const buf = Buffer.from(piece, "utf8");
    for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off);
  }
}

/** Removes temporaries, best effort: cleanup must not hide the error that caused it. */
function removeAll(staged: { tmp: string }[]): void {
  for (const s of staged) {
    try {
      rmSync(s.tmp, { force: true });
    } catch {
      // nothing more can be done; the original error is reported
    }
  }
}

export interface WriteReport {
  written: string[];
  unchanged: string[];
}

function lstatOrNull(path: string) {
  try {
    return lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new OutputError(path, (e as Error).message);
  }
}

/**
 * Writes files under root. First every path is checked (no symbolic link and
 * no non-directory anywhere inside the tree), so a bad tree fails before any
 * byte is written. Then every file whose bytes or mode differ is written in
 * full to a temporary name in its own directory, and only when all are
 * written are they renamed into place: a failure or crash while writing
 * leaves the previous tree, and a file is always either the old one or the
 * new one, never partial. Unchanged files are not touched, so their mtime
 * stays and make does not rebuild.
 */
export function writeTree(root: string, files: OutputFile[], faultBeforeWrite?: (path: string) => void): WriteReport {
  const plan: { file: OutputFile; abs: string; same: boolean }[] = [];
  const checkedDirs = new Set<string>();
  for (const file of files) {
    const parts = file.path.split("/");
    let dir = root;
    for (const part of parts.slice(0, -1)) {
      dir = join(dir, part);
      if (checkedDirs.has(dir)) continue;
      const st = lstatOrNull(dir);
      if (st?.isSymbolicLink()) throw new OutputError(dir, "symbolic link", true);
      if (st && !st.isDirectory()) throw new OutputError(dir, "exists and is not a directory");
      checkedDirs.add(dir);
    }
    const abs = join(root, file.path);
    const st = lstatOrNull(abs);
    if (st?.isSymbolicLink()) throw new OutputError(abs, "symbolic link", true);
    if (st && !st.isFile()) throw new OutputError(abs, "exists and is not a regular file");
    let same = false;
    if (st && (st.mode & 0o7777) === file.mode && st.size === Buffer.byteLength(file.content)) {
      same = readFileSync(abs, "utf8") === file.content;
    }
    plan.push({ file, abs, same });
  }
  const report: WriteReport = { written: [], unchanged: [] };
  // Phase 1: every changed file goes to a temporary name beside its target.
  // Any failure removes the temporaries and leaves the tree as it was.
  const staged: { tmp: string; abs: string; path: string }[] = [];
  let counter = 0;
  try {
    for (const { file, abs, same } of plan) {
      if (same) {
        report.unchanged.push(file.path);
        continue;
      }
      const dir = dirname(abs);
      try {
        mkdirSync(dir, { recursive: true, mode: 0o755 });
      } catch (e) {
        throw new OutputError(dir, (e as Error).message);
      }
      const tmp = join(dir, `.policyc-${process.pid}-${counter++}.tmp`);
      staged.push({ tmp, abs, path: file.path });
      try {
        faultBeforeWrite?.(file.path);
        const fd = openSync(tmp, "wx", file.mode);
        try {
          writeChunked(fd, file.content);
          fchmodSync(fd, file.mode);
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
      } catch (e) {
        throw new OutputError(abs, (e as Error).message.replace(/^[A-Z]+: /, ""));
      }
    }
  } catch (e) {
    removeAll(staged);
    throw e;
  }
  // Phase 2: rename each into place; each rename is atomic.
  for (const s of staged) {
    try {
      renameSync(s.tmp, s.abs);
    } catch (e) {
      removeAll(staged);
      throw new OutputError(s.abs, (e as Error).message.replace(/^[A-Z]+: /, ""));
    }
    report.written.push(s.path);
  }
  return report;
}
