/**
 * What hovers say about statements, settings and diagnostic codes: the
 * README's own tables ("Statements", "Inside `service NAME { }`", "Inside
 * `acl`", "Inside `mail { }`", "Safety checks", "Diagnostic codes"), read
 * from the README shipped beside the bundle. The README is the one place
 * these meanings are written; the server never keeps a second copy.
 */
import { readFileSync } from "node:fs";

/** One row of a README table: the keys its first column names, and its text. */
export interface DocRow {
  keys: string[];
  /** The first column as written. */
  head: string;
  /** The other columns, joined. */
  text: string;
  table: string;
}

export interface Docs {
  /** Rows of the statement and setting tables. */
  settings: DocRow[];
  /** Diagnostic code -> severity and meaning (the codes table), and the safety table's row when there is one. */
  codes: Map<string, { severity: string; meaning: string; detail?: string }>;
}

const SETTING_TABLES = ["Statements", "Inside `service NAME { }`", "Inside `mail { }`"];

/** Reads the tables of a README text. */
export function parseDocs(readme: string): Docs {
  const settings: DocRow[] = [];
  const codes: Docs["codes"] = new Map();
  const safety = new Map<string, string>();
  let heading = "";
  let paragraph = "";
  for (const line of readme.split("\n")) {
    const h = /^#+ (.*)$/.exec(line);
    if (h) {
      heading = h[1]!.trim();
      paragraph = "";
      continue;
    }
    if (!line.startsWith("|")) {
      if (line.trim() !== "") paragraph = line.trim();
      continue;
    }
    const cells = splitRow(line);
    if (cells.length < 2 || /^-+$/.test(cells[0]!) || cells[0] === "statement" || cells[0] === "setting" || cells[0] === "code") continue;
    const table = paragraph.startsWith("Inside `acl`") ? "Inside `acl`" : heading;
    if (SETTING_TABLES.includes(heading) || table === "Inside `acl`") {
      settings.push({ keys: keysOf(cells[0]!), head: cells[0]!, text: cells.slice(1).join(" "), table });
    } else if (heading === "Diagnostic codes" && /^PC\d{4}$/.test(cells[0]!)) {
      codes.set(cells[0]!, { severity: cells[1]!, meaning: cells[2] ?? "" });
    } else if (heading === "Safety checks") {
      for (const code of cells[0]!.match(/PC\d{4}/g) ?? []) safety.set(code, cells.slice(1).join(" "));
    }
  }
  for (const [code, detail] of safety) {
    const c = codes.get(code);
    if (c) c.detail = detail;
  }
  return { settings, codes };
}

/**
 * The cells of a markdown table row. A "|" inside backquotes is text; when
 * the backquotes of a row do not pair up (`DAEMON_OPTIONS(\`Port=...')`
 * quotes m4's way), the cells after the first are split at every "|".
 */
function splitRow(line: string): string[] {
  const cells: string[] = [];
  let cell = "";
  let code = false;
  let firstEnd = -1;
  for (let i = 1; i < line.length; i++) {
    const c = line[i]!;
    if (c === "`") code = !code;
    if (c === "|" && !code) {
      cells.push(cell.trim());
      if (firstEnd === -1) firstEnd = i;
      cell = "";
    } else cell += c;
  }
  if (!code || firstEnd === -1) return cells;
  const rest = line.slice(firstEnd + 1).replace(/\|\s*$/, "");
  return [cells[0]!, ...rest.split("|").map((c) => c.trim())];
}

/**
 * The setting keys a first column names: each code span's leading lower-case
 * words (`auth mechanisms MECH, ...;` -> "auth mechanisms", `onerr fail;` ->
 * "onerr fail"); ITEM, SENSE and FILE name the acl's head words.
 */
function keysOf(head: string): string[] {
  const keys: string[] = [];
  if (/^[A-Z]+$/.test(head)) return [head];
  for (const m of head.matchAll(/`([^`]*)`/g)) {
    const words: string[] = [];
    for (const w of m[1]!.replace(/;$/, "").split(/\s+/)) {
      if (!/^[a-z][a-z-]*;?$/.test(w)) break;
      words.push(w.replace(/;$/, ""));
    }
    if (words.length > 0) keys.push(words.join(" "));
    else if (/^KIND NAME/.test(m[1]!)) keys.push("KIND");
  }
  return keys;
}

/** The row for a setting or statement key ("auth mechanisms", "onerr", "KIND"): exact first, then by prefix. */
export function settingDoc(docs: Docs, key: string, tables?: readonly string[]): DocRow | undefined {
  const rows = tables ? docs.settings.filter((r) => tables.includes(r.table)) : docs.settings;
  return rows.find((r) => r.keys.includes(key)) ?? rows.find((r) => r.keys.some((k) => k.startsWith(key + " ") || key.startsWith(k + " ")));
}

let cached: Docs | undefined;

/** The README beside the bundle (dist/../README.md), read once; empty tables when it is missing. */
export function readmeDocs(): Docs {
  if (cached) return cached;
  let text = "";
  try {
    text = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  } catch {
    // Without the README, hovers say only what the compiler knows.
  }
  cached = parseDocs(text);
  return cached;
}
