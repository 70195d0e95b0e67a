import type { CommandSpec, OptionSpec } from "./command.js";
import { optionsOf } from "./help.js";
import { VERSION_OPTION } from "./invoke.js";
import { UsageError } from "./io.js";
import { FORMATS } from "./report.js";

const SHELLS = ["bash", "zsh"] as const;
type Shell = (typeof SHELLS)[number];

/** What a word completes to: policy files, folders, any file, a fixed set of words, or nothing to offer. */
type Kind = { files: "policy" | "dir" | "any" } | { words: readonly string[] } | { none: true };

/** What an option's value completes to, from the value's name in the option table ("DIR", "FORMAT", ...). */
function valueKind(o: OptionSpec, spec: CommandSpec): Kind {
  // The formats the parser accepts for this command: report also takes markdown and csv, diff-access markdown.
  if (o.name === "format") return { words: [...FORMATS, ...(spec.extraFormats ?? [])] };
  if (o.value === "DIR") return { files: "dir" };
  if (o.value && /FILE$/.test(o.value)) return { files: "any" };
  return { none: true };
}

/**
 * What a command's operands complete to, read from its first usage line: the
 * first upper-case word that is not an option's value ("build POLICY -o OUT":
 * POLICY; "verify OUT": a folder; "fmt [--check] FILE|DIR...": any file).
 */
function operandKind(spec: CommandSpec, commands: readonly CommandSpec[]): Kind {
  if (spec.name === "completion") return { words: SHELLS };
  if (spec.name === "help") return { words: commands.map((c) => c.name) };
  const words = (spec.synopsis[0]?.[0] ?? "").replace(/[[\]]/g, "").split(/\s+/).slice(1);
  const takesValue = new Set(optionsOf(spec).flatMap((o) => (o.value ? flags(o) : [])));
  const operand = words.find((w, i) => /^[A-Z][A-Z|.]*$/.test(w) && !takesValue.has(words[i - 1] ?? ""));
  if (operand === "POLICY") return { files: "policy" };
  if (operand === "OUT" || operand === "DIR") return { files: "dir" };
  if (operand) return { files: "any" };
  return { none: true };
}

function flags(o: OptionSpec): string[] {
  return [`--${o.name}`, ...(o.short ? [`-${o.short}`] : [])];
}

/** A bash word list, safe inside double quotes (the words are option and command names). */
function bashWords(words: readonly string[]): string {
  return words.join(" ");
}

/**
 * File names are read one per line (mapfile), never split on spaces by
 * $(...), and -o filenames makes bash quote each as it inserts it
 * ("my\ policy.policy"); _policyc_files takes the word as typed, quotes and
 * backslashes included.
 */
function bashKind(kind: Kind, indent: string): string {
  if ("words" in kind) return `${indent}COMPREPLY=($(compgen -W "${bashWords(kind.words)}" -- "$cur"))`;
  if ("none" in kind) return `${indent}COMPREPLY=()`;
  return `${indent}_policyc_files ${kind.files}`;
}

/** The bash function that completes file names: dir, policy (folders and *.policy) or any. */
const BASH_FILES = [
  "# Files one per line, so that a name with spaces stays one completion.",
  "_policyc_files() {",
  '  local word="$cur"',
  "  # The word as the shell reads it: an opening quote or the backslashes typed come off.",
  '  case "$word" in',
  "    \\'*) word=\"${word#\\'}\" ;;",
  '    \\"*) word="${word#\\"}" ;;',
  '    *) word="${word//\\\\/}" ;;',
  "  esac",
  "  compopt -o filenames 2>/dev/null",
  '  case "$1" in',
  '    dir) mapfile -t COMPREPLY < <(compgen -d -- "$word") ;;',
  '    policy) mapfile -t COMPREPLY < <(compgen -d -- "$word"; compgen -f -X \'!*.policy\' -- "$word") ;;',
  '    *) mapfile -t COMPREPLY < <(compgen -f -- "$word") ;;',
  "  esac",
  "}",
  "",
].join("\n");

/** The bash completion script: `eval "$(policyc completion bash)"`. */
export function bashCompletion(commands: readonly CommandSpec[]): string {
  const all = [...commands, helpPseudo()];
  const valueFlags = new Set<string>();
  for (const c of all) for (const o of optionsOf(c)) if (o.value) flags(o).forEach((f) => valueFlags.add(f));
  const cases = all.map((c) => {
    const opts = optionsOf(c);
    const valueCases = opts
      .filter((o) => o.value)
      .map((o) => `        ${flags(o).join("|")})\n${bashKind(valueKind(o, c), "          ")}\n          return ;;`)
      .join("\n");
    return [
      `    ${c.name})`,
      `      case "$prev" in`,
      ...(valueCases ? [valueCases] : []),
      `      esac`,
      `      if [[ "$cur" == -* ]]; then`,
      `        COMPREPLY=($(compgen -W "${bashWords(opts.flatMap(flags))}" -- "$cur"))`,
      `      else`,
      bashKind(operandKind(c, commands), "        "),
      `      fi`,
      `      ;;`,
    ].join("\n");
  });
  return `# bash completion for policyc, made by "policyc completion bash" from its option tables.
# Load it with: eval "$(policyc completion bash)", or save it as
# /usr/share/bash-completion/completions/policyc (or ~/.local/share/bash-completion/completions/policyc).
${BASH_FILES}_policyc() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" cmd="" i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in
      ${[...valueFlags].join("|")}) ((i++)) ;;
      -*) ;;
      *) cmd="\${COMP_WORDS[i]}"; break ;;
    esac
  done
  case "$cmd" in
    "")
      if [[ "$cur" == -* ]]; then
        COMPREPLY=($(compgen -W "--help -h --${VERSION_OPTION.name} -${VERSION_OPTION.short}" -- "$cur"))
      else
        COMPREPLY=($(compgen -W "${bashWords(all.map((c) => c.name))}" -- "$cur"))
      fi
      ;;
${cases.join("\n")}
  esac
}
complete -F _policyc policyc
`;
}

/** Text for zsh's _arguments descriptions: the first line of the help, without the characters that end or open one. */
function zshText(s: string): string {
  return s
    .replace(/\s*\n\s*/g, " ")
    .replace(/[[\]:]/g, "")
    .replace(/'/g, "'\\''");
}

function zshAction(kind: Kind): string {
  if ("words" in kind) return `(${kind.words.join(" ")})`;
  if ("none" in kind) return " ";
  if (kind.files === "dir") return "_files -/";
  if (kind.files === "policy") return '_files -g "*.policy(-.)"';
  return "_files";
}

/** The zsh completion script: save it as _policyc in a folder of $fpath, or `source <(policyc completion zsh)`. */
export function zshCompletion(commands: readonly CommandSpec[]): string {
  const all = [...commands, helpPseudo()];
  const summary = (c: CommandSpec) => zshText(c.synopsis[0]?.[1] ?? c.name);
  const cases = all.map((c) => {
    const specs = optionsOf(c).map((o) => {
      const names = flags(o);
      const exclusive = names.length > 1 ? `'(${names.join(" ")})'{${names.join(",")}}` : `'${names[0]}`;
      const head = names.length > 1 ? `${exclusive}'` : exclusive;
      const value = o.value ? `:${o.value}:${zshAction(valueKind(o, c))}` : "";
      return `        ${head}[${zshText(o.help)}]${value}'`;
    });
    const operand = operandKind(c, commands);
    const rest =
      "none" in operand ? [] : [`        '*:${c.name === "help" || c.name === "completion" ? "argument" : "file"}:${zshAction(operand)}'`];
    return `    ${c.name})\n      _arguments -s \\\n${[...specs, ...rest].join(" \\\n")}\n      ;;`;
  });
  return `#compdef policyc
# zsh completion for policyc, made by "policyc completion zsh" from its option tables.
# Save it as _policyc in a folder of $fpath (then compinit), or: source <(policyc completion zsh)
_policyc() {
  local -a commands
  commands=(
${all.map((c) => `    '${c.name}:${summary(c)}'`).join("\n")}
  )
  if (( CURRENT == 2 )); then
    if [[ $PREFIX == -* ]]; then
      _arguments '(-h --help)'{-h,--help}'[show help]' '(-V --version)'{-V,--version}'[show the version]'
    else
      _describe -t commands 'policyc command' commands
    fi
    return
  fi
  local cmd=$words[2]
  shift words
  (( CURRENT-- ))
  curcontext="\${curcontext%:*:*}:policyc-$cmd:"
  case $cmd in
${cases.join("\n")}
  esac
}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  _policyc "$@"
else
  compdef _policyc policyc
fi
`;
}

/** `policyc help COMMAND` as the completions see it: a command with one operand, a command name. */
function helpPseudo(): CommandSpec {
  return {
    name: "help",
    synopsis: [["help COMMAND", "that command's usage, options and exit status"]],
    description: "",
    options: [],
    exits: { errors: "", usage: "" },
    takesPolicy: false,
    run: () => 0,
  };
}

/** `policyc completion bash|zsh`: the command, given the table it completes (main.ts's COMMANDS, itself included). */
export function completionCommand(commands: () => readonly CommandSpec[]): CommandSpec {
  return {
    name: "completion",
    synopsis: [["completion bash|zsh", "print a shell completion script"]],
    description: `Prints a completion script for bash or zsh, made from the same tables as the
help: commands, their options, option values (--format's words, folders for
DIR, policy files for POLICY). Load it in bash with
    eval "$(policyc completion bash)"
or save it as /usr/share/bash-completion/completions/policyc; in zsh, save
the output of "policyc completion zsh" as _policyc in a folder of $fpath.`,
    options: [],
    exits: { errors: "(not used)", usage: "wrong usage (a shell other than bash or zsh)" },
    noFormat: true,
    takesPolicy: false,
    run(ctx) {
      const [shell, ...rest] = ctx.positionals;
      if (!shell || rest.length || !SHELLS.includes(shell as Shell)) {
        throw new UsageError(`completion takes one shell: ${SHELLS.join(" or ")}${shell ? `, not ${[shell, ...rest].join(" ")}` : ""}.`);
      }
      if (ctx.format !== "human") throw new UsageError("completion prints a shell script; --format does not apply to it.");
      process.stdout.write(shell === "bash" ? bashCompletion(commands()) : zshCompletion(commands()));
      return 0;
    },
  };
}
