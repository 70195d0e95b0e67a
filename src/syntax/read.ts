/**
 * Reading input files safely: only regular files (a FIFO would block, a device never end), with
 * a cap on the bytes read. Used for policies (syntax/load.ts, cli/io.ts) and by verify for the
 * files of a tree.
 */
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from "node:fs";

/** Thrown by readRegularFile for a FIFO, device, socket or directory. */
export class NotRegularFileError extends Error {
  constructor(readonly what: string) {
    super(`it is ${what}, not a regular file`);
  }
}

/** What a file that is not a regular file is, in words. */
function describeType(st: Stats): string {
  if (st.isDirectory()) return "a directory";
  if (st.isFIFO()) return "a named pipe (FIFO)";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isSocket()) return "a socket";
  if (st.isSymbolicLink()) return "a symbolic link";
  return "not a file";
}

/**
 * Reads a regular file, at most `maxBytes + 1` bytes of it (the caller tells "too large" by
 * the length; st_size is only a hint). A FIFO, device, socket or directory is refused before
 * it is opened (stat), and again on the open descriptor (fstat), so a file swapped in between
 * is caught too; O_NONBLOCK keeps the open of a FIFO from waiting for a writer.
 */
export function readRegularFile(path: string, maxBytes: number, opts: { noFollow?: boolean } = {}): Uint8Array {
  const before = opts.noFollow ? undefined : statSync(path);
  if (before && !before.isFile()) throw new NotRegularFileError(describeType(before));
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY | (opts.noFollow ? constants.O_NOFOLLOW : 0));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENXIO") throw new NotRegularFileError("a socket");
    if (code === "ELOOP") throw new NotRegularFileError("a symbolic link");
    throw e;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new NotRegularFileError(describeType(st));
    return readCapped(fd, maxBytes, st.size);
  } finally {
    closeSync(fd);
  }
}

/** Reads a descriptor to its end, or to maxBytes + 1 bytes; sizeHint sizes the first buffer. */
export function readCapped(fd: number, maxBytes: number, sizeHint = 0): Uint8Array {
  const cap = maxBytes + 1;
  let buf = Buffer.allocUnsafe(Math.min(cap, Math.max(sizeHint + 1, 64 * 1024)));
  let length = 0;
  for (;;) {
    if (length === buf.length) {
      if (length >= cap) break;
      const bigger = Buffer.allocUnsafe(Math.min(cap, buf.length * 2));
      buf.copy(bigger, 0, 0, length);
      buf = bigger;
    }
    let n: number;
    try {
      n = readSync(fd, buf, length, buf.length - length, null);
    } catch (e) {
      // Standard input may be a non-blocking pipe: wait for it rather than fail.
      if ((e as NodeJS.ErrnoException).code === "EAGAIN") {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
        continue;
      }
      throw e;
    }
    if (n === 0) break;
    length += n;
  }
  return buf.subarray(0, length);
}

/** "64 MiB" */
export function formatBytes(n: number): string {
  return n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MiB` : `${n} bytes`;
}

/** Why reading a file failed, in words, for PC1010 and PC1011: the one errno-to-words function. */
export { errnoWords as readFailure } from "../diagnostics/errno.js";
