import { COMMON_OPTIONS, type CommandSpec, type OptionSpec } from "./command.js";
import { EXIT_ERRORS, EXIT_OK, EXIT_USAGE } from "./io.js";

/** A command's options: its own, then the common ones. */
export function optionsOf(spec: CommandSpec): OptionSpec[] {
  const common = COMMON_OPTIONS.filter((o) => !(spec.noFormat && o.name === "format"));
  return [...spec.options, ...common.map((o) => (o.name === "format" && spec.extraFormats?.length ? formatOption(spec.extraFormats) : o))];
}

/** --format's row for a command that prints more formats than human, json and sarif (report, diff-access). */
function formatOption(extra: readonly string[]): OptionSpec {
  const words = ["json", "sarif", ...extra];
  return {
    name: "format",
    value: "FORMAT",
    help: `human (the default, on stderr), ${words.slice(0, -1).join(", ")}\nor ${words[words.length - 1]} (one document on stdout)`,
  };
}

/** "-o, --output DIR" */
export function flagOf(o: OptionSpec): string {
  return `${o.short ? `-${o.short}, ` : "    "}--${o.name}${o.value ? ` ${o.value}` : ""}`;
}

function table(rows: Array<[string, string]>): string {
  const width = Math.max(...rows.map(([a]) => a.length)) + 2;
  return rows
    .map(([a, b]) =>
      b
        .split("\n")
        .map((line, i) => `  ${(i === 0 ? a : "").padEnd(width)}${line}`)
        .join("\n"),
    )
    .join("\n");
}

/** Words filled into lines of at most 78 characters. */
function wrap(text: string): string {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && line.length + 1 + word.length > 78) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, line].join("\n");
}

/** "Exit status: 0 success, 1 ..., 2 ...": the numbers are io.ts's, the words the command's. */
export function exitLine(spec: CommandSpec): string {
  // A code stays on the line of its first word.
  return wrap(
    `Exit status: ${EXIT_OK}\u00a0success, ${EXIT_ERRORS}\u00a0${spec.exits.errors}, ${EXIT_USAGE}\u00a0${spec.exits.usage}.`,
  ).replace(/\u00a0/g, " ");
}

/** `policyc COMMAND --help`, made from the table the parser uses. */
export function commandHelp(spec: CommandSpec): string {
  const usage = spec.synopsis.map(([u], i) => `${i === 0 ? "Usage: " : "       "}policyc ${u}`).join("\n");
  const options = table(optionsOf(spec).map((o) => [flagOf(o), o.help]));
  return `${usage}\n\n${spec.description.trim()}\n\nOptions:\n${options}\n\n${exitLine(spec)}\n`;
}

/** `policyc --help`: every command in one line or two, and where to read more. */
export function globalHelp(commands: readonly CommandSpec[], version: string): string {
  const rows: Array<[string, string]> = commands.flatMap((c) => c.synopsis.map(([u, s]): [string, string] => [`policyc ${u}`, s]));
  rows.push(["policyc help COMMAND", "that command's usage, options and exit status"], ["policyc --help | --version", ""]);
  return `policyc ${version}: compile a host access and mail-relay policy into
Linux-PAM service files, pam_listfile access lists and a sendmail .mc.

Usage:
${table(rows).replace(/ +$/gm, "")}

POLICY may be "-" for standard input. OUT mirrors the target host's root:
OUT/etc/pam.d/SERVICE, OUT/<list file path>, OUT/etc/mail/sendmail.mc, ...
A policy with host blocks writes OUT/HOST/... for each host.

Every command takes:
${table(COMMON_OPTIONS.map((o) => [flagOf(o), o.help]))}
"policyc COMMAND --help" (or -h, or "policyc help COMMAND") lists the others.
completion, which prints a script, and lsp, whose stdout is the protocol's,
take no --format.

Colour is used on a terminal unless NO_COLOR is set; FORCE_COLOR forces it.
Exit status: ${EXIT_OK} success, ${EXIT_ERRORS} errors in the policy, a failed write, an out-of-date
tree (--check), drift (diff), a failed verify check or a file fmt would
change, ${EXIT_USAGE} wrong usage or unreadable input.
`;
}
