import { type Diagnostic, diagnostic } from "../diagnostics/diagnostic.js";
import { Messages } from "../diagnostics/messages.js";
import { type Palette, plain, renderDiagnostic } from "../diagnostics/render.js";
import { formatBytes, MAX_FILE_BYTES, NotRegularFileError, readCapped, readFailure, readRegularFile } from "../syntax/load.js";

/** Exit codes: success, errors in the policy (or its output), wrong invocation. */
export const EXIT_OK = 0;
export const EXIT_ERRORS = 1;
export const EXIT_USAGE = 2;

/** Thrown for a wrong invocation; main prints it with the usage hint and exits 2. */
export class UsageError extends Error {}

/** Colour when stderr is a terminal, unless NO_COLOR; FORCE_COLOR forces it. */
export function palette(stream: NodeJS.WriteStream = process.stderr): Palette {
  const force = process.env.FORCE_COLOR;
  const on =
    force !== undefined && force !== ""
      ? force !== "0" && force !== "false"
      : !process.env.NO_COLOR && stream.isTTY === true && process.env.TERM !== "dumb";
  if (!on) return plain;
  const wrap = (a: number, b: number) => (s: string) => `\x1b[${a}m${s}\x1b[${b}m`;
  return { error: wrap(31, 39), warning: wrap(33, 39), bold: wrap(1, 22), dim: wrap(2, 22) };
}

/**
 * Reads a policy file, or standard input for "-". Returns the display path and bytes. Only a
 * regular file is read (a FIFO or device would block or never end) and at most
 * MAX_FILE_BYTES of it, standard input included.
 */
export function readPolicy(arg: string): { path: string; bytes: Uint8Array } | { error: Diagnostic } {
  const path = arg === "-" ? "<stdin>" : arg;
  try {
    const bytes = arg === "-" ? readCapped(0, MAX_FILE_BYTES) : readRegularFile(arg, MAX_FILE_BYTES);
    if (bytes.length <= MAX_FILE_BYTES) return { path, bytes };
    return {
      error: diagnostic(Messages.FileTooLarge, undefined, {
        path: arg === "-" ? "standard input" : path,
        limit: formatBytes(MAX_FILE_BYTES),
      }),
    };
  } catch (e) {
    if (e instanceof NotRegularFileError) return { error: diagnostic(Messages.NotRegularFile, undefined, { path, what: e.what }) };
    return { error: diagnostic(Messages.UnreadableFile, undefined, { path, reason: readFailure(e) }) };
  }
}

/** Prints diagnostics to stderr with code frames, then a count line if any. */
export function printDiagnostics(all: Diagnostic[], colours: Palette = palette()): void {
  // Warnings the policy acknowledged (unsafe CODE "reason";) are for machine output only.
  const diagnostics = all.filter((d) => !d.suppressed);
  if (diagnostics.length === 0) return;
  process.stderr.write(diagnostics.map((d) => renderDiagnostic(d, colours)).join("\n\n") + "\n");
}

/** "2 errors and 1 warning" */
export function countLine(errors: number, warnings: number): string {
  const p = (n: number, w: string) => `${n} ${w}${n === 1 ? "" : "s"}`;
  if (errors && warnings) return `${p(errors, "error")} and ${p(warnings, "warning")}`;
  if (errors) return p(errors, "error");
  return p(warnings, "warning");
}
