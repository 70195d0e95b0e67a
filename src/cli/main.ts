import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { compile } from "../compile.js";
import type { DiagnosticBag } from "../diagnostics/diagnostic.js";
import { buildCommand } from "./build.js";
import type { Command, CommandContext, Compiled, Options } from "./command.js";
import { diffCommand } from "./diff.js";
import { fmtCommand } from "./fmt.js";
import { countLine, EXIT_ERRORS, EXIT_OK, EXIT_USAGE, readPolicy, UsageError } from "./io.js";
import { type Format, FORMATS, report } from "./report.js";

declare const __POLICYC_VERSION__: string | undefined;
const VERSION = typeof __POLICYC_VERSION__ === "string" ? __POLICYC_VERSION__ : "0.0.0-dev";
declare const __TLDTS_VERSION__: string | undefined;
/** The Public Suffix List relay domains are checked against comes with tldts. */
const PSL_VERSION = typeof __TLDTS_VERSION__ === "string" ? __TLDTS_VERSION__ : "unknown";

const HELP = `policyc ${VERSION}: compile a host access and mail-relay policy into
Linux-PAM service files, pam_listfile access lists and a sendmail .mc.

Usage:
  policyc build POLICY -o OUT [-M DEPFILE]   write the files under OUT
  policyc build POLICY -o OUT --check        show what build would change; exit 1 if anything
  policyc check POLICY                       report problems, write nothing
  policyc diff POLICY --root DIR [--host H]  compare with what is deployed under DIR
  policyc diff POLICY --stock [--host H]     what each file changes in the distribution's
                                             stock file (new files shown whole)
  policyc verify OUT [--cf-dir DIR]          run OUT's sendmail files in sendmail's own
                                             address test mode: no open relay, trusted
                                             AUTH relays (policyc verify --help)
  policyc fmt [--check] FILE|DIR...          format policies in place; --check lists
                                             the files that would change (exit 1)
  policyc --help | --version

POLICY may be "-" for standard input. OUT mirrors the target host's root:
OUT/etc/pam.d/SERVICE, OUT/<list file path>, OUT/etc/mail/sendmail.mc, ...
A policy with host blocks writes OUT/HOST/... for each host.

Options:
  -o, --output DIR     the output tree (build)
  -M, --depfile FILE   also write a make dependency file (build)
  --check              write nothing: build prints a diff and exits 1 if OUT is
                       out of date; fmt lists files that are not formatted
  --root DIR           the deployed root to compare with (diff)
  --host NAME          the host to compare (diff, for policies with hosts)
  --stock              compare with the distribution's stock files instead (diff)
  --templates DIR      templates folder with one folder per platform
                       (default: the templates shipped with policyc)
  --format FORMAT      diagnostics as human (default), json or sarif (on stdout)
  -q, --quiet          print only diagnostics
  -v, --verbose        list every file written, unchanged or removed
  -h, --help           show this help
  -V, --version        show the version

Colour is used on a terminal unless NO_COLOR is set; FORCE_COLOR forces it.
Exit status: 0 success, 1 errors in the policy, a failed write, an
out-of-date tree (--check) or drift (diff), 2 wrong usage or unreadable input.
`;

const COMMANDS: Record<string, Command> = {
  build: buildCommand,
  check: async (ctx) => {
    const compiled = ctx.compile();
    if (!compiled) return ctx.exitCode;
    const n = compiled.files.length;
    const warnings = compiled.result.diagnostics.warningCount;
    ctx.say(`policyc: ${compiled.program.root.path} is valid${warnings ? ` (${countLine(0, warnings)})` : ""}; it produces ${n} file${n === 1 ? "" : "s"}.`);
    return EXIT_OK;
  },
  diff: diffCommand,
  fmt: (ctx) => fmtCommand(ctx.positionals, { check: ctx.options.check === true }),
};

/** The templates shipped beside the bundle (dist/../templates). */
function defaultTemplates(): string {
  return fileURLToPath(new URL("../templates", import.meta.url));
}

function parse(argv: string[]): { command: string | undefined; positionals: string[]; options: Options } {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        output: { type: "string", short: "o" },
        depfile: { type: "string", short: "M" },
        check: { type: "boolean" },
        root: { type: "string" },
        host: { type: "string" },
        stock: { type: "boolean" },
        templates: { type: "string" },
        format: { type: "string" },
        quiet: { type: "boolean", short: "q" },
        verbose: { type: "boolean", short: "v" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "V" },
      },
    });
    return { command: positionals[0], positionals: positionals.slice(1), options: values };
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/\. To specify a positional argument.*$/s, "."));
  }
}

/** Options each command accepts, besides --format, --quiet, --verbose and --templates. */
const ACCEPTS: Record<string, (keyof Options)[]> = {
  build: ["output", "depfile", "check"],
  check: [],
  diff: ["root", "host", "stock"],
  fmt: ["check"],
};

/** Runs policyc with arguments (without node and script); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  // verify takes a built tree, not a policy, and options of its own.
  if (argv[0] === "verify") return (await import("./verify.js")).verifyCommand(argv.slice(1));
  try {
    return await run(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`policyc: ${e.message}\nRun "policyc --help" for usage.\n`);
      return EXIT_USAGE;
    }
    throw e;
  }
}

async function run(argv: string[]): Promise<number> {
  const { command, positionals, options } = parse(argv);
  if (options.help || command === "help") {
    process.stdout.write(HELP);
    return EXIT_OK;
  }
  if (options.version) {
    process.stdout.write(`policyc ${VERSION} (Public Suffix List of tldts ${PSL_VERSION})\n`);
    return EXIT_OK;
  }
  if (command === undefined) throw new UsageError("no command given.");
  const handler = COMMANDS[command];
  if (!handler) throw new UsageError(`unknown command "${command}"; expected ${[...Object.keys(COMMANDS), "verify"].join(", ")}.`);
  for (const key of ["output", "depfile", "check", "root", "host", "stock"] as const) {
    if (options[key] !== undefined && !ACCEPTS[command]!.includes(key)) {
      throw new UsageError(`--${key === "depfile" ? "depfile" : key} is not an option of ${command}.`);
    }
  }
  if (options.depfile && options.check) throw new UsageError("--check writes nothing, so it takes no --depfile.");
  const format = (options.format ?? "human") as Format;
  if (!FORMATS.includes(format)) throw new UsageError(`unknown format "${options.format}"; expected ${FORMATS.join(", ")}.`);
  if (options.quiet && options.verbose) throw new UsageError("--quiet and --verbose contradict each other.");
  if (command !== "fmt" && positionals.length !== 1) {
    throw new UsageError(positionals.length === 0 ? `${command} needs a policy file (or - for standard input).` : `${command} takes one policy file, not ${positionals.length}.`);
  }

  const ctx: CommandContext = {
    options,
    positionals,
    format,
    version: VERSION,
    exitCode: EXIT_OK,
    say(line) {
      if (!options.quiet) process.stderr.write(line + "\n");
    },
    report(bag: DiagnosticBag) {
      report(format, bag.sorted(), bag.errorCount, bag.warningCount, VERSION);
    },
    compile(): Compiled | undefined {
      const input = readPolicy(positionals[0]!);
      if ("error" in input) {
        report(format, [input.error], 1, 0, VERSION);
        ctx.exitCode = EXIT_USAGE;
        return undefined;
      }
      const result = compile(input.path, input.bytes, { templates: options.templates ?? defaultTemplates() });
      const d = result.diagnostics;
      report(format, d.sorted(), d.errorCount, d.warningCount, VERSION);
      if (!result.files) {
        if (format === "human") process.stderr.write(`policyc: ${countLine(d.errorCount, d.warningCount)}; nothing written.\n`);
        ctx.exitCode = EXIT_ERRORS;
        return undefined;
      }
      return { files: result.files, build: result.build!, program: result.program!, templates: result.templates ?? [], result };
    },
  };
  return handler(ctx);
}
