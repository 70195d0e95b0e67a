import { DEBIAN_PACKAGES } from "../verify/packages.js";
import type { CommandSpec } from "./command.js";

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
  // The runner is bundled apart (dist/verify.js) and loaded only when verify runs.
  run: async (ctx) => (await import("./verify.js")).runVerify(ctx),
};
