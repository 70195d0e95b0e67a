import { DEBIAN_PACKAGES } from "../verify/packages.js";
import { type CommandContext, type CommandSpec, MAX_WARNINGS_OPTION, maxWarnings } from "./command.js";
import { UsageError } from "./io.js";

/** `policyc verify OUT [--cf-dir DIR]`: its usage and options; src/cli/verify.ts runs it. */
export const verifySpec: CommandSpec = {
  name: "verify",
  synopsis: [
    ["verify OUT [--cf-dir DIR]", "run OUT's sendmail files in sendmail's own\naddress test mode: no open relay, trusted\nAUTH relays"],
  ],
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
failed checks and problems are printed. Its warnings are its notes (a check
it could not make as asked, a map the tree lacks, m4 run as root): with
--max-warnings N, more than N notes are a problem (exit 1).

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
    { ...MAX_WARNINGS_OPTION, help: "fail (exit 1) with more than N notes" },
  ],
  exits: {
    errors: "a check failed, m4/sendmail reported a problem, or more notes than --max-warnings",
    usage: "wrong usage, no OUT/etc/mail/sendmail.mc, missing tools, or a tree refused as unsafe to run",
  },
  takesPolicy: false,
  // The runner is bundled apart (dist/verify.js) and loaded only when verify runs. Its usage is
  // checked here first, before that bundle loads (its UsageError, another copy of the class, is recognised by its brand too).
  run: async (ctx) => {
    verifyUsage(ctx);
    return (await import("./verify.js")).runVerify(ctx);
  },
};

/** verify's arguments: one OUT, a --cf-dir that names something, a whole --max-warnings; a UsageError otherwise. */
export function verifyUsage(ctx: CommandContext): { tree: string; limit: number | undefined } {
  const { options, positionals } = ctx;
  if (positionals.length !== 1) {
    throw new UsageError(
      positionals.length === 0
        ? "verify needs the output folder of policyc build (OUT)."
        : `verify takes one output folder, not ${positionals.length}.`,
    );
  }
  if (options["cf-dir"] === "") throw new UsageError("--cf-dir needs a folder.");
  return { tree: positionals[0]!, limit: maxWarnings(options) };
}
