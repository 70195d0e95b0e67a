import type { Diagnostic, Span } from "./diagnostic.js";

/** Colours for a terminal; identity functions when colour is off. */
export interface Palette {
  error(s: string): string;
  warning(s: string): string;
  bold(s: string): string;
  dim(s: string): string;
}

export const plain: Palette = { error: (s) => s, warning: (s) => s, bold: (s) => s, dim: (s) => s };

/** `path:line:col` of a span's start. */
export function where(span: Span): string {
  const { line, column } = span.file.position(span.start);
  return `${span.file.path}:${line}:${column}`;
}

const TAB = /\t/g;

/**
 * A code frame: the line of the span's start, and carets under the span (up
 * to the end of that line). Tabs are shown as single spaces so carets align;
 * very long lines are cut around the span.
 */
export function codeFrame(span: Span, palette: Palette = plain): string {
  const { line, column } = span.file.position(span.start);
  let text = span.file.lineText(line).replace(TAB, " ");
  let col = column - 1;
  let len = Math.max(1, Math.min(span.end - span.start, text.length - col));
  const WIDTH = 100;
  if (text.length > WIDTH) {
    const from = Math.max(0, Math.min(col - 20, text.length - WIDTH));
    const cut = text.slice(from, from + WIDTH);
    text = (from > 0 ? "..." : "") + cut + (from + WIDTH < text.length ? "..." : "");
    col = col - from + (from > 0 ? 3 : 0);
    len = Math.min(len, WIDTH - (col - (from > 0 ? 3 : 0)));
  }
  const gutter = String(line);
  const pad = " ".repeat(gutter.length);
  return (
    `${palette.dim(` ${gutter} |`)} ${text}\n` +
    `${palette.dim(` ${pad} |`)} ${" ".repeat(Math.max(0, col))}${palette.bold("^".repeat(Math.max(1, len)))}`
  );
}

/** A diagnostic as gcc-style text with a code frame: what a person reads in a terminal or a CI log. */
export function renderDiagnostic(d: Diagnostic, palette: Palette = plain): string {
  const sev = d.severity === "error" ? palette.error("error") : palette.warning("warning");
  const head = `${d.span ? where(d.span) + ": " : "policyc: "}${sev} ${d.code}: ${palette.bold(d.message)}`;
  const parts = [head];
  if (d.span) parts.push(codeFrame(d.span, palette));
  for (const r of d.related ?? []) {
    parts.push(`  ${palette.dim("note:")} ${r.message}${r.span ? ` (${where(r.span)})` : ""}`);
    if (r.span) parts.push(codeFrame(r.span, palette));
  }
  return parts.join("\n");
}
