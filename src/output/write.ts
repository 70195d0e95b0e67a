import { closeSync, fchmodSync, fsyncSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import type { OutputFile } from "../targets/Target.js";

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
 * byte is written. Then each file whose bytes or mode differ is written to a
 * temporary name in its own directory and renamed into place: a crash leaves
 * either the old file or the new one, never a partial one. Unchanged files
 * are not touched, so their mtime stays and make does not rebuild.
 */
export function writeTree(root: string, files: OutputFile[]): WriteReport {
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
  let counter = 0;
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
    const tmp = join(dir, `.${abs.slice(dir.length + 1)}.policyc-${process.pid}-${counter++}.tmp`);
    try {
      const fd = openSync(tmp, "wx", file.mode);
      try {
        writeSync(fd, file.content);
        fchmodSync(fd, file.mode);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, abs);
    } catch (e) {
      rmSync(tmp, { force: true });
      throw new OutputError(abs, (e as Error).message.replace(/^[A-Z]+: /, ""));
    }
    report.written.push(file.path);
  }
  return report;
}
