import { lstatSync, readdirSync, readFileSync, unlinkSync } from "node:fs";
import { basename, isAbsolute, join, resolve } from "node:path";
import { TEMP_NAME } from "../targets/reserved.js";

/** Where a build records, before renaming anything, what it is about to rename. */
export const JOURNAL_PATH = ".policyc/journal";

/** What an interrupted build left: its journal, if any, and temporaries. */
export interface Leftovers {
  /** The journal's pid, or null when there is no journal (or it cannot be read). */
  journal: { pid: number | null; files: { path: string; sha256: string }[] } | null;
  temporaries: string[];
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
  return { journal: exists ? (journal ?? { pid: null, files: [] }) : null, temporaries: [...temporaries].sort() };
}

/** Removes the temporaries an interrupted build left (the journal stays until this build commits). */
export function removeTemporaries(leftovers: Leftovers): void {
  for (const t of leftovers.temporaries) if (isTemp(t)) unlinkSync(t);
}

/** "a journal (pid 123) and 4 temporary files" */
export function describeLeftovers(l: Leftovers): string {
  const parts: string[] = [];
  if (l.journal) parts.push(`the journal of an unfinished build${l.journal.pid !== null ? ` (pid ${l.journal.pid})` : ""}`);
  if (l.temporaries.length) parts.push(`${l.temporaries.length} temporary file${l.temporaries.length === 1 ? "" : "s"}`);
  return parts.join(" and ");
}

export function hasLeftovers(l: Leftovers): boolean {
  return l.journal !== null || l.temporaries.length > 0;
}
