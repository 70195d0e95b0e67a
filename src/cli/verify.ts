import { formatReport, type VerifyReport, verifyTree, VerifySetupError } from "../verify/verify.js";
import type { CommandContext } from "./command.js";
import { EXIT_ERRORS, EXIT_OK, EXIT_USAGE } from "./io.js";
import { invoke } from "./invoke.js";
import { artifactUri, fingerprint, sarifLog, sarifRule } from "./report.js";
import { verifySpec, verifyUsage } from "./verify-spec.js";

// test --real runs with verify's sendmail -bt, in verify's bundle.
export { RealUnavailableError, runReal } from "./test-real.js";

/** The JSON form of a run: the report as verifyTree returns it, under a format and version. */
function verifyJson(report: VerifyReport): string {
  return JSON.stringify({ format: "policyc-verify", version: 1, ...report }, null, 2) + "\n";
}

/** SARIF 2.1.0: one result per failed check and per problem, each at the tree's sendmail.mc (GitHub needs a location, GH1015). */
function verifySarif(report: VerifyReport, version: string): string {
  const mc = artifactUri(`${report.tree.replace(/\/+$/, "")}/etc/mail/sendmail.mc`);
  const at = [{ physicalLocation: { artifactLocation: { uri: mc } } }];
  const failed = report.results.filter((r) => !r.ok);
  const results = [
    ...failed.map((r) => ({
      ruleId: `verify/${r.group}`,
      level: "error",
      message: { text: `${r.title}: ${r.outcome}, expected ${r.expect}: ${r.summary}` },
      locations: at,
      partialFingerprints: fingerprint(`verify/${r.group}`, mc, r.title),
    })),
    ...report.problems.map((p) => ({
      ruleId: "verify/problem",
      level: "error",
      message: { text: p },
      locations: at,
      partialFingerprints: fingerprint("verify/problem", mc, p),
    })),
  ];
  const rules = [...new Set(results.map((r) => r.ruleId))]
    .sort()
    .map((id) =>
      id === "verify/problem"
        ? sarifRule(
            id,
            "error",
            "policyc verify could not run sendmail on the tree, or m4 or sendmail reported a problem",
            "verify expands the tree's sendmail.mc with m4, builds its access map and runs sendmail's address test mode; a warning of m4, an unsafe construct in the tree or a missing tool is a problem.",
            "Command line",
            "command-line",
          )
        : sarifRule(
            id,
            "error",
            `A sendmail check of the ${id.slice("verify/".length)} group failed`,
            `verify ran sendmail's check_rcpt ruleset (sendmail -bt) on the tree and the answer was not the one the policy requires: a foreign recipient must be refused, local recipients, trusted AUTH mechanisms, relay domains and relay networks accepted.`,
            "Command line",
            "command-line",
          ),
    );
  return sarifLog(version, rules, results);
}

/** Runs verify on a parsed command line (the command's run, loaded on first use). */
export function runVerify(ctx: CommandContext): number {
  const { options } = ctx;
  const { tree, limit } = verifyUsage(ctx);
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
  if (limit !== undefined && report.notes.length > limit) {
    // A problem like m4's: in every format, and the run fails (exit 1).
    const n = report.notes.length;
    report = {
      ...report,
      ok: false,
      problems: [...report.problems, `${n} note${n === 1 ? "" : "s"}, more than --max-warnings ${limit} allows.`],
    };
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
