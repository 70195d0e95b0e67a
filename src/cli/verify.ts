import { parseArgs } from "node:util";
import { DEBIAN_PACKAGES, formatReport, verifyTree, VerifySetupError } from "../verify/verify.js";

const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

export const VERIFY_HELP = `Usage: policyc verify OUT [--cf-dir DIR] [--allow-hostname-delay]

Checks the mail relay configuration of a tree written by "policyc build -o OUT"
on the real sendmail: expands OUT/etc/mail/sendmail.mc with m4, builds the
access map with makemap, and runs sendmail's address test mode (sendmail -bt)
on the check_rcpt ruleset, all in a temp folder; nothing on the host changes.

It checks that a foreign recipient from a foreign client is refused (also
through the %, !, quoted and source-route tricks), that each local domain,
each trusted AUTH mechanism, each "To:" relay domain and each "Connect:"
relay network is accepted, and that offered mechanisms that are not trusted
do not relay. One line per check, then a summary.

The tree may come from someone else: a .mc that names an m4 builtin that
runs commands or touches files (esyscmd, syscmd, include, undivert, defn,
indir, builtin, changequote, ...) is refused before anything runs, m4 runs
with those builtins undefined (as nobody when verify is root), and a cf with
program maps or classes read from a pipe is refused before sendmail reads it.

Options:
  --cf-dir DIR            sendmail-cf's cf folder (holding m4/cf.m4). Default:
                          the folder of the .mc's include line. A Red Hat tree
                          on Debian: --cf-dir /usr/share/sendmail/cf
  --allow-hostname-delay  run sendmail even when it will pause (60 s or more)
                          because this host's name cannot be qualified and no
                          private namespace can give it a qualified one
  -h, --help              show this help

Needs m4, sendmail and makemap (Debian: ${DEBIAN_PACKAGES}).
Exit status: 0 every check passed, 1 a check failed or m4/sendmail reported a
problem, 2 wrong usage, no OUT/etc/mail/sendmail.mc, missing tools, or a
tree refused as unsafe to run.
`;

function usage(message: string): number {
  process.stderr.write(`policyc verify: ${message}\nRun "policyc verify --help" for usage.\n`);
  return EXIT_USAGE;
}

/** `policyc verify OUT [--cf-dir DIR]`: args are those after "verify". Returns the exit code. */
export function verifyCommand(args: string[]): number {
  let values: { "cf-dir"?: string; "allow-hostname-delay"?: boolean; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        "cf-dir": { type: "string" },
        "allow-hostname-delay": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (e) {
    return usage((e as Error).message.replace(/\. To specify a positional argument.*$/s, "."));
  }
  if (values.help) {
    process.stdout.write(VERIFY_HELP);
    return EXIT_OK;
  }
  if (positionals.length !== 1) {
    return usage(positionals.length === 0 ? "needs the output folder of policyc build (OUT)." : `takes one output folder, not ${positionals.length}.`);
  }
  if (values["cf-dir"] === "") return usage("--cf-dir needs a folder.");
  try {
    const report = verifyTree(positionals[0]!, { cfDir: values["cf-dir"], allowHostnameDelay: values["allow-hostname-delay"] });
    process.stdout.write(formatReport(report));
    for (const p of report.problems) process.stderr.write(`policyc verify: ${p}\n`);
    return report.ok ? EXIT_OK : EXIT_FAILED;
  } catch (e) {
    // Setup failures, and file system errors (an unreadable tree, no temp folder): no stack trace.
    if (e instanceof VerifySetupError || typeof (e as NodeJS.ErrnoException).code === "string") {
      process.stderr.write(`policyc verify: ${(e as Error).message}\n`);
      return EXIT_USAGE;
    }
    throw e;
  }
}
