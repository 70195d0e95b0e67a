import { closeSync, constants, fstatSync, openSync, readFileSync } from "node:fs";
import { errnoWords } from "../diagnostics/errno.js";

/** What reading one of policyc's own files under OUT found: its text, nothing there, or why it was not read. */
export type OwnRead = { text: string } | { absent: true } | { problem: string };

/**
 * Reads one of policyc's own files under OUT (the journal, the manifest, the
 * lock): data anyone who can write OUT may have replaced. Opened once with
 * O_NOFOLLOW|O_NONBLOCK, so that a symbolic link is refused and a FIFO never
 * blocks the open; what was opened is checked with fstat and read only when it
 * is a regular file (a FIFO is never read: that would wait for a writer).
 * Nothing there (no such file, or a file where a folder of its path should be)
 * is `absent`; anything else is a problem in words ("it is a symbolic link",
 * "it is a directory", "it is not a regular file", "permission denied").
 */
export function readOwnFile(path: string): OwnRead {
  const opened = openOwnFile(path);
  if (!("fd" in opened)) return opened;
  try {
    return { text: readFileSync(opened.fd, "utf8") };
  } catch (e) {
    return { problem: errnoWords(e) };
  } finally {
    closeSync(opened.fd);
  }
}

/**
 * Opens one of policyc's own files under OUT as readOwnFile does, for a
 * caller that reads it in pieces (a fleet's manifest): a descriptor of a
 * regular file, which the caller closes, or why there is none.
 */
export function openOwnFile(path: string): { fd: number } | { absent: true } | { problem: string } {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return { absent: true };
    // O_NOFOLLOW on a link: ELOOP.
    if (code === "ELOOP") return { problem: "it is a symbolic link" };
    return { problem: errnoWords(e) };
  }
  let problem: string;
  try {
    const st = fstatSync(fd);
    if (st.isFile()) return { fd };
    problem = st.isDirectory() ? errnoWords(Object.assign(new Error(), { code: "EISDIR" })) : "it is not a regular file";
  } catch (e) {
    problem = errnoWords(e);
  }
  closeSync(fd);
  return { problem };
}
