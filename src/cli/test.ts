import { writeFileSync } from "node:fs";
import type { AssertionResult } from "../decide/index.js";
import { errnoWords } from "../diagnostics/errno.js";
import { where } from "./answers.js";
import { type CommandContext, type CommandSpec, MAX_WARNINGS_OPTION, TEMPLATES_OPTION } from "./command.js";
import { diagnostic } from "../diagnostics/diagnostic.js";
import { Messages } from "../diagnostics/messages.js";
import { countLine, EXIT_ERRORS, EXIT_OK, EXIT_USAGE, UsageError } from "./io.js";
import type { RealResult } from "./test-real.js";
import { toJson } from "./report.js";

/** `policyc test POLICY [--junit FILE]`: runs the policy's `expect` assertions and reports each. */
export const testCommand: CommandSpec = {
  name: "test",
  synopsis: [
    ["test POLICY [--junit FILE]", "run the policy's expect assertions"],
    ["test --real OUT POLICY", "run them on the real PAM and sendmail against the built tree OUT (root)"],
  ],
  description: `Runs every expect assertion of POLICY on the checked model with the decision
procedure (README "Assertions"), on every host it concerns, and prints one
line per assertion and host. A failed assertion is a diagnostic (PC6001,
PC6002, PC6003) at its line; --format json and sarif carry them like any
diagnostic. --junit FILE also writes a JUnit XML report for CI dashboards.
--real OUT runs the same assertions on the real software against OUT, the
policy's built tree: pamtester in a private mount namespace over a copy of
/etc with the tree laid over it, and check_rcpt in sendmail -bt as verify
runs it; a wrong answer is PC6011. It needs root, unshare, pamtester,
sendmail, m4 and makemap, and says which are missing (PC6012, exit 2).`,
  options: [
    { name: "junit", value: "FILE", help: "also write the results as JUnit XML to FILE" },
    { name: "real", value: "OUT", help: "run the assertions on the real PAM and sendmail against the built tree OUT" },
    MAX_WARNINGS_OPTION,
    TEMPLATES_OPTION,
  ],
  exits: {
    errors: "an assertion failed, or the policy has errors",
    usage: "wrong usage, an unreadable policy file or an unwritable --junit file; --real: what the real run needs is missing",
  },
  takesPolicy: true,
  run: test,
};

async function test(ctx: CommandContext): Promise<number> {
  // Its own closing line, not build's "nothing written": test never writes.
  const compiled = ctx.compile({ closing: false });
  const result = ctx.lastResult;
  const results = result?.assertions ?? [];
  const otherErrors = result ? result.diagnostics.items.some((d) => d.severity === "error" && !/^PC600\d$/.test(d.code)) : true;
  if (!compiled && (otherErrors || !result?.assertions)) {
    if (result && ctx.format === "human") {
      const d = result.diagnostics;
      const asserted = d.items.filter((i) => /^PC600\d$/.test(i.code)).length;
      const others = d.errorCount - asserted;
      const what = `${countLine(others, 0)} in the policy${d.warningCount ? ` (and ${countLine(0, d.warningCount)})` : ""}`;
      process.stderr.write(`policyc: ${what}; ${result.assertions ? "the assertions are not reported" : "the assertions were not run"}.\n`);
    }
    return ctx.exitCode || EXIT_ERRORS;
  }
  if (ctx.options.real !== undefined) return await real(ctx, ctx.options.real, results);
  const failed = results.filter((r) => !r.passed).length;
  if (ctx.options.junit !== undefined) {
    try {
      writeFileSync(ctx.options.junit, junit(result!.program!.root.path, results));
    } catch (e) {
      throw new UsageError(`cannot write ${ctx.options.junit}: ${errnoWords(e)}.`);
    }
  }
  if (ctx.format === "json") {
    ctx.document = () => {
      const doc = JSON.parse(
        toJson({
          diagnostics: result!.diagnostics.sorted(),
          errors: result!.diagnostics.errorCount,
          warnings: result!.diagnostics.warningCount,
          version: ctx.version,
        }),
      );
      doc.assertions = results.map((r) => ({
        location: { file: r.assertion.span.file.path, ...r.assertion.span.file.position(r.assertion.span.start) },
        text: r.assertion.text,
        host: r.host,
        expected: r.assertion.expected,
        actual: r.answer?.decision ?? null,
        passed: r.passed,
        message: r.message,
      }));
      doc.passed = results.length - failed;
      doc.failed = failed;
      return JSON.stringify(doc, null, 2) + "\n";
    };
  }
  if (!ctx.options.quiet || failed) {
    const lines = results
      .filter((r) => !ctx.options.quiet || !r.passed)
      .map((r) => `${r.passed ? "ok  " : "FAIL"}  ${where(r.assertion.span)}  ${r.assertion.text}${r.host ? ` (host ${r.host})` : ""}`);
    if (lines.length) ctx.out(lines.join("\n") + "\n");
  }
  if (results.length === 0) ctx.say(`policyc: ${result!.program!.root.path} has no expect assertions.`);
  else
    ctx.say(
      failed
        ? `policyc: ${failed} of ${results.length} assertion${results.length === 1 ? "" : "s"} FAILED${warned(ctx)}.`
        : `policyc: all ${results.length} assertion${results.length === 1 ? "" : "s"} passed.`,
    );
  return failed ? EXIT_ERRORS : EXIT_OK;
}

/** " (and 1 warning)" at the end of test's closing line, when the policy has warnings. */
function warned(ctx: CommandContext): string {
  const n = ctx.lastResult?.diagnostics.warningCount ?? 0;
  return n ? ` (and ${countLine(0, n)})` : "";
}

/** --real OUT: the assertions on pamtester and sendmail -bt against the built tree. */
async function real(ctx: CommandContext, out: string, results: readonly AssertionResult[]): Promise<number> {
  const result = ctx.lastResult!;
  if (results.length === 0) {
    ctx.say(`policyc: ${result.program!.root.path} has no expect assertions.`);
    return EXIT_OK;
  }
  // Bundled with verify (dist/verify.js), loaded only when --real runs.
  const { RealUnavailableError, runReal } = await import("./verify.js");
  let ran: RealResult[];
  try {
    ran = runReal(out, result.build!, results);
  } catch (e) {
    if (!(e instanceof RealUnavailableError)) throw e;
    ctx.report([diagnostic(Messages.RealUnavailable, undefined, { reason: e.message })]);
    return EXIT_USAGE;
  }
  const failures = ran.flatMap((r) => (r.diagnostic ? [r.diagnostic] : []));
  if (ctx.options.junit !== undefined) {
    // The real answers: a test case passes when the real software answered as expected.
    const asRun = ran.map((r) => ({ ...r.result, passed: r.passed, message: r.diagnostic?.message ?? null }));
    try {
      writeFileSync(ctx.options.junit, junit(result.program!.root.path, asRun));
    } catch (e) {
      throw new UsageError(`cannot write ${ctx.options.junit}: ${errnoWords(e)}.`);
    }
  }
  if (failures.length) ctx.report(failures);
  const failed = failures.length;
  const modelFailed = results.filter((r) => !r.passed).length;
  if (ctx.format === "json") {
    ctx.document = () => {
      const doc = JSON.parse(
        toJson({
          diagnostics: [...result.diagnostics.sorted(), ...failures],
          errors: result.diagnostics.errorCount + failed,
          warnings: result.diagnostics.warningCount,
          version: ctx.version,
        }),
      );
      doc.real = out;
      doc.assertions = ran.map((r) => ({
        location: { file: r.result.assertion.span.file.path, ...r.result.assertion.span.file.position(r.result.assertion.span.start) },
        text: r.result.assertion.text,
        host: r.result.host,
        expected: r.result.assertion.expected,
        actual: r.actual,
        model: r.result.answer?.decision ?? null,
        passed: r.passed,
        output: r.output,
      }));
      doc.passed = ran.length - failed;
      doc.failed = failed;
      return JSON.stringify(doc, null, 2) + "\n";
    };
  }
  const lines = ran
    .filter((r) => !ctx.options.quiet || !r.passed)
    .map(
      (r) =>
        `${r.passed ? "ok  " : "FAIL"}  ${where(r.result.assertion.span)}  ${r.result.assertion.text}${r.result.host ? ` (host ${r.result.host})` : ""}  real ${r.actual}${r.result.passed ? "" : " (the decision procedure disagrees)"}`,
    );
  if (lines.length) ctx.out(lines.join("\n") + "\n");
  const n = ran.length;
  ctx.say(
    failed
      ? `policyc: ${failed} of ${n} assertion${n === 1 ? "" : "s"} FAILED on the real software (${out}).`
      : `policyc: all ${n} assertion${n === 1 ? "" : "s"} passed on the real software (${out}).`,
  );
  return failed || modelFailed ? EXIT_ERRORS : EXIT_OK;
}

const xml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]!);

/** JUnit XML: one test suite (the policy), one test case per assertion and host. */
export function junit(policy: string, results: readonly AssertionResult[]): string {
  const failed = results.filter((r) => !r.passed).length;
  const cases = results.map((r) => {
    const name = `${r.assertion.text}${r.host ? ` (host ${r.host})` : ""}`;
    const head = `    <testcase classname="${xml(policy)}" name="${xml(name)}" file="${xml(r.assertion.span.file.path)}" line="${r.assertion.span.file.position(r.assertion.span.start).line}"`;
    if (r.passed) return `${head}/>`;
    return `${head}>\n      <failure message="${xml(r.message ?? "assertion failed")}" type="${r.answer?.decision ?? "unknown"}">${xml(`${where(r.assertion.span)}: ${r.message ?? ""}`)}</failure>\n    </testcase>`;
  });
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="policyc test" tests="${results.length}" failures="${failed}">`,
    `  <testsuite name="${xml(policy)}" tests="${results.length}" failures="${failed}" errors="0" skipped="0">`,
    ...cases,
    `  </testsuite>`,
    `</testsuites>`,
    "",
  ].join("\n");
}
