import { parseArgs } from "node:util";
import { closest } from "../check/suggest.js";
import { buildCommand } from "./build.js";
import { checkCommand } from "./check.js";
import { completionCommand } from "./completion.js";
import type { CommandSpec } from "./command.js";
import { diffCommand } from "./diff.js";
import { explainCommand } from "./explain.js";
import { testCommand } from "./test.js";
import { whoCommand } from "./who.js";
import { reportCommand } from "./audit.js";
import { diffAccessCommand } from "./diff-access.js";
import { fmtSpec } from "./fmt.js";
import { importSpec } from "./import.js";
import { commandHelp, globalHelp } from "./help.js";
import { allOptions, invoke, parserOptions, PSL_VERSION, usageLine, VERSION } from "./invoke.js";
import { EXIT_OK, EXIT_USAGE, UsageError } from "./io.js";
import { lspSpec } from "./lsp.js";
import { verifySpec } from "./verify-spec.js";

/** Every command, in help order: a new command is one file and one row here. */
export const COMMANDS: readonly CommandSpec[] = [
  buildCommand,
  checkCommand,
  diffCommand,
  verifySpec,
  fmtSpec,
  explainCommand,
  testCommand,
  diffAccessCommand,
  whoCommand,
  reportCommand,
  lspSpec,
  importSpec,
  completionCommand(() => COMMANDS),
];

/** The command word among the arguments: the first one that is not an option or an option's value. */
function findCommand(argv: string[]): { index: number; help: boolean; version: boolean } {
  const { tokens } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: false,
    tokens: true,
    options: parserOptions(allOptions(COMMANDS)),
  });
  const first = tokens.find((t) => t.kind === "positional");
  const flags = tokens.filter((t) => t.kind === "option").map((t) => t.name);
  return { index: first ? first.index : -1, help: flags.includes("help"), version: flags.includes("version") };
}

function commandNamed(word: string): CommandSpec {
  const spec = COMMANDS.find((c) => c.name === word);
  if (spec) return spec;
  const names = COMMANDS.map((c) => c.name);
  const near = closest(word, names, { transpositions: true });
  throw new UsageError(`unknown command "${word}"; ${near ? `did you mean ${near}? ` : ""}expected ${names.join(", ")}.`);
}

/** Runs policyc with arguments (without node and script); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    const { index, help, version } = findCommand(argv);
    const word = index >= 0 ? argv[index]! : undefined;
    if (word === "help") {
      const rest = argv.slice(index + 1).filter((a) => !a.startsWith("-"));
      if (rest.length > 1) throw new UsageError(`help takes one command, not ${rest.length}.`);
      process.stdout.write(rest.length ? commandHelp(commandNamed(rest[0]!)) : globalHelp(COMMANDS, VERSION));
      return EXIT_OK;
    }
    if (version && !help) {
      process.stdout.write(`policyc ${VERSION} (Public Suffix List of tldts ${PSL_VERSION})\n`);
      return EXIT_OK;
    }
    if (word === undefined) {
      if (help) {
        process.stdout.write(globalHelp(COMMANDS, VERSION));
        return EXIT_OK;
      }
      if (argv.length) parseArgs({ args: argv, strict: true, options: parserOptions(allOptions(COMMANDS)) });
      throw new UsageError("no command given.");
    }
    return await invoke(commandNamed(word), [...argv.slice(0, index), ...argv.slice(index + 1)], COMMANDS);
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      const message = e instanceof UsageError ? e.message : (e as Error).message.replace(/\. To specify a positional argument.*$/s, ".");
      process.stderr.write(usageLine(message));
      return EXIT_USAGE;
    }
    throw e;
  }
}
