import { compile } from "../compile.js";
import { diffAccess, type AccessChange } from "../decide/index.js";
import type { Build } from "../check/model.js";
import { type CommandContext, type CommandSpec, defaultTemplates, TEMPLATES_OPTION } from "./command.js";
import { diagnostic } from "../diagnostics/diagnostic.js";
import { Messages } from "../diagnostics/messages.js";
import { GitError, gitRevisionSource } from "./git-revision.js";
import { EXIT_ERRORS, EXIT_OK, EXIT_USAGE, readPolicy, UsageError } from "./io.js";

/** `policyc diff-access OLD NEW`: what a change to a policy does to access, in words. */
export const diffAccessCommand: CommandSpec = {
  name: "diff-access",
  synopsis: [
    ["diff-access OLD NEW [--fail-on gain|any]", "what a policy change does to access"],
    ["diff-access --git REV POLICY [--fail-on gain|any]", "what POLICY's change since git revision REV does to access"],
  ],
  description: `Compares the access two versions of a policy give, per host and service, and
says each change in words with its direction: "carol gains sshd on shell1",
"relay networks widen by 65,280 addresses (10.1.0.0/16)", "onerr fail ->
succeed on imap (...): fails open". Entries are compared as sets, so
reordered entries, renamed or split lists and reformatting are no change:
then nothing is printed. --format human (text), markdown (a table for a pull
request comment) or json. --fail-on gain exits 1 when anything is let in
that was not; --fail-on any on every change. --git REV POLICY compares POLICY
as of git revision REV (with the files it included then, read with git, no
checkout) with POLICY as it is now.`,
  options: [
    {
      name: "fail-on",
      value: "WHAT",
      help: "gain: exit 1 when access grows; any: on any change",
      problem: (raw) => (raw === "gain" || raw === "any" ? undefined : `--fail-on takes gain or any, not "${raw}".`),
    },
    { name: "git", value: "REV", help: "the old version is the one POLICY as of git revision REV" },
    TEMPLATES_OPTION,
  ],
  exits: {
    errors: "errors in either policy, or a change --fail-on names",
    usage: "wrong usage, an unreadable policy file, or (--git) no repository, revision or file there",
  },
  takesPolicy: false,
  extraFormats: ["markdown"],
  run: diffAccessRun,
};

function buildOf(ctx: CommandContext, arg: string, rev?: string): Build | undefined {
  let input: ReturnType<typeof readPolicy>;
  let git: ReturnType<typeof gitRevisionSource> | undefined;
  if (rev === undefined) input = readPolicy(arg);
  else {
    try {
      git = gitRevisionSource(rev, arg);
      input = { path: git.shown, bytes: git.bytes };
    } catch (e) {
      if (!(e instanceof GitError)) throw e;
      input = { error: diagnostic(Messages.GitRevisionUnreadable, undefined, { reason: e.message }) };
    }
  }
  if ("error" in input) {
    ctx.report([input.error]);
    ctx.exitCode = EXIT_USAGE;
    return undefined;
  }
  const r = compile(input.path, input.bytes, {
    ...(git && { readFile: git.read, realpath: git.realpath }),
    templates: ctx.options.templates ?? defaultTemplates(),
    skipAssertions: true,
    checkOnly: true,
  });
  const errors = r.diagnostics.items.filter((d) => d.severity === "error");
  if (errors.length || !r.build) {
    ctx.report(errors);
    ctx.exitCode = EXIT_ERRORS;
    return undefined;
  }
  return r.build;
}

const md = (s: string) => s.replace(/\|/g, "\\|");

function diffAccessRun(ctx: CommandContext): number {
  const rev = ctx.options.git;
  if (rev !== undefined && ctx.positionals.length !== 1)
    throw new UsageError(`diff-access --git REV takes one policy file, not ${ctx.positionals.length}: its version at REV is the old one.`);
  if (rev === undefined && ctx.positionals.length !== 2)
    throw new UsageError(`diff-access takes two policy files, OLD and NEW, not ${ctx.positionals.length}.`);
  const failOn = ctx.options["fail-on"];
  const a = rev === undefined ? buildOf(ctx, ctx.positionals[0]!) : buildOf(ctx, ctx.positionals[0]!, rev);
  const b = a && buildOf(ctx, ctx.positionals[rev === undefined ? 1 : 0]!);
  if (!a || !b) return ctx.exitCode;
  const changes = diffAccess(a, b);
  const gains = changes.filter((c) => c.effect === "gain").length;
  const losses = changes.filter((c) => c.effect === "loss").length;
  if (ctx.format === "json") {
    ctx.document = () =>
      JSON.stringify(
        { format: "policyc-access-diff", version: 1, changes, gains, losses, others: changes.length - gains - losses },
        null,
        2,
      ) + "\n";
  } else if (changes.length) {
    // With --format sarif, stdout holds the one SARIF document: the changes, for people, go to stderr.
    (ctx.format === "sarif" ? process.stderr : process.stdout).write(
      (ctx.format as string) === "markdown" ? markdown(changes) : changes.map((c) => `${c.effect.padEnd(6)} ${c.text}`).join("\n") + "\n",
    );
  }
  const failed = failOn === "gain" ? gains > 0 : failOn === "any" ? changes.length > 0 : false;
  return failed ? EXIT_ERRORS : EXIT_OK;
}

function markdown(changes: AccessChange[]): string {
  const hosts = changes.some((c) => c.host !== null);
  const head = hosts ? "| host | scope | effect | change |\n|---|---|---|---|" : "| scope | effect | change |\n|---|---|---|";
  const rows = changes.map((c) => `| ${hosts ? `${md(c.host ?? "(all)")} | ` : ""}${md(c.scope)} | ${c.effect} | ${md(c.text)} |`);
  return [`**Access changes:** ${changes.length}`, "", head, ...rows].join("\n") + "\n";
}
