import { TEMPLATES_OPTION, type CommandSpec } from "./command.js";
import { countLine, EXIT_OK } from "./io.js";

/** `policyc check POLICY`: everything build does but write. */
export const checkCommand: CommandSpec = {
  name: "check",
  synopsis: [["check POLICY", "report problems, write nothing"]],
  description: `Compiles POLICY (a file, or "-" for standard input) and reports every problem
in it, writing nothing. On success it says how many files the policy produces.`,
  options: [TEMPLATES_OPTION],
  exits: { errors: "errors in the policy", usage: "wrong usage or an unreadable policy file" },
  takesPolicy: true,
  run(ctx) {
    const compiled = ctx.compile();
    if (!compiled) return ctx.exitCode;
    const n = compiled.files.length;
    const warnings = compiled.result.diagnostics.warningCount;
    ctx.say(
      `policyc: ${compiled.program.root.path} is valid${warnings ? ` (${countLine(0, warnings)})` : ""}; it produces ${n} file${n === 1 ? "" : "s"}.`,
    );
    return EXIT_OK;
  },
};
