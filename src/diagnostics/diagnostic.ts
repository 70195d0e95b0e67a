import type { SourceFile } from "./source.js";
import { type MessageArgs, type MessageDef, Messages } from "./messages.js";

export type Severity = "error" | "warning";

/** A span of a source file, in UTF-16 offsets. */
export interface Span {
  file: SourceFile;
  start: number;
  end: number;
}

/** One finding about a policy: stable code, severity, a sentence, where. */
export interface Diagnostic {
  code: string;
  severity: Severity;
  message: string;
  /** Absent only for findings about the invocation as a whole (e.g. an unreadable file). */
  span?: Span;
  /** Further sentences, each optionally pointing elsewhere (e.g. the first definition). */
  related?: { message: string; span?: Span }[];
  /** A warning the policy acknowledged with `unsafe CODE "reason";`: kept in machine output as suppressed, not counted, not printed. */
  suppressed?: { justification: string; span: Span };
}

/** Fills a catalogue template: `{name}` is replaced by args[name]. */
export function format<T extends string>(def: MessageDef<T>, args: MessageArgs<T>): string {
  return def.text.replace(/\{(\w+)\}/g, (_, key: string) => {
    const value = (args as Record<string, string | number | undefined>)[key];
    if (value === undefined) throw new Error(`policyc bug: message ${def.code} needs argument "${key}"`);
    return String(value);
  });
}

/** Makes one diagnostic from the catalogue: the only way a Diagnostic is made (DiagnosticBag.report uses it too). */
export function diagnostic<T extends string>(
  def: MessageDef<T>,
  span: Span | undefined,
  args: MessageArgs<T> = {} as MessageArgs<T>,
  related?: Diagnostic["related"],
): Diagnostic {
  const d: Diagnostic = { code: def.code, severity: def.severity, message: format(def, args) };
  if (span) d.span = span;
  if (related) d.related = related;
  return d;
}

/** The maximum number of diagnostics kept; more are counted, not stored. */
export const MAX_DIAGNOSTICS = 100;

/** Collects diagnostics of one run, up to a cap, so that all mistakes show at once. */
export class DiagnosticBag {
  readonly items: Diagnostic[] = [];
  private dropped = 0;
  /**
   * @param cap how many diagnostics are kept (a bag whose findings are added
   *   to another later keeps every one: Infinity).
   * @param onAdd told of every diagnostic added that is no repeat, kept or not.
   */
  constructor(
    private readonly cap: number = MAX_DIAGNOSTICS,
    private readonly onAdd?: (d: Diagnostic) => void,
  ) {}
  errorCount = 0;
  /** Warnings not acknowledged: what --max-warnings counts. */
  warningCount = 0;
  /** Warnings acknowledged in the policy (`unsafe CODE "reason";`). */
  suppressedCount = 0;

  /** Reports a catalogue message at a span. */
  report<T extends string>(
    def: MessageDef<T>,
    span: Span | undefined,
    args: MessageArgs<T> = {} as MessageArgs<T>,
    related?: Diagnostic["related"],
  ): void {
    this.add(diagnostic(def, span, args, related));
  }

  private readonly seen = new Set<string>();

  /** Adds a diagnostic; an identical one (same code, place and message) is dropped: shared statements are checked once per host. */
  add(d: Diagnostic): void {
    const key = `${d.code}\0${d.span ? `${d.span.file.path}\0${d.span.start}\0${d.span.end}` : ""}\0${d.message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    if (d.severity === "error") this.errorCount++;
    else this.warningCount++;
    this.onAdd?.(d);
    if (this.items.length < this.cap) this.items.push(d);
    else this.dropped++;
  }

  /** Marks a warning of this bag as acknowledged by the policy: it no longer counts as a warning. */
  suppress(d: Diagnostic, justification: string, span: Span): void {
    if (d.severity !== "warning" || d.suppressed) return;
    d.suppressed = { justification, span };
    this.warningCount--;
    this.suppressedCount++;
  }

  get hasErrors(): boolean {
    return this.errorCount > 0;
  }

  /** Diagnostics in source order (file, then offset); those without a span first. */
  sorted(): Diagnostic[] {
    const out = this.items.slice();
    out.sort((a, b) => {
      if (!a.span || !b.span) return a.span ? 1 : b.span ? -1 : 0;
      if (a.span.file !== b.span.file) return a.span.file.path < b.span.file.path ? -1 : 1;
      return a.span.start - b.span.start || a.span.end - b.span.end;
    });
    if (this.dropped > 0) {
      out.push({
        code: Messages.TooManyDiagnostics.code,
        severity: "warning",
        message: format(Messages.TooManyDiagnostics, { count: this.dropped }),
      });
    }
    return out;
  }
}
