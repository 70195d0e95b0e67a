import { lstatSync, readdirSync, readFileSync, rmdirSync, unlinkSync } from "node:fs";
import { basename, isAbsolute, join, resolve } from "node:path";
import { TEMP_NAME } from "../targets/reserved.js";

/** Where a build records, before renaming anything, what it is about to rename. */
export const JOURNAL_PATH = ".policyc/journal";

/** What an interrupted build left: its journal, if any, and temporaries. */
export interface Leftovers {
  /** The journal's pid, or null when there is no journal (or it cannot be read). */
  journal: { pid: number | null; files: { path: string; sha256: string }[] } | null;
  temporaries: string[];
  /** Staging folders a streamed build made in OUT/.policyc (named as temporaries are; their temporaries are among `temporaries`). */
  stages: string[];
}

export function readJournal(root: string): Leftovers["journal"] {
  let text: string;
  try {
    if (!lstatSync(join(root, JOURNAL_PATH)).isFile()) return null;
    text = readFileSync(join(root, JOURNAL_PATH), "utf8");
  } catch {
    return null;
  }
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

/** The temporaries a journal lists, as written (absolute for a depfile outside the tree). */
function journalTemporaries(root: string): string[] {
  try {
    const j = JSON.parse(readFileSync(join(root, JOURNAL_PATH), "utf8")) as { temporaries?: unknown };
    return Array.isArray(j.temporaries) ? j.temporaries.filter((t): t is string => typeof t === "string") : [];
  } catch {
    return [];
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
  const scan = (dir: string, deep: boolean) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isFile() && TEMP_NAME.test(e.name)) found.push(p);
      else if (deep && e.isDirectory()) scan(p, true);
    }
  };
  if (dirs) {
    for (const d of new Set(dirs)) {
      const abs = join(root, d);
      // A folder reached through a link is not the tree's: skip it.
      if (d.split("/").some((_, i, parts) => lstatSync(join(root, ...parts.slice(0, i + 1)), { throwIfNoEntry: false })?.isSymbolicLink()))
        continue;
      scan(abs, false);
    }
  } else scan(root, true);
  return found.sort();
}

/** What an interrupted build left in root (the journal and the temporaries). */
export function findLeftovers(root: string, dirs?: Iterable<string>): Leftovers {
  const journal = readJournal(root);
  const temporaries = new Set(findTemporaries(root, dirs).map((t) => resolve(t)));
  for (const t of journalTemporaries(root)) if (isAbsolute(t) && isTemp(t)) temporaries.add(t);
  const exists = lstatSync(join(root, JOURNAL_PATH), { throwIfNoEntry: false }) !== undefined;
  return { journal: exists ? (journal ?? { pid: null, files: [] }) : null, temporaries: [...temporaries].sort(), stages: findStages(root) };
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
  const clear = (dir: string, depth: number) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isFile() && TEMP_NAME.test(e.name)) unlinkSync(p);
      else if (e.isDirectory() && depth > 0) clear(p, depth - 1);
    }
    try {
      rmdirSync(dir);
    } catch {
      // something not ours is in it: it stays
    }
  };
  if (lstatSync(path, { throwIfNoEntry: false })?.isDirectory()) clear(path, 1);
}

/** Removes the temporaries an interrupted build left (the journal stays until this build commits). */
export function removeTemporaries(leftovers: Leftovers): void {
  for (const t of leftovers.temporaries) if (isTemp(t)) unlinkSync(t);
  for (const s of leftovers.stages) removeStage(s);
}

/** "a journal (pid 123) and 4 temporary files" */
export function describeLeftovers(l: Leftovers): string {
  const parts: string[] = [];
  if (l.journal) parts.push(`the journal of an unfinished build${l.journal.pid !== null ? ` (pid ${l.journal.pid})` : ""}`);
  if (l.temporaries.length) parts.push(`${l.temporaries.length} temporary file${l.temporaries.length === 1 ? "" : "s"}`);
  else if (l.stages.length) parts.push(`${l.stages.length === 1 ? "an empty staging folder" : `${l.stages.length} empty staging folders`}`);
  return parts.join(" and ");
}

export function hasLeftovers(l: Leftovers): boolean {
  return l.journal !== null || l.temporaries.length > 0 || l.stages.length > 0;
}
