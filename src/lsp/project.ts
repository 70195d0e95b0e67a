/**
 * What the language server knows about a policy's files, recomputed from the
 * files every time it is asked: the open editors' texts over the disk, the
 * policies of the workspace, which file includes which, and the root
 * policies whose compilation covers a file. Nothing is remembered between
 * two questions, so nothing can drift from the files: a change to an
 * included file is seen by every policy that includes it the next time
 * anything is asked.
 */
import { type Dirent, readdirSync } from "node:fs";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { compile, type CompileResult } from "../compile.js";
import { DiagnosticBag } from "../diagnostics/diagnostic.js";
import { SourceFile } from "../diagnostics/source.js";
import { lex } from "../syntax/lexer.js";
import { load, MAX_FILE_BYTES, type Program, readRegularFile, type ReadFile, safeRealpath } from "../syntax/load.js";

/** The most policy files the server looks at in a workspace (more are left out, the open ones never). */
export const MAX_PROJECT_FILES = 5000;
/** The most folders it reads looking for them (a workspace opened at / or a home folder stays cheap). */
export const MAX_PROJECT_FOLDERS = 5000;

/** An `include "PATH";` statement of a file, found by the lexer: its path and where its string is. */
export interface IncludeSite {
  /** The path as written, decoded. */
  path: string;
  /** The absolute path it names (relative to the including file). */
  target: string;
  start: number;
  end: number;
}

/** The texts of the files open in the editor, by absolute path. */
export type Overlay = ReadonlyMap<string, string>;

/** The policy files and texts the server sees: open editors first, then the disk. */
export class Project {
  private readonly texts = new Map<string, string | null>();
  private readonly reals = new Map<string, string>();
  private readonly overlayByReal = new Map<string, string>();

  constructor(
    /** Workspace folders (absolute paths); without any, the folder of each open file. */
    private readonly folders: readonly string[],
    private readonly overlay: Overlay,
    private readonly templates: string,
  ) {
    for (const [path, text] of overlay) this.overlayByReal.set(this.real(path), text);
  }

  /**
   * The real path of a file (symbolic links resolved); for a file that does not exist (an editor's
   * unsaved document), its folder's real path and its name, else the path itself.
   */
  real(path: string): string {
    let r = this.reals.get(path);
    if (r === undefined) {
      r = safeRealpath(path) ?? join(safeRealpath(dirname(path)) ?? dirname(path), basename(path));
      this.reals.set(path, r);
    }
    return r;
  }

  /**
   * How the compiler finds an included file or an inventory: its real path on disk, or, for a
   * document open in the editor and never saved, its real path as real() makes it (README "In
   * the editor": open documents are read from the editor), which readFile then reads.
   */
  readonly realpath = (path: string): string | undefined => {
    const onDisk = safeRealpath(path);
    if (onDisk !== undefined) return onDisk;
    const r = this.real(path);
    return this.overlayByReal.has(r) ? r : undefined;
  };

  /** A file's text: the editor's when open, else the disk's; null when unreadable or not UTF-8. */
  text(path: string): string | null {
    const open = this.overlay.get(path) ?? this.overlayByReal.get(this.real(path));
    if (open !== undefined) return open;
    let t = this.texts.get(path);
    if (t === undefined) {
      try {
        const bytes = readRegularFile(path, MAX_FILE_BYTES);
        t = bytes.length > MAX_FILE_BYTES ? null : new TextDecoder("utf-8", { fatal: true }).decode(bytes);
      } catch {
        t = null;
      }
      this.texts.set(path, t);
    }
    return t;
  }

  /** How the compiler reads an included file: the editor's text when it is open. */
  readonly readFile: ReadFile = (real, maxBytes) => {
    const open = this.overlayByReal.get(real);
    if (open !== undefined) return new TextEncoder().encode(open);
    return readRegularFile(real, maxBytes, { noFollow: true });
  };

  /** Every *.policy file of the workspace folders (hidden folders and node_modules skipped) and every open file. */
  files(): string[] {
    const out = new Set<string>();
    const folders = this.folders.length > 0 ? this.folders : [...new Set([...this.overlay.keys()].map((p) => dirname(p)))];
    let folderCount = 0;
    const walk = (dir: string, depth: number): void => {
      if (out.size >= MAX_PROJECT_FILES || depth > 20 || ++folderCount > MAX_PROJECT_FOLDERS) return;
      let entries: Dirent[];
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        if (out.size >= MAX_PROJECT_FILES) return;
        const p = join(dir, e.name);
        if (e.isDirectory()) {
          if (e.name !== "node_modules" && !e.name.startsWith(".")) walk(p, depth + 1);
        } else if (e.name.endsWith(".policy") && e.isFile()) out.add(p);
      }
    };
    for (const f of folders) walk(f, 0);
    for (const p of this.overlay.keys()) out.add(p);
    return [...out].sort();
  }

  /** The include statements of a file (top level only, as the compiler follows them). */
  includes(path: string): IncludeSite[] {
    const text = this.text(path);
    if (text === null || !text.includes("include")) return [];
    return includeSites(path, text);
  }

  /** The `inventory "PATH";` statements of a file (top level, as the compiler reads them). */
  inventories(path: string): IncludeSite[] {
    const text = this.text(path);
    if (text === null || !text.includes("inventory")) return [];
    return includeSites(path, text, "inventory");
  }

  /**
   * The root policies whose compilation covers a file: the policies that
   * include it, directly or not, and that no policy includes; the file
   * itself when none does (or when it is only on an include cycle).
   */
  rootsOf(path: string): string[] {
    const { includedBy, pathOf } = this.graph();
    const start = this.real(path);
    const roots: string[] = [];
    const seen = new Set<string>([start]);
    const queue = [start];
    while (queue.length > 0) {
      const f = queue.shift()!;
      const parents = includedBy.get(f);
      if (!parents || parents.size === 0) {
        roots.push(f === start ? path : (pathOf.get(f) ?? f));
        continue;
      }
      for (const p of parents) {
        if (!seen.has(p)) {
          seen.add(p);
          queue.push(p);
        }
      }
    }
    return roots.length > 0 ? roots : [path];
  }

  private includeGraph: { includedBy: Map<string, Set<string>>; pathOf: Map<string, string> } | undefined;

  /** Which file includes which, by real path, over every file of the project (made once per Project). */
  private graph(): { includedBy: Map<string, Set<string>>; pathOf: Map<string, string> } {
    if (this.includeGraph) return this.includeGraph;
    const includedBy = new Map<string, Set<string>>(); // real path -> real paths of includers
    const pathOf = new Map<string, string>(); // real path -> path as found
    for (const f of this.files()) {
      const rf = this.real(f);
      if (!pathOf.has(rf)) pathOf.set(rf, f);
      // An inventory is one of its policy's files like an included one: a change to it (an open
      // editor's unsaved text) re-checks the policies that name it, never the inventory as a policy.
      for (const site of [...this.includes(f), ...this.inventories(f)]) {
        const target = this.real(site.target);
        let set = includedBy.get(target);
        if (!set) includedBy.set(target, (set = new Set()));
        set.add(rf);
      }
    }
    return (this.includeGraph = { includedBy, pathOf });
  }

  /** Compiles a root policy (its text from the editor when open), diagnostics and all. */
  compile(root: string): CompileResult {
    const text = this.text(root);
    if (text === null) {
      // Unreadable or not UTF-8: the compiler says which, from the bytes.
      let bytes: Uint8Array;
      try {
        bytes = readRegularFile(root, MAX_FILE_BYTES);
      } catch {
        bytes = new Uint8Array();
      }
      return compile(root, bytes, { templates: this.templates, readFile: this.readFile, realpath: this.realpath });
    }
    return compile(root, new TextEncoder().encode(text), { templates: this.templates, readFile: this.readFile, realpath: this.realpath });
  }

  /** Loads a root policy with its includes, without checking it (for the lists a file can see). */
  load(root: string): Program | undefined {
    const text = this.text(root);
    if (text === null) return undefined;
    return load(root, new TextEncoder().encode(text), new DiagnosticBag(), this.readFile, this.realpath);
  }
}

/** The include statements of a text: `include` (or `inventory`) at the top level followed by a string. */
export function includeSites(path: string, text: string, keyword: "include" | "inventory" = "include"): IncludeSite[] {
  const { tokens } = lex(new SourceFile(path, text), new DiagnosticBag());
  const out: IncludeSite[] = [];
  let depth = 0;
  let statementStart = true;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.type === "lbrace") depth++;
    else if (t.type === "rbrace") depth = Math.max(0, depth - 1);
    if (depth === 0 && statementStart && t.type === "word" && t.text === keyword) {
      const s = tokens[i + 1];
      if (s?.type === "string" && s.decoded !== undefined && s.decoded !== "" && !isAbsolute(s.decoded)) {
        out.push({ path: s.decoded, target: resolve(dirname(path), s.decoded), start: s.offset, end: s.offset + s.text.length });
      }
    }
    statementStart = t.type === "semi" || t.type === "lbrace" || t.type === "rbrace";
  }
  return out;
}
