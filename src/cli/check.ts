import { jobsOf, jobsProblem, MAX_WARNINGS_OPTION, TEMPLATES_OPTION, type CommandSpec } from "./command.js";
import { countLine, EXIT_OK } from "./io.js";

/** `policyc check POLICY`: everything build does but write. */
export const checkCommand: CommandSpec = {
  name: "check",
  synopsis: [["check POLICY", "report problems, write nothing"]],
  description: `Compiles POLICY (a file, or "-" for standard input) and reports every problem
in it, writing nothing. On success it says how many files the policy produces.`,
  options: [
    {
      name: "jobs",
      short: "j",
      value: "N",
      problem: jobsProblem,
      help: 'threads that check the hosts of a fleet of 5,000 hosts or more\n(default 1: see README "Performance")',
    },
    MAX_WARNINGS_OPTION,
    TEMPLATES_OPTION,
  ],
  exits: { errors: "errors in the policy, or more warnings than --max-warnings", usage: "wrong usage or an unreadable policy file" },
  takesPolicy: true,
  run(ctx) {
    // check writes nothing: each host's files are dropped once emitted (a fleet in bounded memory).
    const jobs = jobsOf(ctx.options.jobs);
    const compiled = ctx.compile({ keepFiles: false, jobs });
    if (!compiled) return ctx.exitCode;
    const n = compiled.fileCount;
    const warnings = compiled.result.diagnostics.warningCount;
    const acknowledged = compiled.result.diagnostics.suppressedCount;
    const notes = [warnings ? countLine(0, warnings) : "", acknowledged ? `${acknowledged} acknowledged` : ""].filter(Boolean);
    ctx.say(
      `policyc: ${compiled.program.root.path} is valid${notes.length ? ` (${notes.join(", ")})` : ""}; it produces ${n} file${n === 1 ? "" : "s"}.`,
    );
    return EXIT_OK;
  },
};
