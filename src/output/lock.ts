import { closeSync, constants, linkSync, lstatSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import { errnoWords } from "../diagnostics/errno.js";
import { readOwnFile } from "./read.js";
import { OutputError, tempName } from "./write.js";

/** Where a build holds the output tree's lock, relative to the output folder. */
export const LOCK_PATH = ".policyc/lock";

/** Another build holds the lock. */
export class LockBusy extends Error {
  constructor(
    readonly lock: string,
    readonly pid: number | null,
  ) {
    super(`${lock} is held by ${pid ?? "another process"}`);
  }
}

/** A process's start time in clock ticks since boot (/proc/PID/stat field 22), to tell a reused pid apart. */
function startTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

interface Holder {
  pid: number;
  start: string | null;
}

function parse(text: string): Holder | null {
  const m = /^(\d+) (\S+)\n$/.exec(text);
  return m ? { pid: Number(m[1]), start: m[2] === "-" ? null : m[2]! } : null;
}

function alive(h: Holder): boolean {
  try {
    process.kill(h.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ESRCH") return false;
  }
  const now = startTime(h.pid);
  return h.start === null || now === null || now === h.start;
}

/**
 * The lock's text, or null when there is none (or it vanished). Opened once,
 * never through a link, never waiting on a FIFO (readOwnFile): a lock that is
 * not a regular file (a link, a FIFO, a folder) is refused in words, never
 * taken over (taking it over would remove what someone else put there).
 */
function read(path: string): string | null {
  const r = readOwnFile(path);
  if ("absent" in r) return null;
  if ("problem" in r) {
    if (r.problem === "it is a symbolic link") throw new OutputError(path, "symbolic link", true);
    throw new OutputError(path, r.problem);
  }
  return r.text;
}

/** The text at path, or null for anything else (nothing there, or not a regular file): never throws. */
function readQuietly(path: string): string | null {
  const r = readOwnFile(path);
  return "text" in r ? r.text : null;
}

/**
 * Takes the lock of an output tree: `OUT/.policyc/lock`, created exclusively
 * and holding "PID STARTTIME". A second build fails at once with the
 * holder's pid. A lock whose process is gone (or whose pid now belongs to a
 * process started later) is stale and taken over. Returns the release.
 */
export function acquireLock(root: string): () => void {
  const path = join(root, LOCK_PATH);
  const mine = `${process.pid} ${startTime(process.pid) ?? "-"}\n`;
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw new OutputError(path, errnoWords(e));
      // The holder writes its pid right after creating the file: give it a moment.
      let text = read(path);
      for (let i = 0; i < 20 && text === ""; i++) {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
        text = read(path);
      }
      const holder = text === null ? null : parse(text);
      if (lstatSync(path, { throwIfNoEntry: false })?.isSymbolicLink()) throw new OutputError(path, "symbolic link", true);
      if (holder && alive(holder)) throw new LockBusy(path, holder.pid);
      if (!holder) {
        // Garbage, or a holder stopped between creating and writing: only stale when older than a few seconds.
        const st = lstatSync(path, { throwIfNoEntry: false });
        if (st && Date.now() - st.mtimeMs < 5000) throw new LockBusy(path, null);
      }
      // Stale: move it aside atomically; if what was moved is not what was judged stale, put it back.
      const aside = join(root, ".policyc", tempName());
      try {
        renameSync(path, aside);
      } catch {
        continue;
      }
      if (readQuietly(aside) !== text) {
        try {
          linkSync(aside, path);
        } catch {
          // someone took the lock meanwhile; theirs stands
        }
        try {
          unlinkSync(aside);
        } catch {
          // the new holder's recovery removed it already
        }
        throw new LockBusy(path, holder?.pid ?? null);
      }
      try {
        unlinkSync(aside);
      } catch {
        // the new holder's recovery removed it already
      }
      continue;
    }
    try {
      writeSync(fd, mine);
    } finally {
      closeSync(fd);
    }
    return () => {
      if (readQuietly(path) === mine) unlinkSync(path);
    };
  }
  throw new LockBusy(path, null);
}
