import { readFileSync, realpathSync } from "node:fs";
import { dirname, isAbsolute, posix, relative, resolve, sep } from "node:path";
import type { DiagnosticBag } from "../diagnostics/diagnostic.js";
import { Messages } from "../diagnostics/messages.js";
import type { SourceFile } from "../diagnostics/source.js";
import type { HostItem, Statement } from "./ast.js";
import { decodeSource, parse } from "./parser.js";

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
  /** Every policy file read, as shown (the root's path as given, joined with include paths). */
  files: SourceFile[];
}

/** How the loader reads an included file; tests may give their own. */
export type ReadFile = (realPath: string) => Uint8Array;

/**
 * Reads, decodes and parses a policy and, recursively, the files it includes.
 * An include path is relative to the including file and must stay inside the
 * folder of the root policy (after resolving symbolic links); a file already
 * on the include chain is a cycle. The root's folder is the current one when
 * the policy comes from standard input. Shown paths are the root's path as
 * given, joined with the include paths, never made absolute.
 */
export function load(
  rootPath: string,
  rootBytes: Uint8Array,
  diagnostics: DiagnosticBag,
  readFile: ReadFile = (p) => readFileSync(p),
): Program | undefined {
  const root = decodeSource(rootPath, rootBytes, diagnostics);
  if (!root) return undefined;
  const realRoot = rootPath === "<stdin>" ? resolve(".", "<stdin>") : safeRealpath(rootPath) ?? resolve(rootPath);
  const rootDir = dirname(realRoot);
  const program: Program = {
    root,
    shared: [],
    hosts: [],
    files: rootPath === "<stdin>" ? [] : [root],
  };

  const read = new Set<string>([realRoot]); // real paths already read, for program.files
  const visit = (file: SourceFile, realPath: string, chain: string[]) => {
    const ast = parse(file, diagnostics);
    for (const s of ast.statements) {
      if (s.kind === "Host") {
        for (const item of s.items) {
          if ((item as Statement).kind === "Include") diagnostics.report(Messages.IncludeInHost, { file, ...item.loc });
        }
        program.hosts.push({ file, node: s });
      } else if (s.kind === "Include") {
        const span = { file, ...s.path.loc };
        const wanted = s.path.value;
        if (wanted === "" || isAbsolute(wanted)) {
          diagnostics.report(Messages.IncludeUnreadable, span, { path: wanted, reason: "an include path is relative to the including file" });
          continue;
        }
        const target = resolve(dirname(realPath), wanted);
        const real = safeRealpath(target);
        const shown = posix.normalize(posix.join(posix.dirname(file.path === "<stdin>" ? "." : file.path), wanted));
        if (real === undefined) {
          diagnostics.report(Messages.IncludeUnreadable, span, { path: wanted, reason: "no such file" });
          continue;
        }
        const rel = relative(rootDir, real);
        if (rel === "" || rel.startsWith(".." + sep) || rel === ".." || isAbsolute(rel)) {
          diagnostics.report(Messages.IncludeOutside, span, { path: wanted, root: rootPath === "<stdin>" ? "the current folder" : posix.dirname(rootPath) });
          continue;
        }
        if (chain.includes(real)) {
          const names = [...chain.slice(chain.indexOf(real)), real].map((p) => relative(rootDir, p) || p);
          diagnostics.report(Messages.IncludeCycle, span, { path: wanted, chain: names.join(" -> ") });
          continue;
        }
        let bytes: Uint8Array;
        try {
          bytes = readFile(real);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          diagnostics.report(Messages.IncludeUnreadable, span, {
            path: wanted,
            reason: code === "EISDIR" ? "it is a directory" : code === "EACCES" ? "permission denied" : (e as Error).message,
          });
          continue;
        }
        const included = decodeSource(shown, bytes, diagnostics);
        if (!read.has(real)) {
          read.add(real);
          if (included) program.files.push(included);
        }
        if (included) visit(included, real, [...chain, real]);
      } else {
        program.shared.push({ file, node: s });
      }
    }
  };
  visit(root, realRoot, [realRoot]);
  return program;
}

function safeRealpath(p: string): string | undefined {
  try {
    return realpathSync(p);
  } catch {
    return undefined;
  }
}

