import { closeSync, lstatSync, readdirSync, readFileSync, readSync, realpathSync, statSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import type { OutputFile } from "../targets/Target.js";
import { MANIFEST_PATH, type ManifestEntry, parseManifestPieces, sha256 } from "./manifest.js";
import { openOwnFile } from "./read.js";
import { errnoWords } from "../diagnostics/errno.js";
import { OutputError } from "./write.js";

/** How a file on disk differs from what the policy produces. */
export interface Change {
  path: string;
  kind: "add" | "modify" | "mode" | "owner" | "remove";
  before?: string;
  after?: string;
  modeBefore?: number;
  modeAfter?: number;
  /** "owner:group" on disk and in the manifest, when they differ (diff --root only). */
  ownerBefore?: string;
  ownerAfter?: string;
}

/** A file as read from disk: its text and what compareTree compares besides. */
export interface DiskFile {
  content: string;
  mode: number;
  uid: number;
  gid: number;
}

function readIfFile(abs: string): DiskFile | undefined {
  try {
    const st = lstatSync(abs);
    if (!st.isFile()) return undefined;
    return { content: readFileSync(abs, "utf8"), mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
  } catch {
    return undefined;
  }
}

/**
 * Files policyc wrote under root that this build no longer produces, unchanged
 * since: those the previous manifest records, and those an interrupted
 * build's journal (`owned`) says it was renaming into place. A path reached
 * through a symbolic link inside the tree is refused (OutputError), never
 * followed.
 */
export function staleFiles(
  root: string,
  files: readonly OutputFile[] | ReadonlySet<string>,
  owned: { path: string; sha256: string }[] = [],
): { removable: string[]; modified: string[]; manifestProblem: string | null } {
  const now = files instanceof Set ? (files as ReadonlySet<string>) : new Set((files as readonly OutputFile[]).map((f) => f.path));
  const hashes = new Map<string, Set<string>>();
  const previous = readManifest(root, (p) => !now.has(p));
  for (const p of [...previous.files, ...owned]) {
    if (now.has(p.path)) continue;
    if (!hashes.has(p.path)) hashes.set(p.path, new Set());
    hashes.get(p.path)!.add(p.sha256);
  }
  const removable: string[] = [];
  const modified: string[] = [];
  for (const [path, shas] of hashes) {
    let dir = root;
    let through = false;
    for (const part of path.split("/").slice(0, -1)) {
      dir = join(dir, part);
      const st = lstatSync(dir, { throwIfNoEntry: false });
      if (st?.isSymbolicLink()) throw new OutputError(dir, "symbolic link", true);
      // Not a folder (or nothing): the file is not there, and nothing deeper can be looked at (ENOTDIR).
      if (!st?.isDirectory()) {
        through = true;
        break;
      }
    }
    if (through) continue;
    const disk = readIfFile(join(root, path));
    if (!disk) continue;
    if (shas.has(sha256(disk.content))) removable.push(path);
    else modified.push(path);
  }
  return { removable: removable.sort(), modified: modified.sort(), manifestProblem: previous.problem };
}

/**
 * The previous build's manifest: its files (those `keep` takes), none when there is no manifest,
 * or why the file that is there cannot be read as one (then nothing it would
 * have listed is removed, and the caller says so: never a silent "no manifest").
 */
export function readManifest(
  root: string,
  keep?: (path: string) => boolean,
): { files: Pick<ManifestEntry, "path" | "sha256">[]; problem: string | null } {
  const path = join(root, MANIFEST_PATH);
  // Opened once, never through a link, never waiting on a FIFO: a folder or a FIFO is a problem in words.
  const opened = openOwnFile(path);
  if ("absent" in opened) return { files: [], problem: null };
  if ("problem" in opened) return { files: [], problem: opened.problem };
  const { fd } = opened;
  // In pieces: a fleet's manifest is hundreds of MB, and only the entries this build does not produce again matter.
  let failed: unknown;
  let files;
  try {
    files = parseManifestPieces((buf) => {
      try {
        return readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        failed = e;
        return 0;
      }
    }, keep);
  } finally {
    closeSync(fd);
  }
  if (failed !== undefined) return { files: [], problem: errnoWords(failed) };
  return files ? { files, problem: null } : { files: [], problem: "it is not a policyc manifest" };
}

/** The owner and group every generated file has on the target host (the manifest's owner and group). */
export const OWNER = { name: "root", uid: 0, group: "root", gid: 0 };

/**
 * Compares files with what is under root. With `stale`, files an earlier
 * build recorded and this one no longer makes count as removals. With
 * `owners` (a deployed root), a file not owned by root:root is drift too.
 * `read` gives a file's text by its path under root (undefined: missing);
 * by default each is read here (`diff --root` passes what it read already).
 */
export function compareTree(
  root: string,
  files: OutputFile[],
  stale: string[] = [],
  owners = false,
  read: (path: string) => DiskFile | undefined = (path) => readIfFile(join(root, path)),
): Change[] {
  const changes: Change[] = [];
  const want = `${OWNER.name}:${OWNER.group}`;
  for (const f of files) {
    const disk = read(f.path);
    if (!disk) {
      changes.push({ path: f.path, kind: "add", after: f.content, modeAfter: f.mode });
      continue;
    }
    const owner =
      owners && (disk.uid !== OWNER.uid || disk.gid !== OWNER.gid) ? { ownerBefore: `${disk.uid}:${disk.gid}`, ownerAfter: want } : {};
    // Both hashes and modes describe every file that is there (README "Changes in the document": null only
    // for a file that is missing or removed), whatever the kind of change.
    const both = { before: disk.content, after: f.content, modeBefore: disk.mode, modeAfter: f.mode, ...owner };
    if (disk.content !== f.content) changes.push({ path: f.path, kind: "modify", ...both });
    else if (disk.mode !== f.mode) changes.push({ path: f.path, kind: "mode", ...both });
    else if (owner.ownerBefore) changes.push({ path: f.path, kind: "owner", ...both });
  }
  for (const path of stale) {
    const disk = read(path);
    if (disk) changes.push({ path, kind: "remove", before: disk.content, modeBefore: disk.mode });
  }
  return changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * Files under root (its .policyc/ aside) that are not among `known`: what a
 * copy of the tree would deploy although the policy does not produce it.
 * Anything that is not a folder counts (a file, a link, a FIFO); folders are
 * walked, never followed through a link.
 */
export function strayFiles(root: string, known: Set<string>): string[] {
  const stray: string[] = [];
  const walk = (abs: string, rel: string) => {
    let entries;
    try {
      entries = readdirSync(abs, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (!rel && e.name === ".policyc") continue;
      if (e.isDirectory()) walk(join(abs, e.name), r);
      else if (!known.has(r)) stray.push(r);
    }
  };
  walk(root, "");
  return stray.sort();
}

/**
 * Whether a path is, or becomes once build has made its missing folders, the
 * running system's root folder (the same file as /, whatever the spelling:
 * "/", "//", "/.", a link to /, a bind mount of /, "/tmp/missing/../.."). The
 * path is walked as the kernel will walk it after `mkdir -p`: each existing
 * component by its real path (links followed, as build follows OUT and its
 * parents), each missing one as a new folder, `..` from either to its parent;
 * then the result, if it exists, is compared with / by device and inode. A
 * path that stays missing is a new folder, not /; one that cannot be walked
 * (a component unreadable or not a folder) is not /, and fails where it is used.
 */
export function isSystemRoot(path: string): boolean {
  if (path === "") return false;
  // The real path so far, as components; `missing` counts the trailing ones that do not exist yet.
  let at: string[] = [];
  let missing = 0;
  if (!isAbsolute(path)) {
    try {
      at = realpathSync(".").split("/").filter(Boolean);
    } catch {
      return false;
    }
  }
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      at.pop();
      if (missing > 0) missing--;
      continue;
    }
    if (missing > 0) {
      at.push(part);
      missing++;
      continue;
    }
    const next = "/" + [...at, part].join("/");
    let st;
    try {
      st = lstatSync(next);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") return false;
      at.push(part);
      missing = 1;
      continue;
    }
    if (st.isSymbolicLink()) {
      try {
        at = realpathSync(next).split("/").filter(Boolean);
      } catch {
        return false; // a dangling link or a loop: build cannot make a folder there either
      }
    } else if (st.isDirectory()) at.push(part);
    else return false;
  }
  if (missing > 0) return false;
  try {
    const a = statSync("/" + at.join("/"));
    const b = statSync("/");
    return a.dev === b.dev && a.ino === b.ino;
  } catch {
    return false;
  }
}
