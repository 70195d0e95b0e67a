import { type Dirent, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Diagnostic, DiagnosticBag } from "../diagnostics/diagnostic.js";
import { Messages } from "../diagnostics/messages.js";
import { decodeSource, parse } from "../syntax/parser.js";
import { errnoWords } from "../diagnostics/errno.js";
import { type CommandContext, type CommandSpec, makeContext } from "./command.js";
import { EXIT_ERRORS, EXIT_OK, EXIT_USAGE, readPolicy, UsageError } from "./io.js";

/** Options of `policyc fmt`. */
export interface FmtOptions {
  /** Write nothing; list the files that would change and exit 1 if any. */
  check: boolean;
}

export const fmtSpec: CommandSpec = {
  name: "fmt",
  synopsis: [["fmt [--check] FILE|DIR...", "format policies in place; --check lists\nthe files that would change (exit 1)"]],
  description: `Formats policy files in place with policyc's prettier plugin, honouring a
.prettierrc or .editorconfig as prettier itself does. A folder means every
*.policy file under it (.git, .hg, .jj, .sl, .svn and node_modules skipped).
Like prettier, it leaves alone the files that the .gitignore and the
.prettierignore of the current folder match.`,
  options: [
    {
      name: "check",
      help: "write nothing: list the files that would change and exit 1\nif any (on stdout; on stderr with --format json or sarif)",
    },
  ],
  exits: {
    errors: "a syntax error, a file that would change (--check) or a failed write",
    usage: "wrong usage, an unreadable file or prettier configuration",
  },
  takesPolicy: false,
  run: (ctx) => formatFiles(ctx, ctx.positionals, ctx.options.check === true),
};

/**
 * `policyc fmt [--check] FILES...` with plain text output, for callers
 * outside the command line. Throws UsageError for no files or "-".
 */
export function fmtCommand(files: string[], options: FmtOptions): Promise<number> {
  return formatFiles(makeContext(fmtSpec, { check: options.check }, files, "human", ""), files, options.check);
}

/**
 * Formats the files in place. Prettier is imported here, on first use, so
 * that no other command pays for loading it. Returns the exit status: 0 done
 * (or nothing to change), 1 a syntax error, a file that would change
 * (--check) or a failed write, 2 an unreadable file or prettier configuration.
 */
async function formatFiles(ctx: CommandContext, files: string[], check: boolean): Promise<number> {
  if (files.length === 0) throw new UsageError("fmt needs policy files or folders.");
  if (files.includes("-")) throw new UsageError('fmt rewrites files in place; it does not read standard input ("-").');
  let status = EXIT_OK;
  const fail = (code: number) => {
    status = Math.max(status, code);
  };

  const paths = new Set<string>();
  for (const arg of files) {
    const found = expand(arg);
    if ("error" in found) {
      ctx.report([found.error]);
      fail(EXIT_USAGE);
    } else {
      for (const p of found.paths) paths.add(p);
    }
  }

  let prettier: typeof import("prettier");
  let plugin: import("prettier").Plugin;
  try {
    prettier = await import("prettier");
    // In dist/policyc.cjs this is dist/prettier.js: the very plugin prettier users load (scripts/bundle.js).
    plugin = (await import("../format/plugin.js")).default;
  } catch (e) {
    process.stderr.write(`policyc: fmt needs prettier 3 (npm install prettier): ${(e as Error).message}\n`);
    return EXIT_USAGE;
  }

  for (const path of paths) {
    try {
      if (await ignored(prettier, path)) continue;
    } catch (e) {
      process.stderr.write(`policyc: cannot read the ignore files (${IGNORE_FILES.join(", ")}): ${(e as Error).message}\n`);
      fail(EXIT_USAGE);
      continue;
    }
    const input = readPolicy(path);
    if ("error" in input) {
      ctx.report([input.error]);
      fail(EXIT_USAGE);
      continue;
    }
    const bag = new DiagnosticBag();
    const file = decodeSource(input.path, input.bytes, bag);
    if (!file) {
      ctx.report(bag);
      fail(EXIT_ERRORS);
      continue;
    }
    if (file.text.trim() === "") {
      // Prettier returns a blank text without parsing it; the compiler rejects it.
      parse(file, bag);
      ctx.report(bag);
      fail(EXIT_ERRORS);
      continue;
    }
    let config: import("prettier").Options | null;
    try {
      config = await prettier.resolveConfig(path, { editorconfig: true });
    } catch (e) {
      process.stderr.write(`policyc: cannot use the prettier configuration for ${path}: ${(e as Error).message}\n`);
      fail(EXIT_USAGE);
      continue;
    }
    let formatted: string;
    try {
      formatted = await prettier.format(file.text, {
        ...config,
        filepath: input.path,
        parser: "policyc",
        plugins: [plugin],
        // The compiler refuses CR: whatever the configuration says, line ends stay LF.
        endOfLine: "lf",
      });
    } catch (e) {
      const diagnostics = (e as { diagnostics?: Diagnostic[] }).diagnostics;
      if (!Array.isArray(diagnostics)) throw e;
      ctx.report(diagnostics);
      fail(EXIT_ERRORS);
      continue;
    }
    if (formatted === file.text) continue;
    if (check) {
      ctx.out(`${path}\n`);
      fail(EXIT_ERRORS);
      continue;
    }
    try {
      writeFileSync(path, formatted);
    } catch (e) {
      const out = new DiagnosticBag();
      out.report(Messages.OutputFailed, undefined, { path, reason: errnoWords(e) });
      ctx.report(out);
      fail(EXIT_ERRORS);
    }
  }
  return status;
}

/**
 * The ignore files prettier's command line reads by default, in the current
 * folder: the same files, read by prettier's own matcher (getFileInfo), so
 * that fmt and prettier agree on which files are policies to format.
 */
const IGNORE_FILES = [".gitignore", ".prettierignore"];

/** Whether prettier would leave a file alone: matched by an ignore file, or inside node_modules. */
async function ignored(prettier: typeof import("prettier"), path: string): Promise<boolean> {
  return (await prettier.getFileInfo(path, { ignorePath: IGNORE_FILES, resolveConfig: false })).ignored;
}

/** Folders prettier never walks into (its "always ignored" folders of version control, and node_modules). */
const SKIPPED_FOLDERS = new Set([".git", ".sl", ".svn", ".hg", ".jj", "node_modules"]);

/** The files an argument names: itself, or for a folder every *.policy file under it, sorted. */
function expand(arg: string): { paths: string[] } | { error: Diagnostic } {
  let isDirectory = false;
  try {
    isDirectory = statSync(arg).isDirectory();
  } catch {
    // readPolicy reports why the file cannot be read.
  }
  if (!isDirectory) return { paths: [arg] };
  const paths: string[] = [];
  const walk = (dir: string): Diagnostic | undefined => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      const bag = new DiagnosticBag();
      bag.report(Messages.UnreadableFile, undefined, { path: dir, reason: errnoWords(e) });
      return bag.items[0];
    }
    for (const entry of entries) {
      const p = join(dir, entry.name);
      // Folders that tools keep to themselves are not the user's policies; prettier walks every other one, hidden ones too.
      if (entry.isDirectory()) {
        if (SKIPPED_FOLDERS.has(entry.name)) continue;
        const error = walk(p);
        if (error) return error;
      } else if (entry.name.endsWith(".policy") && (entry.isFile() || entry.isSymbolicLink())) {
        paths.push(p);
      }
    }
    return undefined;
  };
  const error = walk(arg);
  if (error) return { error };
  return { paths: paths.sort() };
}
