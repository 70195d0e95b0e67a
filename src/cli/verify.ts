import { formatReport, type VerifyReport, verifyTree, VerifySetupError } from "../verify/verify.js";
import type { CommandContext } from "./command.js";
import { EXIT_ERRORS, EXIT_OK, EXIT_USAGE, UsageError } from "./io.js";
import { invoke } from "./invoke.js";
import { verifySpec } from "./verify-spec.js";

/** The JSON form of a run: the report as verifyTree returns it, under a format and version. */
function verifyJson(report: VerifyReport): string {
  return JSON.stringify({ format: "policyc-verify", version: 1, ...report }, null, 2) + "\n";
}

/** SARIF 2.1.0: one result per failed check and per problem. */
function verifySarif(report: VerifyReport, version: string): string {
  const failed = report.results.filter((r) => !r.ok);
  const results = [
    ...failed.map((r) => ({
      ruleId: `verify/${r.group}`,
      level: "error",
      message: { text: `${r.title}: ${r.outcome}, expected ${r.expect}: ${r.summary}` },
    })),
    ...report.problems.map((p) => ({ ruleId: "verify/problem", level: "error", message: { text: p } })),
  ];
  const rules = [...new Set(results.map((r) => r.ruleId))].sort().map((id) => ({ id }));
  const sarif = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [{ tool: { driver: { name: "policyc", version, rules } }, results }],
  };
  return JSON.stringify(sarif, null, 2) + "\n";
}

/** Runs verify on a parsed command line (the command's run, loaded on first use). */
export function runVerify(ctx: CommandContext): number {
  const { options, positionals } = ctx;
  if (positionals.length !== 1) {
    throw new UsageError(
      positionals.length === 0 ? "needs the output folder of policyc build (OUT)." : `takes one output folder, not ${positionals.length}.`,
    );
  }
  if (options["cf-dir"] === "") throw new UsageError("--cf-dir needs a folder.");
  const tree = positionals[0]!;
  let report: VerifyReport;
  try {
    report = verifyTree(tree, { cfDir: options["cf-dir"], allowHostnameDelay: options["allow-hostname-delay"] });
  } catch (e) {
    // Setup failures, and file system errors (an unreadable tree, no temp folder): no stack trace.
    if (e instanceof VerifySetupError || typeof (e as NodeJS.ErrnoException).code === "string") {
      process.stderr.write(`policyc verify: ${(e as Error).message}\n`);
      const failed: VerifyReport = {
        tree,
        sendmailVersion: "",
        cfDir: "",
        runMode: "",
        foreignAddress: null,
        notes: [],
        problems: [(e as Error).message],
        results: [],
        ok: false,
      };
      ctx.document = (format) => (format === "json" ? verifyJson(failed) : verifySarif(failed, ctx.version));
      return EXIT_USAGE;
    }
    throw e;
  }
  ctx.document = (format) => (format === "json" ? verifyJson(report) : verifySarif(report, ctx.version));
  if (ctx.format === "human") {
    const text = formatReport(report);
    if (!options.quiet) process.stdout.write(text);
    else if (!report.ok)
      process.stdout.write(
        text
          .split("\n")
          .filter((l) => l.startsWith("FAIL"))
          .map((l) => l + "\n")
          .join(""),
      );
  }
  for (const p of report.problems) process.stderr.write(`policyc verify: ${p}\n`);
  return report.ok ? EXIT_OK : EXIT_ERRORS;
}

/** `policyc verify OUT [--cf-dir DIR]`: args are those after "verify". Returns the exit code. */
export function verifyCommand(args: string[]): number {
  return invoke({ ...verifySpec, run: runVerify }, args) as number;
}
