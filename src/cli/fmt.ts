import { type Dirent, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type Diagnostic, DiagnosticBag, diagnostic } from "../diagnostics/diagnostic.js";
import { Messages } from "../diagnostics/messages.js";
import { decodeSource, parse } from "../syntax/parser.js";
import { errnoWords } from "../diagnostics/errno.js";
import { type CommandContext, type CommandSpec, makeContext } from "./command.js";
import { EXIT_ERRORS, EXIT_OK, EXIT_USAGE, readPolicy, UsageError } from "./io.js";
import { renderPatches } from "../output/patch.js";
import type { Change } from "../output/tree.js";
import { changeJson } from "./report.js";

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

  const unformatted: Change[] = [];
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

  const prettier = await loadPrettier();
  // In dist/policyc.cjs this is dist/prettier.js: the very plugin prettier users load (scripts/bundle.js).
  const plugin: import("prettier").Plugin = (await import("../format/plugin.js")).default;

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
      unformatted.push({ path, kind: "modify", before: file.text, after: formatted });
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
  if (check && ctx.format !== "human") {
    // The machine document lists each file that would change, with the patch formatting would apply.
    const patches = unformatted.length ? await renderPatches(unformatted, { a: "a", b: "b" }) : [];
    ctx.changes = { rule: "format", root: ".", changes: unformatted.map((c, i) => changeJson(c, patches[i]!)) };
  }
  return status;
}

/** What to run to get prettier, in every message about it. */
const INSTALL_PRETTIER = "npm install --save-dev prettier@3 in your project (policyc build, check, diff and verify do not need it)";

/**
 * prettier 3, an optional peer dependency (README "Install"): from beside
 * policyc, else from the current folder's project (a global policyc in a
 * repository that has prettier). Missing or another major version is a usage
 * error (exit 2) that says what to install.
 */
export async function loadPrettier(): Promise<typeof import("prettier")> {
  let prettier: typeof import("prettier") | undefined;
  try {
    prettier = await import("prettier");
  } catch {
    try {
      // node:module is loaded here, not at start-up (README "Performance").
      const { createRequire } = process.getBuiltinModule("node:module") as typeof import("node:module");
      const local = createRequire(join(process.cwd(), "policyc-fmt.js")).resolve("prettier");
      const mod = (await import(pathToFileURL(local).href)) as typeof import("prettier") & { default?: typeof import("prettier") };
      // The project's entry may be prettier's CommonJS one: its exports are the default export.
      prettier = mod.default && typeof mod.default.format === "function" ? mod.default : mod;
    } catch {
      // Neither beside policyc nor in the current project.
    }
  }
  if (!prettier)
    throw new UsageError(`fmt needs prettier 3, an optional peer dependency of policyc, and it is not installed: run ${INSTALL_PRETTIER}.`);
  const version = String((prettier as { version?: unknown }).version ?? "");
  if (!version.startsWith("3."))
    throw new UsageError(`fmt needs prettier 3, but prettier ${version || "of an unknown version"} is installed: run ${INSTALL_PRETTIER}.`);
  return prettier;
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
      return diagnostic(Messages.UnreadableFile, undefined, { path: dir, reason: errnoWords(e) });
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
