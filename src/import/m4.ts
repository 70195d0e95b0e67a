/**
 * A reader for sendmail .mc files as m4 text, without running m4: the .mc of
 * a host is someone else's, and m4 runs commands (esyscmd) and reads files
 * (include). It knows m4's lexical rules with sendmail-cf's defaults (quotes
 * ` and ', `dnl` to the end of the line, `#` comments to the end of the
 * line) and reports each top-level macro call with its arguments, one level
 * of quotes removed. It does not expand anything: a .mc that redefines
 * macros or changes the quotes cannot be read this way, and says so.
 */
import { M4_MACROS } from "../targets/sendmail/m4names.js";

export interface M4Call {
  name: string;
  /** Arguments with leading blanks and one level of quotes removed; undefined without parentheses. */
  args?: string[];
  /** Offsets of the call in the text. */
  start: number;
  end: number;
  /** Inside divert(-1): the text around it is discarded. */
  discarded: boolean;
}

export interface M4Text {
  /** Text outside calls, comments and dnl that sendmail.cf would receive (in divert(0)). */
  text: { value: string; start: number }[];
  calls: M4Call[];
  /** Where the reader gave up (changequote and the like), with why; the rest is not read. */
  stopped?: { at: number; why: string };
}

const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;

/** Reads the quoted string at s[i] === '`'; returns its end (after the matching quote) or -1. */
function quoted(s: string, i: number): number {
  let depth = 0;
  for (let j = i; j < s.length; j++) {
    const c = s[j];
    if (c === "`") depth++;
    else if (c === "'") {
      depth--;
      if (depth === 0) return j + 1;
    }
  }
  return -1;
}

/** Removes one level of quotes from an argument (every outermost `...'), as m4 does when it collects it. */
export function unquote(a: string): string {
  let out = "";
  let i = 0;
  while (i < a.length) {
    if (a[i] === "`") {
      const end = quoted(a, i);
      if (end < 0) return out + a.slice(i);
      out += a.slice(i + 1, end - 1);
      i = end;
    } else out += a[i++];
  }
  return out;
}

/** Reads the arguments of a call whose '(' is at s[i]; returns them (still quoted) and the offset after ')'. */
function readArgs(s: string, i: number): { args: string[]; end: number } | undefined {
  const args: string[] = [];
  let depth = 0;
  let cur = "";
  let j = i + 1;
  let start = true;
  while (j < s.length) {
    const c = s[j]!;
    if (start && /[ \t\n]/.test(c)) {
      j++;
      continue;
    }
    start = false;
    if (c === "`") {
      const end = quoted(s, j);
      if (end < 0) return undefined;
      cur += s.slice(j, end);
      j = end;
      continue;
    }
    if (c === "d" && s.startsWith("dnl", j) && !/[A-Za-z0-9_]/.test(s[j - 1] ?? "") && !/[A-Za-z0-9_]/.test(s[j + 3] ?? "")) {
      // m4 expands an unquoted dnl while it collects an argument: the rest of the line is gone.
      const nl = s.indexOf("\n", j);
      j = nl < 0 ? s.length : nl + 1;
      continue;
    }
    if (c === "#") {
      // m4 copies comments inside arguments as they are.
      const nl = s.indexOf("\n", j);
      const end = nl < 0 ? s.length : nl;
      cur += s.slice(j, end);
      j = end;
      continue;
    }
    if (c === "(") depth++;
    if (c === ")") {
      if (depth === 0) {
        args.push(cur);
        return { args, end: j + 1 };
      }
      depth--;
    }
    if (c === "," && depth === 0) {
      args.push(cur);
      cur = "";
      start = true;
      j++;
      continue;
    }
    cur += c;
    j++;
  }
  return undefined;
}

/** Macros after which this reader cannot know what the rest of the file means. */
const LEXICAL = new Set(["changequote", "changecom", "changeword", "m4wrap", "pushdef", "popdef", "defn", "indir", "builtin"]);

export function readM4(s: string): M4Text {
  const out: M4Text = { text: [], calls: [] };
  let discarded = false;
  let i = 0;
  let textStart = 0;
  let text = "";
  const flush = () => {
    if (text.trim() !== "" && !discarded) out.text.push({ value: text, start: textStart });
    text = "";
  };
  while (i < s.length) {
    const c = s[i]!;
    if (c === "`") {
      const end = quoted(s, i);
      if (end < 0) {
        out.stopped = { at: i, why: "a quote that is never closed" };
        break;
      }
      if (text === "") textStart = i;
      text += s.slice(i + 1, end - 1);
      i = end;
      continue;
    }
    if (c === "#") {
      const nl = s.indexOf("\n", i);
      i = nl < 0 ? s.length : nl + 1;
      continue;
    }
    NAME.lastIndex = i;
    const m = /[A-Za-z_]/.test(c) && (i === 0 || !/[A-Za-z0-9_]/.test(s[i - 1]!)) ? NAME.exec(s) : null;
    if (!m) {
      if (c === "\n") flush();
      else {
        if (text === "") textStart = i;
        text += c;
      }
      i++;
      continue;
    }
    const name = m[0];
    let end = i + name.length;
    if (name === "dnl") {
      const nl = s.indexOf("\n", end);
      i = nl < 0 ? s.length : nl + 1;
      flush();
      continue;
    }
    if (s[end] !== "(" && !M4_MACROS.has(name)) {
      // A word that names no macro is text m4 copies as it is.
      if (text === "") textStart = i;
      text += name;
      i = end;
      continue;
    }
    let args: string[] | undefined;
    if (s[end] === "(") {
      const r = readArgs(s, end);
      if (!r) {
        out.stopped = { at: i, why: `the arguments of ${name} are never closed` };
        break;
      }
      args = r.args.map(unquote);
      end = r.end;
    }
    flush();
    if (LEXICAL.has(name)) {
      out.stopped = { at: i, why: `${name} changes how the rest of the file reads` };
      break;
    }
    out.calls.push({ name, ...(args ? { args } : {}), start: i, end, discarded });
    if (name === "divert") discarded = (args?.[0] ?? "").trim().startsWith("-");
    i = end;
  }
  flush();
  return out;
}
