import { lstatSync, readdirSync, readFileSync, rmdirSync, unlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import type { OutputFile } from "../targets/Target.js";
import { MANIFEST_PATH, parseManifest, sha256 } from "./manifest.js";

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

/** Files a previous build under root recorded that this build no longer produces, unchanged since. */
export function staleFiles(root: string, files: OutputFile[]): { removable: string[]; modified: string[] } {
  const previous = readManifest(root);
  const now = new Set(files.map((f) => f.path));
  const removable: string[] = [];
  const modified: string[] = [];
  for (const p of previous ?? []) {
    if (now.has(p.path)) continue;
    const disk = readIfFile(join(root, p.path));
    if (!disk) continue;
    if (sha256(disk.content) === p.sha256) removable.push(p.path);
    else modified.push(p.path);
  }
  return { removable: removable.sort(), modified: modified.sort() };
}

function readManifest(root: string) {
  try {
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

/** Removes files, then their folders up to root as they become empty. */
export function removeFiles(root: string, paths: string[]): void {
  for (const p of paths) {
    unlinkSync(join(root, p));
    let dir = dirname(join(root, p));
    while (dir.length > root.length && dir.startsWith(root)) {
      try {
        if (readdirSync(dir).length > 0) break;
        rmdirSync(dir);
      } catch {
        break;
      }
      dir = dirname(dir);
    }
  }
}
