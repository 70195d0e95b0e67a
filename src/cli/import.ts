import { renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { compile } from "../compile.js";
import { DiagnosticBag, type Diagnostic } from "../diagnostics/diagnostic.js";
import { errnoWords } from "../diagnostics/errno.js";
import { Messages } from "../diagnostics/messages.js";
import { importHost, knownPlatforms } from "../import/import.js";
import { type CommandContext, type CommandSpec, defaultTemplates, TEMPLATES_OPTION } from "./command.js";
import { countLine, EXIT_ERRORS, EXIT_OK, EXIT_USAGE, UsageError } from "./io.js";

/** The safety errors a policy may override with `unsafe` (README "Safety checks"). */
const OVERRIDABLE = new Set(["PC4101", "PC4102", "PC4105", "PC4115"]);

/** `policyc import --root DIR [--platform NAME] [-o POLICY] [--allow-lossy]`: a host's files as a policy. */
export const importSpec: CommandSpec = {
  name: "import",
  synopsis: [["import --root DIR [--platform P] [-o POLICY]", "write a policy from a host's pam.d,\naccess lists and sendmail files"]],
  description: `Reads a host's files under DIR (a mounted server root, or a copy of one):
each /etc/pam.d service file with the pam_listfile lists it reads, and
/etc/mail/sendmail.mc (read as m4 text, never run) with the access map,
local-host-names and the SASL config. Writes the policy, formatted as
policyc fmt does, to POLICY or standard output. Anything the policy cannot
hold is a warning naming its file and line under DIR; then nothing is
written and the exit status is 1, unless --allow-lossy, which writes the
policy with a comment where each such line was.`,
  options: [
    { name: "root", value: "DIR", help: "the host's root folder to read (required)" },
    {
      name: "platform",
      value: "NAME",
      help: "debian, redhat, debian-12, ... (default: guessed\nfrom the root's files, else debian)",
      problem: (raw) => (knownPlatforms().includes(raw) ? undefined : `--platform takes ${knownPlatforms().join(", ")}, not "${raw}".`),
    },
    { name: "output", short: "o", value: "POLICY", help: "write the policy here (default: standard output)" },
    { name: "allow-lossy", help: "write the policy even when something could not be\nrepresented (each is a warning and a comment)" },
    TEMPLATES_OPTION,
  ],
  exits: {
    errors: "something could not be represented (without --allow-lossy), the imported policy fails policyc check, or a failed write",
    usage: "wrong usage or an unusable root",
  },
  takesPolicy: false,
  run: runImport,
};

async function runImport(ctx: CommandContext): Promise<number> {
  if (ctx.positionals.length) throw new UsageError(`import takes no arguments but its options, not "${ctx.positionals[0]}".`);
  const root = ctx.options.root;
  if (!root) throw new UsageError("import needs the host's root folder: --root DIR.");
  const output = ctx.options.output;
  if (!output && ctx.format !== "human")
    throw new UsageError(`with --format ${ctx.format}, standard output holds the document: give -o POLICY.`);
  const templates = ctx.options.templates ?? defaultTemplates();
  const result = importHost({ root, templates, ...(ctx.options.platform ? { platform: ctx.options.platform } : {}) });
  ctx.report(result.diagnostics);
  if (result.text === undefined) return EXIT_USAGE;

  // Formatted as policyc fmt formats: prettier and the plugin are loaded only here.
  const prettier = await import("prettier");
  const plugin = (await import("../format/plugin.js")).default;
  const shown = output ?? "imported.policy";
  let text: string;
  try {
    text = await prettier.format(result.text, { filepath: shown, parser: "policyc", plugins: [plugin], endOfLine: "lf" });
  } catch (e) {
    const diagnostics = (e as { diagnostics?: Diagnostic[] }).diagnostics;
    if (!Array.isArray(diagnostics)) throw e;
    throw new Error(`policyc bug: import wrote a policy its own parser refuses: ${diagnostics[0]?.message}\n${result.text}`);
  }

  // The policy must pass check as any policy. A host with what a policy may only allow visibly (an open
  // relay, skippable lists) gets `unsafe CODE` in the block and a warning; anything else is not written.
  let compiled = compile(shown, new TextEncoder().encode(text), { templates });
  let unsafe = 0;
  const errors = compiled.diagnostics.sorted().filter((d) => d.severity === "error");
  if (errors.length && errors.every((d) => OVERRIDABLE.has(d.code) && d.span)) {
    const lines = text.split("\n");
    const add = new Map<number, Diagnostic[]>();
    for (const d of errors) {
      let k = d.span!.file.position(d.span!.start).line - 1;
      while (k > 0 && !/^(service \S+|mail) \{$/.test(lines[k]!)) k--;
      add.set(k, [...(add.get(k) ?? []), d]);
    }
    const bag = new DiagnosticBag();
    for (const [k, ds] of [...add].sort(([a], [b]) => b - a)) {
      const codes = [...new Set(ds.map((d) => d.code))];
      lines.splice(k + 1, 0, ...codes.map((c) => `  unsafe ${c} "imported: the host is configured this way; review it";`));
      for (const d of ds)
        bag.report(Messages.ImportUnsafe, undefined, { code: d.code, block: lines[k]!.replace(/ \{$/, ""), message: d.message });
    }
    const patched = await prettier.format(lines.join("\n"), { filepath: shown, parser: "policyc", plugins: [plugin], endOfLine: "lf" });
    const again = compile(shown, new TextEncoder().encode(patched), { templates });
    if (!again.diagnostics.hasErrors) {
      ctx.report(bag);
      unsafe = bag.warningCount;
      text = patched;
      compiled = again;
    }
  }
  if (compiled.diagnostics.hasErrors) {
    ctx.report(compiled.diagnostics.sorted().filter((d) => d.severity === "error"));
    const bag = new DiagnosticBag();
    bag.report(Messages.ImportNotPolicy, undefined, { count: countLine(compiled.diagnostics.errorCount, 0) });
    ctx.report(bag);
    return EXIT_ERRORS;
  }
  const lossy = result.lossy + unsafe;
  if (lossy > 0 && !ctx.options["allow-lossy"]) {
    if (ctx.format === "human")
      process.stderr.write(
        `policyc: ${countLine(0, lossy)}: not everything could be represented as it is; nothing written (--allow-lossy writes the policy with a comment or an unsafe where each was).\n`,
      );
    return EXIT_ERRORS;
  }
  if (!output) {
    process.stdout.write(text);
  } else {
    // Written whole or not at all: a temporary beside it, renamed over it.
    const tmp = join(dirname(output), `.${basename(output)}.policyc-import-${process.pid}`);
    try {
      writeFileSync(tmp, text, { flag: "wx", mode: 0o644 });
      renameSync(tmp, output);
    } catch (e) {
      rmSync(tmp, { force: true });
      const bag = new DiagnosticBag();
      bag.report(Messages.OutputFailed, undefined, { path: output, reason: errnoWords(e) });
      ctx.report(bag);
      return EXIT_ERRORS;
    }
    ctx.say(`policyc: wrote ${output}${lossy ? ` (${countLine(0, lossy)}: see the comments)` : ""}.`);
  }
  return EXIT_OK;
}
