/**
 * The pipeline, source to files: decode -> lex -> parse -> check (lower +
 * rules) -> emit. Nothing here touches the output tree: writing is the CLI's
 * last step, and only when there is no error.
 */
import { check } from "./check/check.js";
import type { Model } from "./check/model.js";
import { DiagnosticBag } from "./diagnostics/diagnostic.js";
import type { SourceFile } from "./diagnostics/source.js";
import type { Policy } from "./syntax/ast.js";
import { decodeSource, parse } from "./syntax/parser.js";
import { emit } from "./targets/emit.js";
import type { OutputFile } from "./targets/Target.js";

export interface CompileResult {
  diagnostics: DiagnosticBag;
  source?: SourceFile;
  ast?: Policy;
  model?: Model;
  /** Present only when there is no error. */
  files?: OutputFile[];
  /** Template files read. */
  templates?: string[];
}

export interface CompileOptions {
  /** The templates folder (holding one folder per platform). */
  templates: string;
  /** Stop after checking: no files are rendered. */
  checkOnly?: boolean;
}

/** Compiles policy bytes; `path` is shown in diagnostics and in every generated header. */
export function compile(path: string, bytes: Uint8Array, options: CompileOptions): CompileResult {
  const diagnostics = new DiagnosticBag();
  const source = decodeSource(path, bytes, diagnostics);
  if (!source) return { diagnostics };
  const ast = parse(source, diagnostics);
  if (diagnostics.hasErrors) return { diagnostics, source, ast };
  const model = check(ast, source, diagnostics) ?? undefined;
  if (!model || diagnostics.hasErrors || options.checkOnly) return { diagnostics, source, ast, model };
  const emitted = emit(model, options.templates, diagnostics);
  if (diagnostics.hasErrors) return { diagnostics, source, ast, model };
  return { diagnostics, source, ast, model, files: emitted.files, templates: emitted.templates };
}
