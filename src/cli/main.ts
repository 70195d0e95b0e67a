import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { compile } from "../compile.js";
import { DiagnosticBag } from "../diagnostics/diagnostic.js";
import { Messages } from "../diagnostics/messages.js";
import { OutputError, writeTree } from "../output/write.js";
import { countLine, EXIT_ERRORS, EXIT_OK, EXIT_USAGE, printDiagnostics, readPolicy, UsageError } from "./io.js";

declare const __POLICYC_VERSION__: string | undefined;
const VERSION = typeof __POLICYC_VERSION__ === "string" ? __POLICYC_VERSION__ : "0.0.0-dev";

const HELP = `policyc ${VERSION}: compile a host access and mail-relay policy into
Linux-PAM service files, pam_listfile access lists and a sendmail .mc.

Usage:
  policyc build POLICY -o OUT [--templates DIR]   write the files under OUT
  policyc check POLICY [--templates DIR]          report problems, write nothing
  policyc --help | --version

POLICY may be "-" for standard input. OUT mirrors the target host's root:
OUT/etc/pam.d/SERVICE, OUT/<list file path>, OUT/etc/mail/sendmail.mc, ...

Options:
  -o, --output DIR     the output tree (build)
  --templates DIR      templates folder with one folder per platform
                       (default: the templates shipped with policyc)
  -q, --quiet          print only diagnostics
  -h, --help           show this help
  -V, --version        show the version

Exit status: 0 success, 1 errors in the policy or in writing the output,
2 wrong usage or unreadable input.
`;

/** The templates shipped beside the bundle (dist/../templates). */
function defaultTemplates(): string {
  return fileURLToPath(new URL("../templates", import.meta.url));
}

interface Options {
  output?: string;
  templates?: string;
  quiet?: boolean;
  help?: boolean;
  version?: boolean;
}

function parse(argv: string[]): { command: string | undefined; positionals: string[]; options: Options } {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        output: { type: "string", short: "o" },
        templates: { type: "string" },
        quiet: { type: "boolean", short: "q" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "V" },
      },
    });
    return { command: positionals[0], positionals: positionals.slice(1), options: values };
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/\. To specify a positional argument.*$/s, "."));
  }
}

/** Runs policyc with arguments (without node and script); returns the exit code. */
export function main(argv: string[]): number {
  try {
    return run(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`policyc: ${e.message}\nRun "policyc --help" for usage.\n`);
      return EXIT_USAGE;
    }
    throw e;
  }
}

function run(argv: string[]): number {
  const { command, positionals, options } = parse(argv);
  if (options.help || command === "help") {
    process.stdout.write(HELP);
    return EXIT_OK;
  }
  if (options.version) {
    process.stdout.write(`policyc ${VERSION}\n`);
    return EXIT_OK;
  }
  if (command === undefined) throw new UsageError("no command given.");
  if (command !== "build" && command !== "check") throw new UsageError(`unknown command "${command}"; expected build or check.`);
  if (positionals.length !== 1) {
    throw new UsageError(positionals.length === 0 ? `${command} needs a policy file (or - for standard input).` : `${command} takes one policy file, not ${positionals.length}.`);
  }
  if (command === "build" && !options.output) throw new UsageError("build needs an output folder: -o OUT.");
  if (command === "check" && options.output) throw new UsageError("check writes nothing; -o is for build.");

  const input = readPolicy(positionals[0]!);
  if ("error" in input) {
    printDiagnostics([input.error]);
    return EXIT_USAGE;
  }
  const result = compile(input.path, input.bytes, { templates: options.templates ?? defaultTemplates() });
  const diagnostics = result.diagnostics;
  if (!result.files) {
    printDiagnostics(diagnostics.sorted());
    process.stderr.write(`policyc: ${countLine(diagnostics.errorCount, diagnostics.warningCount)}; nothing written.\n`);
    return EXIT_ERRORS;
  }
  printDiagnostics(diagnostics.sorted());
  if (command === "check") {
    if (!options.quiet) {
      const n = result.files.length;
      process.stderr.write(
        `policyc: ${input.path} is valid${diagnostics.warningCount ? ` (${countLine(0, diagnostics.warningCount)})` : ""}; it produces ${n} file${n === 1 ? "" : "s"}.\n`,
      );
    }
    return EXIT_OK;
  }
  const out = options.output!;
  try {
    const report = writeTree(out, result.files);
    if (!options.quiet) {
      process.stderr.write(
        `policyc: wrote ${report.written.length} file${report.written.length === 1 ? "" : "s"} to ${out}` +
          (report.unchanged.length ? ` (${report.unchanged.length} unchanged)` : "") +
          ".\n",
      );
    }
    return EXIT_OK;
  } catch (e) {
    if (!(e instanceof OutputError)) throw e;
    const bag = new DiagnosticBag();
    if (e.symlink) bag.report(Messages.OutputSymlink, undefined, { path: e.path });
    else bag.report(Messages.OutputFailed, undefined, { path: e.path, reason: e.reason });
    printDiagnostics(bag.items);
    return EXIT_ERRORS;
  }
}
