/**
 * The pipeline, source to files: load (decode, lex, parse, follow includes)
 * -> check (lower + rules) -> emit. Nothing here touches the output tree:
 * writing is the CLI's last step, and only when there is no error.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type CheckedHost, checkEach, type CheckEachOptions } from "./check/check.js";
import { type AssertionResult, hostViews, hostViewsOf, type HostView, readAssertions, runAssertions } from "./decide/index.js";
import type { Build, Model } from "./check/model.js";
import { type Diagnostic, DiagnosticBag } from "./diagnostics/diagnostic.js";
import { load, type Program, type ReadFile } from "./syntax/load.js";
import { emit, EmitCache } from "./targets/emit.js";
import { stockTemplate } from "./targets/pam/stock.js";
import { templatePath } from "./targets/templates.js";
import type { OutputFile } from "./targets/Target.js";

export interface CompileResult {
  diagnostics: DiagnosticBag;
  program?: Program;
  build?: Build;
  /** Every host checked, in order (null: a policy without host blocks); build.hosts may hold fewer (see keepFiles, check --jobs). */
  hosts?: (string | null)[];
  /** The model of a policy without host blocks (tests and tools use it). */
  model?: Model;
  /** Present only when there is no error and files are kept (see keepFiles). Paths start with HOST/ when the policy has host blocks. */
  files?: OutputFile[];
  /** How many files the policy produces: present exactly when there is no error, files kept or not. */
  fileCount?: number;
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
  /**
   * false: emit every host and run every assertion as a build does, but keep
   * no file past its host (only fileCount, and the pam.d files of hosts an
   * assertion asks about): `policyc check` of a fleet in bounded memory.
   */
  keepFiles?: boolean;
  /**
   * false: keep the model of no host past its emit but those an assertion
   * asks about (and a policy without host blocks), and cache only what a
   * second host shares, as keepFiles: false does: build needs every file but
   * no model (README "Performance").
   */
  keepModels?: boolean;
  /**
   * Where each host's files go as it is emitted (paths under the output
   * root: HOST/... for a policy with host blocks), while the policy has no
   * error so far: build streams them to its writer (output/stream.ts) and
   * keeps none, as keepFiles: false does. Whether the build may commit is
   * decided at the end, as always (fileCount present).
   */
  sink?: (files: OutputFile[], host: string | null) => void;
}

/** Compiles policy bytes; `path` is shown in diagnostics and in every generated header. */
export function compile(path: string, bytes: Uint8Array, options: CompileOptions): CompileResult {
  const diagnostics = new DiagnosticBag();
  const program = load(path, bytes, diagnostics, options.readFile, options.realpath);
  if (!program || diagnostics.hasErrors) return { diagnostics, ...(program && { program }) };
  return compileProgram(program, diagnostics, options, checkEach);
}

/**
 * A host a worker thread checked and emitted (cli/hosts.ts): its check's
 * findings are already in the bag; what its emit found and made is here.
 */
export interface EmittedHost {
  name: string | null;
  emitted: {
    /** What the targets' checks found (emit's findings before its `hasErrors`). */
    checks: Diagnostic[];
    /** What making the files found: dropped when the build already had an error there, as emit returns first then. */
    found: Diagnostic[];
    fileCount: number;
    templates: string[];
    /** Its files (paths without the host's folder), when files are kept. */
    files?: OutputFile[];
  };
}

/**
 * The hosts of a loaded program, checked: checkEach, or (cli/hosts.ts) a
 * share of them checked here and the rest by worker threads, in the same
 * order and with the same findings.
 */
export type HostSource = (program: Program, diagnostics: DiagnosticBag, options: CheckEachOptions) => Iterable<CheckedHost | EmittedHost>;

/**
 * The pipeline after loading, host by host (README "Architecture"): each
 * host is checked, emitted and, unless files are kept, dropped before the
 * next is lowered. Diagnostics come out as if every host were checked first
 * and emitted after: emit's findings wait in a bag of their own and join the
 * program's once every host is checked without error (with an error,
 * nothing more is emitted, as nothing was before); the assertions' findings
 * come last.
 */
export function compileProgram(program: Program, diagnostics: DiagnosticBag, options: CompileOptions, hosts: HostSource): CompileResult {
  const sink = options.sink;
  const keep = options.keepFiles !== false && !sink;
  const keepModels = keep && options.keepModels !== false;
  // Read first to know which hosts' pam.d files to keep; their findings follow the check's, as before.
  const assertionFindings = new DiagnosticBag(Infinity);
  const assertions = readAssertions(program, assertionFindings);
  const asserting = assertions.length > 0 && !options.skipAssertions;
  const anyHost = assertions.some((a) => a.host === null);
  const named = new Set(assertions.map((a) => a.host));
  const concerned = (name: string | null): boolean => asserting && (anyHost || named.has(name));
  const build: Build = { hosts: [] };
  const names: (string | null)[] = [];
  const files: OutputFile[] = [];
  let fileCount = 0;
  // The pam.d files of each host an assertion asks about, when files are not kept.
  const pam = new Map<string | null, Map<string, string>>();
  const templates = new Set<string>();
  const cache = new EmitCache();
  const emitFindings = new DiagnosticBag(Infinity);
  // Only a service or access list a second host was given is asked for again: the rest die with their host.
  const reused = keepModels ? undefined : new WeakSet<object>();
  if (reused) cache.reused = (o) => reused.has(o);
  let emitting = !options.checkOnly;
  for (const host of hosts(program, diagnostics, reused ? { shared: (o) => reused.add(o) } : {})) {
    if ("emitted" in host) {
      if (concerned(host.name) || ((keep || sink) && !host.emitted.files))
        throw new Error("policyc bug: a worker's host where its model or files are needed");
      names.push(host.name);
      if (diagnostics.hasErrors) emitting = false;
      if (!emitting) continue;
      const e = host.emitted;
      for (const d of e.checks) emitFindings.add(d);
      if (emitFindings.hasErrors) continue;
      for (const d of e.found) emitFindings.add(d);
      for (const t of e.templates) templates.add(t);
      fileCount += e.fileCount;
      if (keep) for (const f of e.files!) files.push(host.name === null ? f : { ...f, path: `${host.name}/${f.path}` });
      else if (sink && !emitFindings.hasErrors)
        sink(host.name === null ? e.files! : e.files!.map((f) => ({ ...f, path: `${host.name}/${f.path}` })), host.name);
      continue;
    }
    const { name, model } = host;
    names.push(name);
    if (keepModels || concerned(name) || name === null) build.hosts.push(host);
    if (diagnostics.hasErrors) emitting = false;
    if (!emitting) continue;
    const emitted = emit(model, options.templates, emitFindings, cache);
    for (const t of emitted.templates) templates.add(t);
    fileCount += emitted.files.length;
    if (keep) {
      for (const f of emitted.files) files.push(name === null ? f : { ...f, path: `${name}/${f.path}` });
    } else if (concerned(name)) {
      const own = new Map<string, string>();
      for (const f of emitted.files) if (f.path.startsWith("etc/pam.d/")) own.set(f.path.slice("etc/pam.d/".length), f.content);
      pam.set(name, own);
    }
    if (sink && !emitFindings.hasErrors)
      sink(name === null ? emitted.files : emitted.files.map((f) => ({ ...f, path: `${name}/${f.path}` })), name);
  }
  for (const d of assertionFindings.items) diagnostics.add(d);
  const single = build.hosts.length === 1 && build.hosts[0]!.name === null ? build.hosts[0]!.model : undefined;
  const result: CompileResult = { diagnostics, program, build, hosts: names, ...(single && { model: single }) };
  if (diagnostics.hasErrors || options.checkOnly) return result;
  for (const d of emitFindings.items) diagnostics.add(d);
  if (diagnostics.hasErrors) return result;
  // Assertions run on the files the build writes; a failed one fails the build like any error.
  const ran = asserting
    ? runAssertions(
        assertions,
        keep ? viewsOf({ build, program, files }, options.templates) : viewsOfPam(build, program, pam, options.templates),
        diagnostics,
      )
    : [];
  if (diagnostics.hasErrors) return { ...result, assertions: ran };
  return { ...result, ...(keep && { files }), fileCount, templates: [...templates].sort(), assertions: ran };
}

/** The decision procedure's stock pam.d files of a platform (su-l includes su), from the templates folder. */
function stockFiles(templates: string): (model: Model, name: string) => string | null {
  // Read once per compile: every host of a fleet asks for the same few files.
  const read = new Map<string, string | null>();
  return (model, name) => {
    if (!stockTemplate(model.platform, model.release, name).stock) return null;
    const path = templatePath(templates, model.platform, model.release, join("pam.d", name));
    if (!read.has(path)) read.set(path, existsSync(path) ? readFileSync(path, "utf8") : null);
    return read.get(path)!;
  };
}

/** viewsOf for a compile that kept only each host's pam.d files (keepFiles: false). */
function viewsOfPam(
  build: Build,
  program: Program,
  pam: ReadonlyMap<string | null, ReadonlyMap<string, string>>,
  templates: string,
): HostView[] {
  return hostViewsOf(build, program, (host) => pam.get(host), stockFiles(templates));
}

/**
 * The hosts of a compiled policy as the decision procedure sees them: the
 * generated pam.d files, and the platform's stock files they include (su-l
 * includes su) from the templates folder.
 */
export function viewsOf(compiled: { build: Build; program: Program; files: readonly OutputFile[] }, templates: string): HostView[] {
  return hostViews(compiled.build, compiled.program, compiled.files, stockFiles(templates));
}
