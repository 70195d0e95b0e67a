/**
 * pam.d files as Linux-PAM reads them (libpam/pam_handlers.c): a line ends
 * at its first '#', a line whose last character before trailing blanks is a
 * backslash continues on the next, fields are separated by blanks, and a
 * field that starts with '[' runs to the first ']' not escaped by '\' (a
 * bracket control, or a module argument holding blanks).
 */
import type { HostText } from "./host.js";

export interface PamRule {
  kind: "rule";
  /** "auth", "-session", "@include", ... as written. */
  type: string;
  control: string;
  module: string;
  args: string[];
  /** 0-based index of its first and last physical line. */
  first: number;
  last: number;
  /** A comment after the rule on its (last) line, without the '#'. */
  trailing?: string;
}

export type PamItem =
  | PamRule
  | { kind: "comment"; text: string; first: number; last: number }
  | { kind: "blank"; first: number; last: number }
  | { kind: "bad"; why: string; first: number; last: number };

/** Splits a logical pam.d line into fields; undefined with the reason for a bracket that is never closed. */
export function pamFields(line: string): string[] | string {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /[ \t\n]/.test(line[i]!)) i++;
    if (i >= line.length) break;
    let j = i;
    if (line[i] === "[") {
      j = i + 1;
      while (j < line.length && line[j] !== "]") j += line[j] === "\\" && j + 1 < line.length ? 2 : 1;
      if (j >= line.length) return `the bracket opened at column ${i + 1} is never closed`;
      j++;
      // Linux-PAM ends the field at the bracket; text glued to it would be a field of its own.
      if (j < line.length && !/[ \t\n]/.test(line[j]!)) return `text follows the closing bracket at column ${j} without a blank`;
    } else {
      while (j < line.length && !/[ \t\n]/.test(line[j]!)) j++;
    }
    out.push(line.slice(i, j));
    i = j;
  }
  return out;
}

/** The items of a pam.d file, in order. */
export function readPamd(t: HostText): PamItem[] {
  const items: PamItem[] = [];
  let i = 0;
  while (i < t.lines.length) {
    const first = i;
    const raw = t.lines[i]!;
    const trimmed = raw.trim();
    if (trimmed === "") {
      items.push({ kind: "blank", first, last: i });
      i++;
      continue;
    }
    if (trimmed.startsWith("#")) {
      items.push({ kind: "comment", text: trimmed.slice(1), first, last: i });
      i++;
      continue;
    }
    // Join continued lines: the text before each '#' only.
    let text = "";
    let trailing: string | undefined;
    for (;;) {
      const line = t.lines[i]!;
      const hash = line.indexOf("#");
      const body = hash >= 0 ? line.slice(0, hash) : line;
      if (hash >= 0) trailing = line.slice(hash + 1);
      const stripped = body.replace(/[ \t]+$/, "");
      if (hash < 0 && stripped.endsWith("\\") && i + 1 < t.lines.length) {
        text += stripped.slice(0, -1) + " ";
        i++;
        continue;
      }
      text += body;
      break;
    }
    const last = i;
    i++;
    const fields = pamFields(text);
    if (typeof fields === "string") {
      items.push({ kind: "bad", why: fields, first, last });
      continue;
    }
    const type = fields[0]!;
    if (type === "@include") {
      if (fields.length !== 2) {
        items.push({ kind: "bad", why: "@include takes exactly one file name", first, last });
        continue;
      }
      items.push({
        kind: "rule",
        type,
        control: "",
        module: fields[1]!,
        args: [],
        first,
        last,
        ...(trailing !== undefined ? { trailing } : {}),
      });
      continue;
    }
    if (fields.length < 3) {
      items.push({ kind: "bad", why: "a pam.d rule needs a type, a control and a module", first, last });
      continue;
    }
    items.push({
      kind: "rule",
      type,
      control: fields[1]!,
      module: fields[2]!,
      args: fields.slice(3),
      first,
      last,
      ...(trailing !== undefined ? { trailing } : {}),
    });
  }
  return items;
}

/** A rule as one normalised string, for comparing rules whatever their spacing. */
export function ruleKey(r: PamRule): string {
  return [r.type, r.control, r.module, ...r.args].filter((f) => f !== "").join(" ");
}
