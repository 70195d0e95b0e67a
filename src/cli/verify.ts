import { DEBIAN_PACKAGES, formatReport, type VerifyReport, verifyTree, VerifySetupError } from "../verify/verify.js";
import type { CommandContext, CommandSpec } from "./command.js";
import { EXIT_ERRORS, EXIT_OK, EXIT_USAGE, UsageError } from "./io.js";
import { invoke } from "./invoke.js";

export const verifySpec: CommandSpec = {
  name: "verify",
  synopsis: [["verify OUT [--cf-dir DIR]", "run OUT's sendmail files in sendmail's own\naddress test mode: no open relay, trusted\nAUTH relays"]],
  description: `Checks the mail relay configuration of a tree written by "policyc build -o OUT"
on the real sendmail: expands OUT/etc/mail/sendmail.mc with m4, builds the
access map with makemap, and runs sendmail's address test mode (sendmail -bt)
on the check_rcpt ruleset, all in a temp folder; nothing on the host changes.

It checks that a foreign recipient from a foreign client is refused (also
through the %, !, quoted and source-route tricks), that each local domain,
each trusted AUTH mechanism, each "To:" relay domain and each "Connect:"
relay network is accepted, and that offered mechanisms that are not trusted
do not relay. One line per check, then a summary. With --format json (or
sarif) the checks are one document on stdout instead; with --quiet only
failed checks and problems are printed.

The tree may come from someone else: a .mc that names an m4 builtin that
runs commands or touches files (esyscmd, syscmd, include, undivert, defn,
indir, builtin, changequote, ...) is refused before anything runs, m4 runs
with those builtins undefined (as nobody when verify is root), and a cf with
program maps or classes read from a pipe is refused before sendmail reads it.

Needs m4, sendmail and makemap (Debian: ${DEBIAN_PACKAGES}).`,
  options: [
    {
      name: "cf-dir",
      value: "DIR",
      help: "sendmail-cf's cf folder (holding m4/cf.m4).\nDefault: the folder of the .mc's include line.\nA Red Hat tree on Debian: --cf-dir /usr/share/sendmail/cf",
    },
    {
      name: "allow-hostname-delay",
      help: "run sendmail even when it will pause (60 s or more)\nbecause this host's name cannot be qualified and no\nprivate namespace can give it a qualified one",
    },
  ],
  exits: {
    errors: "a check failed or m4/sendmail reported a problem",
    usage: "wrong usage, no OUT/etc/mail/sendmail.mc, missing tools, or a tree refused as unsafe to run",
  },
  takesPolicy: false,
  voice: "policyc verify",
  run: verify,
};

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

function verify(ctx: CommandContext): number {
  const { options, positionals } = ctx;
  if (positionals.length !== 1) {
    throw new UsageError(positionals.length === 0 ? "needs the output folder of policyc build (OUT)." : `takes one output folder, not ${positionals.length}.`);
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
      const failed: VerifyReport = { tree, sendmailVersion: "", cfDir: "", runMode: "", foreignAddress: null, notes: [], problems: [(e as Error).message], results: [], ok: false };
      ctx.document = (format) => (format === "json" ? verifyJson(failed) : verifySarif(failed, ctx.version));
      return EXIT_USAGE;
    }
    throw e;
  }
  ctx.document = (format) => (format === "json" ? verifyJson(report) : verifySarif(report, ctx.version));
  if (ctx.format === "human") {
    const text = formatReport(report);
    if (!options.quiet) process.stdout.write(text);
    else if (!report.ok) process.stdout.write(text.split("\n").filter((l) => l.startsWith("FAIL")).map((l) => l + "\n").join(""));
  }
  for (const p of report.problems) process.stderr.write(`policyc verify: ${p}\n`);
  return report.ok ? EXIT_OK : EXIT_ERRORS;
}

/** `policyc verify OUT [--cf-dir DIR]`: args are those after "verify". Returns the exit code. */
export function verifyCommand(args: string[]): number {
  return invoke(verifySpec, args) as number;
}
