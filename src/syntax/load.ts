import { realpathSync } from "node:fs";
import { dirname, isAbsolute, posix, relative, resolve, sep } from "node:path";
import type { DiagnosticBag, Span } from "../diagnostics/diagnostic.js";
import { Messages } from "../diagnostics/messages.js";
import type { SourceFile } from "../diagnostics/source.js";
import type { Host, HostItem, RoleUse, Statement, Word } from "./ast.js";
import { type InventoryHost, readInventory } from "./inventory.js";
import { decodeSource, parse } from "./parser.js";
import { formatBytes, NotRegularFileError, readFailure, readRegularFile } from "./read.js";

export { formatBytes, NotRegularFileError, readCapped, readFailure, readRegularFile } from "./read.js";

/** The most bytes policyc reads from one policy file (the root or an include). */
export const MAX_FILE_BYTES = 64 * 1024 * 1024;
/** The most bytes of policy text in all: the root plus each included file at each include site. */
export const MAX_TOTAL_BYTES = 256 * 1024 * 1024;
/** The most include sites policyc follows in one policy (a file included again counts again). */
export const MAX_INCLUDES = 100_000;

/** A statement and the file it was written in. */
export interface Located<T> {
  file: SourceFile;
  node: T;
}

/** A policy with its includes read: every statement in order, includes expanded in place. */
export interface Program {
  root: SourceFile;
  /** Top-level statements other than include and host, with their files. */
  shared: Located<HostItem>[];
  /** Host blocks, with their files. */
  hosts: Located<Extract<Statement, { kind: "Host" }>>[];
  /** Role blocks, with their files (README "Roles"). */
  roles: Located<Extract<Statement, { kind: "Role" }>>[];
  /** Every policy file read, as shown (the root's path as given, joined with include paths), and every inventory read. */
  files: SourceFile[];
}

/**
 * How the loader reads an included file; tests may give their own. It reads at most
 * `maxBytes + 1` bytes (more means too large) and throws NotRegularFileError for anything
 * but a regular file, or a file system error (with its code).
 */
export type ReadFile = (realPath: string, maxBytes: number) => Uint8Array;

export const defaultReadFile: ReadFile = (p, maxBytes) => readRegularFile(p, maxBytes, { noFollow: true });

/** An included file, read and parsed once however often it is included. */
type Cached =
  | { ok: true; file: SourceFile; statements: Statement[]; bytes: number }
  | { ok: false; report: (span: Span, wanted: string) => void; bytes: number };

interface Frame {
  file: SourceFile;
  real: string;
  statements: Statement[];
  next: number;
}

/**
 * `readFile` and `realpath` say how files are found and read (default: the disk; diff-access
 * --git reads a git revision through them).
 *
 * Reads, decodes and parses a policy and the files it includes. An include path is relative
 * to the including file and must stay inside the folder of the root policy (after resolving
 * symbolic links); a file already on the include chain is a cycle. The root's folder is the
 * current one when the policy comes from standard input. Shown paths are the root's path as
 * given, joined with the include paths, never made absolute.
 *
 * Each file is read and parsed once, however often it is included, and its statements are
 * placed at every include site. The traversal keeps its own stack (no recursion whose depth
 * a policy controls) and stops at MAX_FILE_BYTES per file, MAX_TOTAL_BYTES in all (each
 * include site counts its file's bytes) and MAX_INCLUDES include sites.
 */
export function load(
  rootPath: string,
  rootBytes: Uint8Array,
  diagnostics: DiagnosticBag,
  readFile: ReadFile = defaultReadFile,
  realpath: (path: string) => string | undefined = safeRealpath,
): Program | undefined {
  const root = decodeSource(rootPath, rootBytes, diagnostics);
  if (!root) return undefined;
  const realRoot = rootPath === "<stdin>" ? resolve(".", "<stdin>") : (realpath(resolve(rootPath)) ?? resolve(rootPath));
  const rootDir = dirname(realRoot);
  const program: Program = {
    root,
    shared: [],
    hosts: [],
    roles: [],
    files: rootPath === "<stdin>" ? [] : [root],
  };

  const cache = new Map<string, Cached>();
  const realpaths = new Map<string, string | undefined>(); // an include's or inventory's path -> its real path
  /** A path's real path through the `realpath` hook (looked up once): includes and inventories alike. */
  const realpathOf = (target: string): string | undefined => {
    if (realpaths.has(target)) return realpaths.get(target);
    const real = realpath(target);
    realpaths.set(target, real);
    return real;
  };
  let total = rootBytes.length;
  let includes = 0;
  let stopped = false; // a limit was hit: no more includes are followed

  const readIncluded = (real: string, shown: string, room: number): Cached => {
    let bytes: Uint8Array;
    try {
      bytes = readFile(real, room);
    } catch (e) {
      if (e instanceof NotRegularFileError) {
        return { ok: false, bytes: 0, report: (span) => diagnostics.report(Messages.NotRegularFile, span, { path: shown, what: e.what }) };
      }
      const reason = readFailure(e);
      return {
        ok: false,
        bytes: 0,
        report: (span, wanted) => diagnostics.report(Messages.IncludeUnreadable, span, { path: wanted, reason }),
      };
    }
    if (bytes.length > room) return { ok: false, bytes: bytes.length, report: () => {} }; // the caller reports the limit
    const file = decodeSource(shown, bytes, diagnostics);
    if (!file) return { ok: false, bytes: bytes.length, report: () => {} }; // decodeSource reported it, once
    program.files.push(file);
    return { ok: true, file, statements: parse(file, diagnostics).statements, bytes: bytes.length };
  };

  const inventories: { file: SourceFile; hosts: InventoryHost[] }[] = [];
  /**
   * An inventory: its path resolved through the `realpath` hook and read through `readFile`, as an
   * include's (same folder rule, regular-file check and limits), then parsed.
   */
  const readInventoryAt = (
    fromReal: string,
    from: SourceFile,
    wanted: string,
    span: Span,
  ): { file: SourceFile; hosts: InventoryHost[] } | undefined => {
    const fail = (reason: string) => void diagnostics.report(Messages.InventoryUnreadable, span, { path: wanted, reason });
    if (wanted === "" || isAbsolute(wanted)) return fail("an inventory path is relative to the policy file that names it");
    const real = realpathOf(resolve(dirname(fromReal), wanted));
    if (real === undefined) return fail("no such file");
    const rel = relative(rootDir, real);
    if (rel === "" || rel.startsWith(".." + sep) || rel === ".." || isAbsolute(rel)) {
      return fail(`it is outside ${rootPath === "<stdin>" ? "the current folder" : posix.dirname(rootPath)}, the policy's folder`);
    }
    const shown = posix.normalize(posix.join(posix.dirname(from.path === "<stdin>" ? "." : from.path), wanted));
    const room = Math.min(MAX_FILE_BYTES, MAX_TOTAL_BYTES - total);
    let bytes: Uint8Array;
    try {
      bytes = readFile(real, room);
    } catch (e) {
      return fail(e instanceof NotRegularFileError ? `it is ${e.what}, not a regular file` : readFailure(e));
    }
    if (bytes.length > room) {
      stopped = true;
      return fail(`it would make more than ${formatBytes(room === MAX_FILE_BYTES ? MAX_FILE_BYTES : MAX_TOTAL_BYTES)} of policy files`);
    }
    total += bytes.length;
    const invFile = decodeSource(shown, bytes, diagnostics);
    if (!invFile) return undefined;
    // One of the program's files: dependency files (build -M) and the language server list it.
    program.files.push(invFile);
    const hosts = readInventory(invFile, diagnostics);
    return hosts ? { file: invFile, hosts } : undefined;
  };

  const stack: Frame[] = [{ file: root, real: realRoot, statements: parse(root, diagnostics).statements, next: 0 }];
  const onStack = new Set<string>([realRoot]);
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    if (frame.next >= frame.statements.length) {
      stack.pop();
      onStack.delete(frame.real);
      continue;
    }
    const s = frame.statements[frame.next++]!;
    const file = frame.file;
    if (s.kind === "Host") {
      for (const item of s.items) {
        if ((item as Statement).kind === "Include") diagnostics.report(Messages.IncludeInHost, { file, ...item.loc });
      }
      program.hosts.push({ file, node: s });
      continue;
    }
    if (s.kind === "Role") {
      for (const item of s.items) {
        const k = (item as unknown as { kind: string }).kind;
        if (k === "Include") diagnostics.report(Messages.IncludeInRole, { file, ...item.loc }, { role: s.name.value });
        if (k === "RoleUse") diagnostics.report(Messages.RoleInRole, { file, ...item.loc }, { role: s.name.value });
      }
      program.roles.push({ file, node: s });
      continue;
    }
    if (s.kind === "Inventory") {
      if (stopped) continue;
      const read = readInventoryAt(frame.real, file, s.path.value, { file, ...s.path.loc });
      if (read) inventories.push(read);
      continue;
    }
    if (s.kind !== "Include") {
      program.shared.push({ file, node: s });
      continue;
    }
    if (stopped) continue;
    const span = { file, ...s.path.loc };
    const wanted = s.path.value;
    if (wanted === "" || isAbsolute(wanted)) {
      diagnostics.report(Messages.IncludeUnreadable, span, { path: wanted, reason: "an include path is relative to the including file" });
      continue;
    }
    const target = resolve(dirname(frame.real), wanted);
    const real = realpathOf(target);
    const shown = posix.normalize(posix.join(posix.dirname(file.path === "<stdin>" ? "." : file.path), wanted));
    if (real === undefined) {
      diagnostics.report(Messages.IncludeUnreadable, span, { path: wanted, reason: "no such file" });
      continue;
    }
    const rel = relative(rootDir, real);
    if (rel === "" || rel.startsWith(".." + sep) || rel === ".." || isAbsolute(rel)) {
      diagnostics.report(Messages.IncludeOutside, span, {
        path: wanted,
        root: rootPath === "<stdin>" ? "the current folder" : posix.dirname(rootPath),
      });
      continue;
    }
    if (onStack.has(real)) {
      const from = stack.findIndex((f) => f.real === real);
      const names = [...stack.slice(from).map((f) => f.real), real].map((p) => relative(rootDir, p) || p);
      diagnostics.report(Messages.IncludeCycle, span, { path: wanted, chain: names.join(" -> ") });
      continue;
    }
    if (++includes > MAX_INCLUDES) {
      diagnostics.report(Messages.TooManyIncludes, span, { path: wanted, limit: MAX_INCLUDES.toLocaleString("en-US") });
      stopped = true;
      continue;
    }
    let entry = cache.get(real);
    if (!entry) {
      const room = Math.min(MAX_FILE_BYTES, MAX_TOTAL_BYTES - total);
      entry = readIncluded(real, shown, room);
      cache.set(real, entry);
      if (entry.bytes > room) {
        if (room === MAX_FILE_BYTES) diagnostics.report(Messages.FileTooLarge, span, { path: shown, limit: formatBytes(MAX_FILE_BYTES) });
        else diagnostics.report(Messages.PolicyTooLarge, span, { path: wanted, limit: formatBytes(MAX_TOTAL_BYTES) });
        stopped = true;
        continue;
      }
      total += entry.bytes;
    } else {
      if (entry.bytes > MAX_TOTAL_BYTES - total) {
        diagnostics.report(Messages.PolicyTooLarge, span, { path: wanted, limit: formatBytes(MAX_TOTAL_BYTES) });
        stopped = true;
        continue;
      }
      total += entry.bytes;
    }
    if (!entry.ok) {
      entry.report(span, wanted);
      continue;
    }
    stack.push({ file: entry.file, real, statements: entry.statements, next: 0 });
    onStack.add(real);
  }
  addInventoryHosts(program, inventories, diagnostics);
  return program;
}

/**
 * Makes every inventory host a host of the policy that takes the roles named
 * like its groups. A host block of the same name gets the roles too (its own
 * statements then give the host's values); otherwise the host is a host block
 * of its own, located in the inventory. A group with no role of its name is
 * warned about once (PC1042).
 */
function addInventoryHosts(
  program: Program,
  inventories: { file: SourceFile; hosts: InventoryHost[] }[],
  diagnostics: DiagnosticBag,
): void {
  if (inventories.length === 0) return;
  const roles = new Set(program.roles.map((r) => r.node.name.value));
  const blocks = new Map<string, number>();
  program.hosts.forEach((h, i) => {
    if (!blocks.has(h.node.name.value)) blocks.set(h.node.name.value, i);
  });
  const warned = new Set<string>();
  for (const { file, hosts } of inventories) {
    const counts = new Map<string, number>();
    for (const h of hosts) for (const g of h.groups) counts.set(g.name, (counts.get(g.name) ?? 0) + 1);
    for (const h of hosts) {
      for (const g of h.groups) {
        if (roles.has(g.name) || warned.has(g.name)) continue;
        warned.add(g.name);
        diagnostics.report(Messages.InventoryGroupWithoutRole, { file, ...g.loc }, { group: g.name, count: counts.get(g.name) ?? 0 });
      }
      const word = (value: string, loc: { start: number; end: number }): Word => ({ kind: "Word", value, loc: { ...loc } });
      const index = blocks.get(h.name);
      const block = index === undefined ? undefined : program.hosts[index]!;
      const named = new Set<string>();
      if (block) for (const item of block.node.items) if (item.kind === "RoleUse") for (const v of item.values) named.add(v.value);
      const taken = h.groups.filter((g) => roles.has(g.name) && !named.has(g.name));
      // In a host block, these words are never reported on (each names an existing role, once), so their
      // offsets, which are the inventory's, never meet the block's file.
      const use: RoleUse = {
        kind: "RoleUse",
        values: taken.map((g) => word(g.name, g.loc)),
        loc: { start: h.loc.start, end: h.loc.end, keyword: { ...h.loc } },
      };
      if (block) {
        // concat, not a spread: an array of exactly this length (one per host of a fleet).
        const merged: Host = { ...block.node, items: [use as Host["items"][number]].concat(block.node.items) };
        program.hosts[index!] = { file: block.file, node: merged };
        continue;
      }
      const loc = { start: h.loc.start, end: h.loc.end };
      const node: Host = { kind: "Host", name: word(h.name, h.loc), items: [use], loc: { ...loc, keyword: loc, open: loc, close: loc } };
      blocks.set(h.name, program.hosts.length);
      program.hosts.push({ file, node });
    }
  }
}

export function safeRealpath(p: string): string | undefined {
  try {
    return realpathSync.native(p);
  } catch {
    return undefined;
  }
}
