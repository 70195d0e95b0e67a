/**
 * Reading a host's files for `policyc import`: the folder given as --root is
 * someone else's, so only regular files inside it are read (no link is
 * followed out of it), at most MAX_IMPORT_BYTES each, and only UTF-8 text
 * without NUL bytes. Everything else is a warning (PC7006) naming the file by
 * its path under the root, never a crash.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, statSync } from "node:fs";
import { join } from "node:path";
import type { DiagnosticBag, Span } from "../diagnostics/diagnostic.js";
import { errnoWords } from "../diagnostics/errno.js";
import { Messages } from "../diagnostics/messages.js";
import { SourceFile } from "../diagnostics/source.js";
import { firstHidden, TEXT_CONTROLS } from "../syntax/chars.js";

/** The most import reads of one host file: a pam.d file, list or .mc is far smaller. */
export const MAX_IMPORT_BYTES = 16 * 1024 * 1024;

/** A host file read as text, with its path under the root (the name diagnostics use). */
export interface HostText {
  file: SourceFile;
  /** The file's lines without their line ends, and where each starts. */
  lines: string[];
  starts: number[];
}

export class HostFiles {
  /** Files that could not be read, each with why (for a comment in the policy). */
  readonly skipped: string[] = [];

  constructor(
    readonly root: string,
    readonly diagnostics: DiagnosticBag,
  ) {}

  /** Does a regular file exist at this path under the root (no link followed)? */
  exists(rel: string): boolean {
    return this.kind(rel) === "file";
  }

  /** "file", "dir", "other" or undefined (missing), without following a link anywhere on the path. */
  kind(rel: string): "file" | "dir" | "other" | undefined {
    let path = this.root;
    const parts = rel.split("/").filter((p) => p !== "" && p !== ".");
    if (parts.includes("..")) return "other";
    try {
      // The root itself may be a link: it is the path the user gave.
      if (!statSync(this.root).isDirectory()) return undefined;
      for (let i = 0; i < parts.length; i++) {
        path = join(path, parts[i]!);
        const st = lstatSync(path);
        if (st.isSymbolicLink()) return "other";
        if (i < parts.length - 1 && !st.isDirectory()) return undefined;
        if (i === parts.length - 1) return st.isFile() ? "file" : st.isDirectory() ? "dir" : "other";
      }
      return "dir";
    } catch {
      return undefined;
    }
  }

  /**
   * Reads a host file as text, or reports why not (PC7006, at `where` when a
   * line of another host file names it) and returns undefined. A missing file
   * is reported only when `required`.
   */
  read(rel: string, opts: { where?: Span; required?: boolean } = {}): HostText | undefined {
    const skip = (why: string) => {
      this.diagnostics.report(Messages.ImportUnreadable, opts.where, { path: rel, why });
      this.skipped.push(`${rel} (${why})`);
      return undefined;
    };
    const kind = this.kind(rel);
    if (kind === undefined) return opts.required ? skip("there is no such file under the root") : undefined;
    if (kind !== "file") return skip("it is not a regular file (a link, folder, FIFO or device is never read)");
    let fd: number;
    try {
      fd = openSync(join(this.root, rel), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (e) {
      return skip(errnoWords(e));
    }
    let bytes: Buffer;
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) return skip("it is not a regular file");
      if (st.size > MAX_IMPORT_BYTES)
        return skip(`it is larger than ${MAX_IMPORT_BYTES / 1024 / 1024} MiB, the most import reads of one file`);
      bytes = Buffer.alloc(st.size);
      let got = 0;
      while (got < st.size) {
        const n = readSync(fd, bytes, got, st.size - got, null);
        if (n === 0) break;
        got += n;
      }
      bytes = bytes.subarray(0, got);
    } catch (e) {
      return skip(errnoWords(e));
    } finally {
      closeSync(fd);
    }
    if (bytes.includes(0)) return skip("it is binary (it holds NUL bytes), not text");
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      return skip("it is not UTF-8 text");
    }
    text = text.replace(/\r\n/g, "\n");
    const file = new SourceFile(rel, text);
    const lines = text.split("\n");
    if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
    const starts: number[] = [];
    let at = 0;
    for (const l of lines) {
      starts.push(at);
      at += l.length + 1;
    }
    return { file, lines, starts };
  }
}

/** The span of line i (0-based) of a host file. */
export function lineSpan(t: HostText, i: number): Span {
  const start = t.starts[i] ?? t.file.text.length;
  return { file: t.file, start, end: start + Math.min((t.lines[i] ?? "").length, 1) };
}

/** Host text made safe for a policy comment: one line, no hidden characters, not endless. */
export function commentText(s: string): string {
  let out = "";
  for (const ch of s.length > 400 ? s.slice(0, 400) : s) {
    out += firstHidden(ch, [0x09]) ? "?" : ch === "\t" ? " " : ch;
  }
  if (s.length > 400) out += ` ... (${s.length} characters in all)`;
  return out.replace(/\s+$/, "");
}

/** Characters of a bare word in the policy language. */
const WORD = /^[A-Za-z0-9_.\/:@+-]+$/;

/** A value as the policy writes it: a bare word when it is one, else a quoted string with escapes. */
export function policyValue(s: string): string {
  if (WORD.test(s)) return s;
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === "\\") out += "\\\\";
    else if (ch === '"') out += '\\"';
    else if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (
      firstHidden(
        ch,
        TEXT_CONTROLS.filter((c) => c !== 0x09 && c !== 0x0a),
      )
    )
      out += cp <= 0xff ? `\\x${cp.toString(16).padStart(2, "0")}` : `\\u{${cp.toString(16)}}`;
    else out += ch;
  }
  return out + '"';
}

/** Is this a bare word of the policy language? */
export function isWord(s: string): boolean {
  return WORD.test(s);
}
