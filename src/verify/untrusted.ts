/**
 * verify runs someone else's tree: its .mc goes through m4 and its expansion through sendmail,
 * often as root. Nothing in the tree may run a command there. Three layers:
 *
 *  1. scanMc, before anything runs: every m4 name in the .mc, wherever it is (quotes and
 *     comments hide nothing from it: m4 rescans quoted text, and sendmail-cf turns `#`
 *     comments off), is checked against the builtins that run commands, touch files or reach
 *     other macros without naming them, and sendmail-cf's `_CF_DIR_`. Any hit refuses the tree.
 *     The one include verify allows is the cf.m4 line it replaces with its own.
 *  2. M4_PROLOGUE, read by m4 before the .mc: m4 can join names across a macro's expansion
 *     (`ifelse(a,a,`esys')cmd(...)` calls esyscmd), so no scanner of the text alone is sound.
 *     The prologue undefines every builtin that runs a command or writes a file, and `builtin`,
 *     the only way back to an undefined builtin: after it, no text can run a command through m4.
 *     m4 also runs as nobody when verify is root, so a constructed include reads only what
 *     anyone may read.
 *  3. checkCf, on m4's output before sendmail reads it: sendmail runs programs for `K... program`
 *     maps and `F...|program` classes, so maps are limited to types that only read data and
 *     class files to absolute paths (which verify replaces with the tree's copies).
 */

/** Why each refused m4 name is dangerous. */
const REFUSED: Record<string, string> = {
  syscmd: "runs a shell command",
  esyscmd: "runs a shell command",
  include: "reads a file into the configuration",
  sinclude: "reads a file into the configuration",
  undivert: "reads a file into the configuration",
  mkstemp: "creates a file",
  maketemp: "creates a file",
  debugfile: "writes a file",
  debugmode: "changes what m4 traces",
  traceon: "traces macros",
  traceoff: "traces macros",
  m4exit: "stops m4 early",
  indir: "calls a macro without naming it",
  builtin: "calls a builtin without naming it, even an undefined one",
  defn: "copies a macro under another name",
  changeword: "changes what m4 reads as a name",
  changequote: "changes m4's quotes, which can hide names",
  changecom: "changes m4's comments, which can hide names",
  _CF_DIR_: "redirects sendmail-cf's own includes and commands",
};

/** A refused name in the .mc: 1-based line and column. */
export interface McFinding {
  word: string;
  line: number;
  column: number;
  why: string;
}

/**
 * Every refused m4 name in the .mc. `allowedIncludeLine` (0-based) is the line of the cf.m4
 * include that verify replaces; its first `include` is allowed. A first line that starts with
 * `dnl` is skipped: it is read before anything of the .mc can redefine dnl, so m4 discards it
 * (policyc's header, which names the policy, is that line).
 */
export function scanMc(mc: string, allowedIncludeLine: number | null): McFinding[] {
  const findings: McFinding[] = [];
  const lines = mc.split("\n");
  lines.forEach((text, i) => {
    if (i === 0 && /^dnl(?![A-Za-z0-9_])/.test(text)) return;
    let includeAllowed = i === allowedIncludeLine;
    for (const m of text.matchAll(/[A-Za-z_][A-Za-z0-9_]*/g)) {
      const word = m[0];
      if (!Object.hasOwn(REFUSED, word)) continue;
      if (word === "include" && includeAllowed) {
        includeAllowed = false;
        continue;
      }
      findings.push({ word, line: i + 1, column: m.index! + 1, why: REFUSED[word]! });
    }
  });
  return findings;
}

/** The refusal verify prints for findings (at most 10 shown). */
export function describeFindings(mcPath: string, findings: readonly McFinding[]): string {
  const shown = findings.slice(0, 10).map((f) => `  ${mcPath}:${f.line}:${f.column}: "${f.word}" ${f.why}.`);
  if (findings.length > 10) shown.push(`  ... and ${findings.length - 10} more.`);
  return [
    `${mcPath} uses m4 macros that a policyc .mc never needs and that could run commands or read files on this machine; verify runs nothing of it:`,
    ...shown,
  ].join("\n");
}

/** The m4 builtins the prologue undefines: every one that runs a command or writes a file, and `builtin`. */
export const UNDEFINED_BUILTINS = ["syscmd", "esyscmd", "mkstemp", "maketemp", "debugfile", "changeword", "indir", "builtin"];

/**
 * What m4 reads before the .mc. `_NO_MAKEINFO_` keeps sendmail-cf from running its makeinfo.sh
 * (it would need syscmd); `builtin` goes last, since it is the only way back to the others.
 */
export const M4_PROLOGUE =
  "divert(-1)\n" + "define(`_NO_MAKEINFO_')\n" + UNDEFINED_BUILTINS.map((b) => `undefine(\`${b}')\n`).join("") + "divert(0)dnl\n";

/** sendmail map types that only read data (or compute), never run a program or open a socket. */
const SAFE_MAP_TYPES = new Set([
  "hash",
  "btree",
  "dbm",
  "text",
  "host",
  "macro",
  "dequote",
  "arith",
  "regex",
  "null",
  "stab",
  "sequence",
  "switch",
  "user",
  "syslog",
]);

/** Lines of the expanded cf that would make sendmail run a program or reach beyond the tree's data. */
export function checkCf(cf: string): string[] {
  const problems: string[] = [];
  // sendmail joins a line that starts with a space or tab to the one before it.
  const lines = cf.split("\n");
  lines.forEach((line, i) => {
    if (/^[KF]/.test(line) && /^[ \t]/.test(lines[i + 1] ?? "")) {
      problems.push(
        `line ${i + 1} of the expanded sendmail.cf declares a map or class that continues on the next line, which verify does not run: ${line.slice(0, 120)}`,
      );
    }
  });
  lines.forEach((line, i) => {
    const k = /^K(\S+)\s+(\S+)/.exec(line);
    if (k && !SAFE_MAP_TYPES.has(k[2]!.toLowerCase())) {
      problems.push(
        `line ${i + 1} of the expanded sendmail.cf declares map ${k[1]} of type ${k[2]}, which verify does not run (it allows ${[...SAFE_MAP_TYPES].join(", ")}): ${line.slice(0, 120)}`,
      );
    }
    const f = /^F(\w|\{[^}]+\})(?:-o)?\s*(\S)/.exec(line);
    if (f && f[2] !== "/") {
      problems.push(
        `line ${i + 1} of the expanded sendmail.cf loads class ${f[1]} from something other than an absolute file path (a "|" would run a program): ${line.slice(0, 120)}`,
      );
    }
  });
  return problems;
}
