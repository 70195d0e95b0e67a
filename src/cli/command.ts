import { fileURLToPath } from "node:url";
import type { Build } from "../check/model.js";
import { compile, type CompileResult } from "../compile.js";
import { type Diagnostic, DiagnosticBag } from "../diagnostics/diagnostic.js";
import type { Program } from "../syntax/load.js";
import type { OutputFile } from "../targets/Target.js";
import { compileHosts } from "./hosts.js";
import { countLine, EXIT_OK, EXIT_USAGE, readPolicy, UsageError } from "./io.js";
import { Messages } from "../diagnostics/messages.js";
import { type ChangeReport, type Format, report } from "./report.js";

/** Every option any command takes; each command's table says which are its own. */
export interface Options {
  output?: string;
  templates?: string;
  check?: boolean;
  depfile?: string;
  root?: string;
  host?: string;
  stock?: boolean;
  "cf-dir"?: string;
  "allow-hostname-delay"?: boolean;
  platform?: string;
  "allow-lossy"?: boolean;
  "allow-system-root"?: boolean;
  "max-warnings"?: string;
  /** build: threads that write the files (default: the number of cores). */
  jobs?: string;
  format?: string;
  quiet?: boolean;
  verbose?: boolean;
  help?: boolean;
  version?: boolean;
  stdio?: boolean;
  /** explain: the PAM items and the user's account, and the mail request. */
  rhost?: string;
  tty?: string;
  ruser?: string;
  groups?: string;
  shell?: string;
  "unknown-user"?: boolean;
  nologin?: boolean;
  missing?: string;
  client?: string;
  "client-name"?: string;
  sender?: string;
  auth?: string;
  socket?: string;
  /** test: where to write JUnit XML. */
  junit?: string;
  /** test: run the assertions on the real PAM and sendmail against this built tree. */
  real?: string;
  /** diff-access: exit 1 on a gain in access ("gain") or on any change ("any"). */
  "fail-on"?: string;
  /** diff-access: the git revision the old version of the one POLICY is read from. */
  git?: string;
}

/** One option of a command: what the parser accepts and what the help says, from one row. */
export interface OptionSpec {
  name: keyof Options;
  short?: string;
  /** The value's name in help ("DIR"); an option without one is a flag. */
  value?: string;
  /** One line, or several joined by "\n". */
  help: string;
  /**
   * What is wrong with a value given to it, as a usage error's words; undefined when it is
   * fine. Asked for every option given, before the command reads any file (README "Command line").
   */
  problem?(value: string): string | undefined;
}

/** A command of policyc: one file in src/cli/, one row in main.ts's table. */
export interface CommandSpec {
  name: string;
  /** Usage lines without "policyc ", each with a few words for the global help. */
  synopsis: Array<[usage: string, summary: string]>;
  /** What the command does, for its own help (paragraphs, already wrapped). */
  description: string;
  /** Its options, in help order; --format, --quiet and --help are added to every command. */
  options: OptionSpec[];
  /** What exit 1 and exit 2 mean for this command (exit 0 is success everywhere). */
  exits: { errors: string; usage: string };
  /** Formats this command prints besides human, json and sarif (diff-access: markdown). */
  extraFormats?: readonly string[];
  /** Prints no document (completion prints a script): no --format in its table, so the parser refuses it. */
  noFormat?: true;
  /** Takes exactly one policy file (or "-") as its argument. */
  takesPolicy: boolean;
  run(ctx: CommandContext): number | Promise<number>;
}

/** A policy this large (bytes) is compiled without V8's allocation-site pretenuring (see noPretenuring). */
const LARGE_POLICY = 64 * 1024;

/** The symbol under which noPretenuring marks that V8's flags changed: bin/policyc.js then writes no code cache. */
const FLAGS_CHANGED = Symbol.for("policyc.v8FlagsChanged");

/**
 * Turns off V8's allocation-site pretenuring for the rest of the process
 * (README "Performance", "Memory at the peak"): when a scavenge finds nearly
 * all objects made at one place in the code alive, V8 puts every later one
 * from there straight into the old space, and places that made long-lived
 * objects in bulk once (loading, the scopes of every host) are used again
 * for what each host makes and drops, which then stays as garbage until a
 * full collection (10,000-host fleet: 29 -> 8 MB of the hosts' allocations
 * reaching the old space, peak RSS 12 MB lower, CPU the same). Only for a
 * large policy: node:v8 loads node's streams (1.6 ms of a cold start). V8
 * flags are part of a code cache's check, so the bin writes none after this.
 */
function noPretenuring(): void {
  const g = globalThis as { [FLAGS_CHANGED]?: boolean };
  if (g[FLAGS_CHANGED]) return;
  g[FLAGS_CHANGED] = true;
  (process.getBuiltinModule("node:v8") as typeof import("node:v8")).setFlagsFromString("--no-allocation-site-pretenuring");
}

/** The options every command takes, after its own. */
export const COMMON_OPTIONS: OptionSpec[] = [
  { name: "format", value: "FORMAT", help: "human (the default, on stderr), json or sarif\n(one document on stdout)" },
  { name: "quiet", short: "q", help: "print only diagnostics and failures" },
  { name: "help", short: "h", help: "show this help" },
];

/** The option that compiling commands add: where the templates are. */
export const TEMPLATES_OPTION: OptionSpec = {
  name: "templates",
  value: "DIR",
  help: "templates folder with one folder per platform\n(default: the templates shipped with policyc)",
};

/**
 * CI's limit on warnings (like eslint's): more fail the command (PC5050) and build writes nothing.
 * Every command that compiles a policy and prints its warnings takes it (build, check, diff, test,
 * explain, who, report), and verify, whose warnings are its notes.
 */
export const MAX_WARNINGS_OPTION: OptionSpec = {
  name: "max-warnings",
  value: "N",
  help: "fail (exit 1) with more than N warnings",
  problem: (raw) => (/^\d+$/.test(raw) ? undefined : `--max-warnings takes a whole number of warnings from 0, not "${raw}".`),
};

/** What is wrong with a --jobs value (build, check): a whole number of threads from 1 to 9999. */
export function jobsProblem(raw: string): string | undefined {
  return /^[1-9]\d{0,3}$/.test(raw) ? undefined : `--jobs takes a whole number of threads from 1 to 9999, not "${raw}".`;
}

/**
 * The --jobs value of build and check: a whole number of threads from 1 to
 * 9999; default 1 (README "Performance": build's writing measured slower
 * from two threads on the 2-core VM; check's default is measured there too).
 */
export function jobsOf(raw: string | undefined): number {
  if (raw === undefined) return 1;
  const problem = jobsProblem(raw);
  if (problem) throw new UsageError(problem);
  return Number(raw);
}

/** The --max-warnings limit, or undefined; a UsageError for anything but a whole number from 0. */
export function maxWarnings(options: Options): number | undefined {
  const raw = options["max-warnings"];
  if (raw === undefined) return undefined;
  const problem = MAX_WARNINGS_OPTION.problem!(raw);
  if (problem) throw new UsageError(problem);
  return Number(raw);
}

/** A successful compile: there were no errors. */
export interface Compiled {
  /** Every generated file; empty when compiled with keepFiles: false (fileCount says how many there are). */
  files: OutputFile[];
  fileCount: number;
  /** Every host's model, but only with keepFiles, keepModels and one thread (--jobs 1, or a policy too small for threads). */
  build: Build;
  /** Every host's name, in order (null: a policy without host blocks). */
  hosts: (string | null)[];
  program: Program;
  templates: string[];
  result: CompileResult;
}

export interface CommandContext {
  command: CommandSpec;
  options: Options;
  positionals: string[];
  format: Format;
  version: string;
  /** Reads and compiles the policy argument, reporting diagnostics; undefined (and exitCode set) on errors. */
  compile(options?: {
    skipAssertions?: boolean;
    closing?: boolean;
    keepFiles?: boolean;
    keepModels?: boolean;
    jobs?: number;
    /** Each host's files as emitted (build: CompileOptions.sink). */
    sink?: (files: OutputFile[], host: string | null) => void;
  }): Compiled | undefined;
  /** The last compile's whole result, errors or not (test reads the assertions that ran). */
  lastResult?: CompileResult;
  exitCode: number;
  /** A status line on stderr, unless --quiet. */
  say(line: string): void;
  /** Diagnostics: printed now on stderr (human), or gathered into the one document on stdout (json, sarif). */
  report(diagnostics: DiagnosticBag | Diagnostic[]): void;
  /** Output for people (a patch, a file list): stdout for --format human, stderr when stdout holds a document. */
  out(text: string): void;
  /** What a comparing command (build --check, diff) found: part of the machine document. */
  changes?: ChangeReport;
  /** Replaces the diagnostics document a machine format prints at the end (verify prints its cases). */
  document?: (format: Exclude<Format, "human">) => string;
  /** Prints the document of a machine format: once, at the end of the command. */
  flush(): void;
}

/** The templates shipped beside the bundle (dist/../templates). */
export function defaultTemplates(): string {
  return fileURLToPath(new URL("../templates", import.meta.url));
}

/** The context a command runs in, for parsed options and arguments. */
export function makeContext(
  command: CommandSpec,
  options: Options,
  positionals: string[],
  format: Format,
  version: string,
): CommandContext {
  const gathered: Diagnostic[] = [];
  let errors = 0;
  let warnings = 0;
  let suppressed = 0;
  let flushed = false;
  const ctx: CommandContext = {
    command,
    options,
    positionals,
    format,
    version,
    exitCode: EXIT_OK,
    say(line) {
      if (!options.quiet) process.stderr.write(line + "\n");
    },
    out(text) {
      (format === "human" ? process.stdout : process.stderr).write(text);
    },
    report(diagnostics) {
      const items = diagnostics instanceof DiagnosticBag ? diagnostics.sorted() : diagnostics;
      // A bag counts what it dropped past its limit too.
      const e = diagnostics instanceof DiagnosticBag ? diagnostics.errorCount : items.filter((d) => d.severity === "error").length;
      errors += e;
      warnings += diagnostics instanceof DiagnosticBag ? diagnostics.warningCount : items.length - e;
      if (diagnostics instanceof DiagnosticBag) suppressed += diagnostics.suppressedCount;
      if (format === "human") report("human", { diagnostics: items, errors: e, warnings: 0, version });
      else gathered.push(...items);
    },
    flush() {
      if (format === "human" || flushed) return;
      flushed = true;
      if (ctx.document) {
        process.stdout.write(ctx.document(format));
        return;
      }
      report(format, { diagnostics: gathered, errors, warnings, suppressed, version, changes: ctx.changes, subject: positionals[0] });
    },
    compile({ closing = true, jobs = 1, ...opts } = {}): Compiled | undefined {
      // A usage error before the file is read (invoke has checked the value already).
      const limit = maxWarnings(options);
      const input = readPolicy(positionals[0]!);
      if ("error" in input) {
        ctx.report([input.error]);
        ctx.exitCode = EXIT_USAGE;
        return undefined;
      }
      const compileOptions = { templates: options.templates ?? defaultTemplates(), ...opts };
      if (input.bytes.length >= LARGE_POLICY) noPretenuring();
      const result =
        jobs > 1 ? compileHosts(input.path, input.bytes, { ...compileOptions, jobs }) : compile(input.path, input.bytes, compileOptions);
      ctx.lastResult = result;
      const d = result.diagnostics;
      if (limit !== undefined && result.fileCount !== undefined && d.warningCount > limit) {
        d.report(Messages.TooManyWarnings, undefined, { warnings: countLine(0, d.warningCount), max: limit });
        delete result.files;
        delete result.fileCount;
      }
      ctx.report(d);
      if (result.fileCount === undefined) {
        // test says what failed in its own closing line (it never writes).
        if (format === "human" && closing) process.stderr.write(`policyc: ${countLine(d.errorCount, d.warningCount)}; nothing written.\n`);
        ctx.exitCode = 1;
        return undefined;
      }
      return {
        files: result.files ?? [],
        fileCount: result.fileCount,
        build: result.build!,
        hosts: result.hosts ?? [],
        program: result.program!,
        templates: result.templates ?? [],
        result,
      };
    },
  };
  return ctx;
}
