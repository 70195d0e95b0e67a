import { lstatSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { OutputFile } from "../targets/Target.js";
import { MANIFEST_PATH, parseManifest, sha256 } from "./manifest.js";
import { OutputError } from "./write.js";

/** How a file on disk differs from what the policy produces. */
export interface Change {
  path: string;
  kind: "add" | "modify" | "mode" | "remove";
  before?: string;
  after?: string;
  modeBefore?: number;
  modeAfter?: number;
}

function readIfFile(abs: string): { content: string; mode: number } | undefined {
  try {
    const st = lstatSync(abs);
    if (!st.isFile()) return undefined;
    return { content: readFileSync(abs, "utf8"), mode: st.mode & 0o7777 };
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
  files: OutputFile[],
  owned: { path: string; sha256: string }[] = [],
): { removable: string[]; modified: string[] } {
  const now = new Set(files.map((f) => f.path));
  const hashes = new Map<string, Set<string>>();
  for (const p of [...(readManifest(root) ?? []), ...owned]) {
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
      if (!st?.isDirectory()) through = true;
    }
    if (through) continue;
    const disk = readIfFile(join(root, path));
    if (!disk) continue;
    if (shas.has(sha256(disk.content))) removable.push(path);
    else modified.push(path);
  }
  return { removable: removable.sort(), modified: modified.sort() };
}

function readManifest(root: string) {
  try {
    if (lstatSync(join(root, MANIFEST_PATH)).isSymbolicLink()) return undefined;
    return parseManifest(readFileSync(join(root, MANIFEST_PATH), "utf8"));
  } catch {
    return undefined;
  }
}

/**
 * Compares files with what is under root. With `stale`, files an earlier
 * build recorded and this one no longer makes count as removals.
 */
export function compareTree(root: string, files: OutputFile[], stale: string[] = []): Change[] {
  const changes: Change[] = [];
  for (const f of files) {
    const disk = readIfFile(join(root, f.path));
    if (!disk) changes.push({ path: f.path, kind: "add", after: f.content, modeAfter: f.mode });
    else if (disk.content !== f.content) {
      changes.push({ path: f.path, kind: "modify", before: disk.content, after: f.content, modeBefore: disk.mode, modeAfter: f.mode });
    } else if (disk.mode !== f.mode) changes.push({ path: f.path, kind: "mode", modeBefore: disk.mode, modeAfter: f.mode });
  }
  for (const path of stale) {
    const disk = readIfFile(join(root, path));
    if (disk) changes.push({ path, kind: "remove", before: disk.content, modeBefore: disk.mode });
  }
  return changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
