import { lstatSync, readdirSync, realpathSync, rmdirSync, unlinkSync } from "node:fs";
import { basename, isAbsolute, join, relative, resolve } from "node:path";
import { readOwnFile } from "./read.js";
import { TEMP_NAME } from "../targets/reserved.js";

/** Where a build records, before renaming anything, what it is about to rename. */
export const JOURNAL_PATH = ".policyc/journal";

/** What an interrupted build left: its journal, if any, and temporaries. */
export interface Leftovers {
  /**
   * The journal's pid, or null when there is no journal (or it cannot be read); `problem` says why
   * what stands there was not read ("it is a symbolic link", "it is not a regular file", ...).
   */
  journal: { pid: number | null; files: { path: string; sha256: string }[]; problem?: string } | null;
  temporaries: string[];
  /** Staging folders a streamed build made in OUT/.policyc (named as temporaries are; their temporaries are among `temporaries`). */
  stages: string[];
}

/**
 * The journal's text: read once, never through a link, never waiting on a FIFO
 * (readOwnFile). Null when there is none, or what is there is not a regular
 * file that can be read: findLeftovers still reports it (it exists), with no pid.
 */
function journalText(root: string): string | null {
  const read = readOwnFile(join(root, JOURNAL_PATH));
  return "text" in read ? read.text : null;
}

export function readJournal(root: string, text: string | null = journalText(root)): Leftovers["journal"] {
  if (text === null) return null;
  try {
    const j = JSON.parse(text) as { pid?: unknown; files?: unknown; temporaries?: unknown };
    const files = Array.isArray(j.files)
      ? (j.files as { path?: unknown; sha256?: unknown }[]).filter(
          (f): f is { path: string; sha256: string } => typeof f?.path === "string" && typeof f.sha256 === "string" && safeRelative(f.path),
        )
      : [];
    return { pid: typeof j.pid === "number" ? j.pid : null, files };
  } catch {
    return { pid: null, files: [] };
  }
}

/**
 * The temporaries a journal lists that are below root (README "Interrupted
 * builds": only temporaries below OUT are removed). The journal holds absolute
 * paths, as the build that wrote it resolved them; one that leads out of root
 * (absolute elsewhere, `..`, through a link below root) is not taken: the
 * journal is data anyone who can write OUT may have put there. Each is given
 * as root's path joined with what lies below it, never as written.
 */
function journalTemporaries(root: string, text: string | null): string[] {
  if (text === null) return [];
  let listed: unknown;
  try {
    listed = (JSON.parse(text) as { temporaries?: unknown }).temporaries;
  } catch {
    return [];
  }
  if (!Array.isArray(listed)) return [];
  const bases = [resolve(root)];
  try {
    bases.push(realpathSync(root));
  } catch {
    // root is not there: nothing below it either
  }
  return listed.flatMap((t) => {
    if (typeof t !== "string" || !isAbsolute(t)) return [];
    for (const base of bases) {
      const rel = relative(base, t);
      if (safeRelative(rel) && foldersBelow(base, rel.split("/").slice(0, -1))) return [join(base, rel)];
    }
    return [];
  });
}

/** Whether each of `parts` below root is a real folder (not a link, not a file, there). */
function foldersBelow(root: string, parts: string[]): boolean {
  let dir = root;
  for (const part of parts) {
    dir = join(dir, part);
    if (!lstatQuiet(dir)?.isDirectory()) return false;
  }
  return true;
}

/** lstat, with nothing there (ENOENT, or ENOTDIR: a file where a folder of the path should be) as undefined. */
function lstatQuiet(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/** A path under the tree: relative, no `.`/`..`/empty components. */
export function safeRelative(p: string): boolean {
  return p !== "" && !isAbsolute(p) && p.split("/").every((c) => c !== "" && c !== "." && c !== "..");
}

function isTemp(path: string): boolean {
  if (!TEMP_NAME.test(basename(path))) return false;
  try {
    return lstatSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Temporaries under root: regular files named exactly as policyc names them.
 * With `dirs`, only in those folders (relative to root); otherwise in the
 * whole tree. Symbolic links are never followed.
 */
export function findTemporaries(root: string, dirs?: Iterable<string>): string[] {
  const found: string[] = [];
  const scan = (dir: string, deep: boolean) => eachTemporary(dir, deep ? Infinity : 0, (p) => found.push(p));
  if (dirs) {
    for (const d of new Set(dirs)) {
      const abs = join(root, d);
      // A folder reached through a link is not the tree's, and one with a file on its path holds nothing: skip it.
      if (
        !foldersBelow(
          root,
          d.split("/").filter((p) => p !== "" && p !== "."),
        )
      )
        continue;
      scan(abs, false);
    }
  } else scan(root, true);
  return found.sort();
}

/** What an interrupted build left in root (the journal and the temporaries). */
export function findLeftovers(root: string, dirs?: Iterable<string>): Leftovers {
  const read = readOwnFile(join(root, JOURNAL_PATH));
  const text = "text" in read ? read.text : null;
  const journal = readJournal(root, text);
  const temporaries = new Set(findTemporaries(root, dirs).map((t) => resolve(t)));
  for (const t of journalTemporaries(root, text)) if (isTemp(t)) temporaries.add(resolve(t));
  const exists = lstatQuiet(join(root, JOURNAL_PATH)) !== undefined;
  const problem = "problem" in read ? { problem: read.problem } : {};
  return {
    journal: exists ? (journal ?? { pid: null, files: [], ...problem }) : null,
    temporaries: [...temporaries].sort(),
    stages: findStages(root),
  };
}

/** The staging folders of streamed builds: folders named as temporaries directly in OUT/.policyc (never through a link). */
export function findStages(root: string): string[] {
  const state = join(root, ".policyc");
  try {
    if (!lstatSync(state).isDirectory()) return [];
    return readdirSync(state, { withFileTypes: true })
      .filter((e) => e.isDirectory() && TEMP_NAME.test(e.name))
      .map((e) => resolve(join(state, e.name)))
      .sort();
  } catch {
    return [];
  }
}

/**
 * Removes a staging folder: the temporaries in it and in its folders (one
 * level: a streamed build stages each host in a folder of its own), then
 * the folders. Anything else found there stays (and so does its folder).
 */
export function removeStage(path: string): void {
  if (!lstatSync(path, { throwIfNoEntry: false })?.isDirectory()) return;
  eachTemporary(path, 1, unlinkSync, (dir) => {
    try {
      rmdirSync(dir);
    } catch {
      // something not ours is in it: it stays
    }
  });
}

/**
 * Calls `temporary` for each regular file named as policyc names its
 * temporaries in dir and its folders `depth` levels down (never through a
 * link: readdir's entries are not followed), then `done` for each folder
 * walked, deepest first. A folder that cannot be read is passed over.
 */
function eachTemporary(dir: string, depth: number, temporary: (path: string) => void, done?: (dir: string) => void): void {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isFile() && TEMP_NAME.test(e.name)) temporary(p);
    else if (e.isDirectory() && depth > 0) eachTemporary(p, depth - 1, temporary, done);
  }
  done?.(dir);
}

/** Removes the temporaries an interrupted build left (the journal stays until this build commits). */
export function removeTemporaries(leftovers: Leftovers): void {
  for (const t of leftovers.temporaries) if (isTemp(t)) unlinkSync(t);
  for (const s of leftovers.stages) removeStage(s);
}

/** "a journal (pid 123) and 4 temporary files" */
export function describeLeftovers(l: Leftovers): string {
  const parts: string[] = [];
  if (l.journal) {
    const about =
      l.journal.problem !== undefined ? ` (not read: ${l.journal.problem})` : l.journal.pid !== null ? ` (pid ${l.journal.pid})` : "";
    parts.push(`the journal of an unfinished build${about}`);
  }
  if (l.temporaries.length) parts.push(`${l.temporaries.length} temporary file${l.temporaries.length === 1 ? "" : "s"}`);
  else if (l.stages.length) parts.push(`${l.stages.length === 1 ? "an empty staging folder" : `${l.stages.length} empty staging folders`}`);
  return parts.join(" and ");
}

export function hasLeftovers(l: Leftovers): boolean {
  return l.journal !== null || l.temporaries.length > 0 || l.stages.length > 0;
}
