import { parseArgs, type ParseArgsConfig } from "node:util";
import { closest } from "../check/suggest.js";
import { type CommandContext, type CommandSpec, makeContext, type Options, type OptionSpec } from "./command.js";
import { commandHelp, optionsOf } from "./help.js";
import { EXIT_OK, EXIT_USAGE, UsageError } from "./io.js";
import { type Format, FORMATS } from "./report.js";

declare const __POLICYC_VERSION__: string | undefined;
export const VERSION = typeof __POLICYC_VERSION__ === "string" ? __POLICYC_VERSION__ : "0.0.0-dev";
declare const __TLDTS_VERSION__: string | undefined;
/** The Public Suffix List relay domains are checked against comes with tldts. */
export const PSL_VERSION = typeof __TLDTS_VERSION__ === "string" ? __TLDTS_VERSION__ : "unknown";

export const VERSION_OPTION: OptionSpec = { name: "version", short: "V", help: "show the version" };

/** parseArgs' configuration for a set of option rows: the same rows the help prints. */
export function parserOptions(rows: readonly OptionSpec[]): NonNullable<ParseArgsConfig["options"]> {
  const out: NonNullable<ParseArgsConfig["options"]> = {};
  for (const o of rows) out[o.name] = { type: o.value ? "string" : "boolean", ...(o.short ? { short: o.short } : {}) };
  return out;
}

/** Every option of the commands, and --version: for finding the command word among the arguments. */
export function allOptions(commands: readonly CommandSpec[]): OptionSpec[] {
  const rows = new Map<string, OptionSpec>();
  for (const c of commands) for (const o of optionsOf(c)) rows.set(o.name, o);
  rows.set(VERSION_OPTION.name, VERSION_OPTION);
  return [...rows.values()];
}

/** A usage error as every command prints it: one line, then the hint (README "Command line"). */
export function usageLine(message: string): string {
  return `policyc: ${message}\nRun "policyc --help" for usage.\n`;
}

/** "--ouput": an unknown option, with the command's closest one, or the command that has it. */
function unknownOption(spec: CommandSpec, raw: string, commands: readonly CommandSpec[]): string {
  const name = raw.replace(/^-+/, "").replace(/=.*$/s, "");
  const other = allOptions(commands).find((o) => (raw.startsWith("--") ? o.name === name : o.short === name));
  if (other && other.name !== "version") return `--${other.name} is not an option of ${spec.name}.`;
  const own = optionsOf(spec);
  const near = raw.startsWith("--")
    ? closest(
        name,
        own.map((o) => o.name),
        { transpositions: true },
      )
    : undefined;
  return `unknown option "${raw}" for ${spec.name}${near ? `; did you mean --${near}?` : `; its options are ${own.map((o) => `--${o.name}`).join(", ")}.`}`;
}

/** Parses a command's arguments with its own option table; a UsageError for anything else. */
function parseCommand(spec: CommandSpec, args: string[], commands: readonly CommandSpec[]): { options: Options; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, strict: true, options: parserOptions(optionsOf(spec)) });
    return { options: values as Options, positionals };
  } catch (e) {
    const err = e as Error & { code?: string };
    const unknown = /^Unknown option '([^']+)'/.exec(err.message);
    if (err.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && unknown) throw new UsageError(unknownOption(spec, unknown[1]!, commands));
    throw new UsageError(err.message.replace(/\. To specify a positional argument.*$/s, "."));
  }
}

/** What an empty value of a file or folder option stands for: it names nothing, so it is refused. */
const NAMES: Readonly<Record<string, string>> = {
  DIR: "a folder",
  OUT: "a folder",
  FILE: "a file",
  POLICY: "a file",
  REV: "a git revision",
};

/**
 * Every option given is checked against its row before the command runs, so a
 * bad value is the usage error (exit 2) whatever the files say, and no file
 * is read first: an empty file or folder name, and what the row's problem says.
 */
function optionProblems(spec: CommandSpec, options: Options): void {
  for (const o of optionsOf(spec)) {
    const raw = options[o.name];
    if (typeof raw !== "string") continue;
    const what = o.value && NAMES[o.value];
    if (raw === "" && what) throw new UsageError(`--${o.name} needs ${what}.`);
    const problem = o.problem?.(raw);
    if (problem) throw new UsageError(problem);
  }
}

/**
 * Runs one command on its arguments (the command word removed): parses them
 * with the command's table, prints its help for -h, builds the context, runs
 * it and prints the machine document once at the end. Usage errors print one
 * line and the hint, and exit 2.
 */
export function invoke(spec: CommandSpec, args: string[], commands: readonly CommandSpec[] = [spec]): number | Promise<number> {
  const usage = (e: unknown): number => {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(usageLine(e.message));
    return EXIT_USAGE;
  };
  let ctx: CommandContext;
  try {
    const { options, positionals } = parseCommand(spec, args, commands);
    if (options.help) {
      process.stdout.write(commandHelp(spec));
      return EXIT_OK;
    }
    const format = (options.format ?? "human") as Format;
    const formats: readonly string[] = [...FORMATS, ...(spec.extraFormats ?? [])];
    if (!formats.includes(format)) throw new UsageError(`unknown format "${options.format}"; expected ${formats.join(", ")}.`);
    if (options.quiet && options.verbose) throw new UsageError("--quiet and --verbose contradict each other.");
    optionProblems(spec, options);
    if (spec.takesPolicy && positionals.length !== 1) {
      throw new UsageError(
        positionals.length === 0
          ? `${spec.name} needs a policy file (or - for standard input).`
          : `${spec.name} takes one policy file, not ${positionals.length}.`,
      );
    }
    ctx = makeContext(spec, options, positionals, format, VERSION);
  } catch (e) {
    return usage(e);
  }
  const done = (code: number) => {
    ctx.flush();
    return code;
  };
  // A usage error met while running (an unwritable --junit file, say) prints
  // its line and no machine document: a document of the diagnostics so far
  // would read as success on stdout while the exit status is 2.
  const failed = (e: unknown) => usage(e);
  try {
    const r = spec.run(ctx);
    return typeof r === "number" ? done(r) : r.then(done, failed);
  } catch (e) {
    return failed(e);
  }
}
