/**
 * The pipeline, source to files: load (decode, lex, parse, follow includes)
 * -> check (lower + rules) -> emit. Nothing here touches the output tree:
 * writing is the CLI's last step, and only when there is no error.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { check } from "./check/check.js";
import { type AssertionResult, hostViews, type HostView, readAssertions, runAssertions } from "./decide/index.js";
import type { Build, Model } from "./check/model.js";
import { DiagnosticBag } from "./diagnostics/diagnostic.js";
import { load, type Program, type ReadFile } from "./syntax/load.js";
import { emit, EmitCache } from "./targets/emit.js";
import { stockTemplate } from "./targets/pam/stock.js";
import { templatePath } from "./targets/templates.js";
import type { OutputFile } from "./targets/Target.js";

export interface CompileResult {
  diagnostics: DiagnosticBag;
  program?: Program;
  build?: Build;
  /** The model of a policy without host blocks (tests and tools use it). */
  model?: Model;
  /** Present only when there is no error. Paths start with HOST/ when the policy has host blocks. */
  files?: OutputFile[];
  /** Template files used (paths as found), for dependency files. */
  templates?: string[];
  /** Every `expect` assertion run on every host it concerns (README "Assertions"), once the policy has no other error. */
  assertions?: AssertionResult[];
}

export interface CompileOptions {
  /** The templates folder (holding one folder per platform). */
  templates: string;
  /** How included files are read (default: from disk). */
  readFile?: ReadFile;
  /** How an include path is resolved to its real path, undefined when absent (default: on disk). */
  realpath?: (path: string) => string | undefined;
  /** Skip the `expect` assertions (explain answers questions about a policy whose assertions fail). */
  skipAssertions?: boolean;
  /** Stop after checking: no files (diff-access compares models only). */
  checkOnly?: boolean;
}

/** Compiles policy bytes; `path` is shown in diagnostics and in every generated header. */
export function compile(path: string, bytes: Uint8Array, options: CompileOptions): CompileResult {
  const diagnostics = new DiagnosticBag();
  const program = load(path, bytes, diagnostics, options.readFile, options.realpath);
  if (!program || diagnostics.hasErrors) return { diagnostics, ...(program && { program }) };
  const build = check(program, diagnostics);
  const assertions = readAssertions(program, diagnostics);
  const single = build.hosts.length === 1 && build.hosts[0]!.name === null ? build.hosts[0]!.model : undefined;
  const result: CompileResult = { diagnostics, program, build, ...(single && { model: single }) };
  if (diagnostics.hasErrors || options.checkOnly) return result;
  const files: OutputFile[] = [];
  const templates = new Set<string>();
  const cache = new EmitCache();
  for (const { name, model } of build.hosts) {
    const emitted = emit(model, options.templates, diagnostics, cache);
    for (const t of emitted.templates) templates.add(t);
    for (const f of emitted.files) files.push(name === null ? f : { ...f, path: `${name}/${f.path}` });
  }
  if (diagnostics.hasErrors) return result;
  // Assertions run on the files the build writes; a failed one fails the build like any error.
  const ran =
    assertions.length && !options.skipAssertions
      ? runAssertions(assertions, viewsOf({ build, program, files }, options.templates), diagnostics)
      : [];
  if (diagnostics.hasErrors) return { ...result, assertions: ran };
  return { ...result, files, templates: [...templates].sort(), assertions: ran };
}

/**
 * The hosts of a compiled policy as the decision procedure sees them: the
 * generated pam.d files, and the platform's stock files they include (su-l
 * includes su) from the templates folder.
 */
export function viewsOf(compiled: { build: Build; program: Program; files: readonly OutputFile[] }, templates: string): HostView[] {
  const platformFile = (model: Model, name: string): string | null => {
    if (!stockTemplate(model.platform, model.release, name).stock) return null;
    const path = templatePath(templates, model.platform, model.release, join("pam.d", name));
    return existsSync(path) ? readFileSync(path, "utf8") : null;
  };
  return hostViews(compiled.build, compiled.program, compiled.files, platformFile);
}
