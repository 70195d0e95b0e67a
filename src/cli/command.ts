import type { Build } from "../check/model.js";
import type { CompileResult } from "../compile.js";
import type { DiagnosticBag } from "../diagnostics/diagnostic.js";
import type { Program } from "../syntax/load.js";
import type { OutputFile } from "../targets/Target.js";
import type { Format } from "./report.js";

/** Every option any command takes; each command reads the ones it knows. */
export interface Options {
  output?: string;
  templates?: string;
  check?: boolean;
  depfile?: string;
  root?: string;
  host?: string;
  stock?: boolean;
  format?: string;
  quiet?: boolean;
  verbose?: boolean;
  help?: boolean;
  version?: boolean;
}

/** A successful compile: there were no errors. */
export interface Compiled {
  files: OutputFile[];
  build: Build;
  program: Program;
  templates: string[];
  result: CompileResult;
}

export interface CommandContext {
  options: Options;
  positionals: string[];
  format: Format;
  version: string;
  /** Reads and compiles the policy argument, reporting diagnostics; undefined (and exitCode set) on errors. */
  compile(): Compiled | undefined;
  exitCode: number;
  /** A status line on stderr, unless --quiet (or a machine format, which keeps stderr for people). */
  say(line: string): void;
  report(bag: DiagnosticBag): void;
}

export type Command = (ctx: CommandContext) => Promise<number>;
