import { fstatSync, writeSync } from "node:fs";
import { type Diagnostic, diagnostic } from "../diagnostics/diagnostic.js";
import { Messages } from "../diagnostics/messages.js";
import { type Palette, plain, renderDiagnostic } from "../diagnostics/render.js";
import { formatBytes, MAX_FILE_BYTES, NotRegularFileError, readCapped, readFailure, readRegularFile } from "../syntax/load.js";

/** Exit codes: success, errors in the policy (or its output), wrong invocation. */
export const EXIT_OK = 0;
export const EXIT_ERRORS = 1;
export const EXIT_USAGE = 2;

/** The mark of a UsageError, the same in every bundle (Symbol.for is process-wide). */
const USAGE_BRAND = Symbol.for("policyc.UsageError");

/**
 * Thrown for a wrong invocation; main prints it with the usage hint and exits 2.
 * `instanceof UsageError` checks the brand, not the class: the lazily loaded
 * bundles (dist/verify.js, dist/lsp.js) each have their own copy of this
 * class, and a usage error thrown in one of them must still be a usage error
 * (exit 2), not an internal error (exit 70).
 */
export class UsageError extends Error {
  readonly [USAGE_BRAND] = true;

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[USAGE_BRAND] === true;
  }
}

/** Colour when stderr (or the stream given) is a terminal, unless NO_COLOR; FORCE_COLOR forces it. */
export function palette(stream?: NodeJS.WriteStream): Palette {
  const force = process.env.FORCE_COLOR;
  const on =
    force !== undefined && force !== ""
      ? force !== "0" && force !== "false"
      : !process.env.NO_COLOR && (stream ? stream.isTTY === true : stderrIsTTY()) && process.env.TERM !== "dumb";
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
  writeStderr(diagnostics.map((d) => renderDiagnostic(d, colours)).join("\n\n") + "\n");
}

// process.stderr is made on first use, and for a pipe (make's, CI's) that
// loads node's net module and a socket: about 4 ms of CPU, a few percent of a
// build's start-up. A build that only prints its warnings writes them to fd 2
// directly, as process.stderr itself does for a pipe or file on Linux
// (synchronously), and asks fstat before asking for a terminal.

/** Whether fd 2 is a terminal: never when it is no character device (a pipe, a file). */
function stderrIsTTY(): boolean {
  try {
    if (!fstatSync(2).isCharacterDevice()) return false;
  } catch {
    return false;
  }
  return process.stderr.isTTY === true;
}

let direct = false;

/**
 * The executable's entry (entry.ts) lets writeStderr use fd 2 itself; code
 * that runs a command in-process (the tests, tools) keeps process.stderr, so
 * what replaces or wraps it still sees every line.
 */
export function stderrDirect(): void {
  direct = true;
}

/** Writes text to stderr; on any error (a non-blocking pipe that is full, a closed one), through process.stderr as before. */
export function writeStderr(text: string): void {
  if (!direct) {
    process.stderr.write(text);
    return;
  }
  const bytes = Buffer.from(text, "utf8");
  let done = 0;
  try {
    while (done < bytes.length) done += writeSync(2, bytes, done, bytes.length - done);
  } catch {
    process.stderr.write(bytes.subarray(done));
  }
}

/** "2 errors and 1 warning" */
export function countLine(errors: number, warnings: number): string {
  const p = (n: number, w: string) => `${n} ${w}${n === 1 ? "" : "s"}`;
  if (errors && warnings) return `${p(errors, "error")} and ${p(warnings, "warning")}`;
  if (errors) return p(errors, "error");
  return p(warnings, "warning");
}
