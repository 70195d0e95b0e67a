import { type DiagnosticBag, format, type Span } from "../diagnostics/diagnostic.js";
import { type MessageArgs, type MessageDef, Messages } from "../diagnostics/messages.js";
import { OVERRIDABLE, type UnsafeOverride } from "./model.js";

/**
 * What every rule is given: where diagnostics go, and the `unsafe`
 * overrides of the model being checked, with a record of which of them a
 * safety check used. The record is read once every rule has run (PC4103),
 * so no rule depends on running before or after another.
 */
export class CheckContext {
  private readonly used = new Set<UnsafeOverride>();

  constructor(
    readonly diagnostics: DiagnosticBag,
    private readonly overrides: readonly UnsafeOverride[],
  ) {}

  /**
   * Reports a safety error unless an `unsafe CODE "reason";` in an enclosing
   * block overrides it, in which case it becomes a warning that still says
   * what is unsafe and why it was allowed, and the override counts as used.
   * README "Safety checks".
   */
  reportSafety<T extends string>(def: MessageDef<T>, span: Span, args: MessageArgs<T>): void {
    const diagnostics = this.diagnostics;
    if ((OVERRIDABLE as readonly string[]).includes(def.code)) {
      const o = this.overrides.find(
        (o) => o.code === def.code && o.scope.file === span.file && o.scope.start <= span.start && span.end <= o.scope.end,
      );
      if (o) {
        this.used.add(o);
        diagnostics.report(Messages.UnsafeAllowed, span, { reason: o.reason, message: `${def.code} ${format(def, args)}` }, [
          { message: "Allowed here.", span: o.span },
        ]);
        return;
      }
      diagnostics.report(def, span, args, [{ message: `If this is really meant, add unsafe ${def.code} "reason"; to this block.` }]);
      return;
    }
    diagnostics.report(def, span, args);
  }

  /**
   * Marks the warnings (from `from` on in the bag) that an `unsafe CODE
   * "reason";` of this model acknowledges, in its block or an enclosing one:
   * they stay in machine output as suppressed and no longer count. README
   * "Safety checks".
   */
  acknowledgeWarnings(from: number): void {
    // Each host's model asks after every warning since the first: a fleet whose
    // hosts take no `unsafe` pays nothing per host, and one that does compares
    // only the warnings of the codes it names.
    if (this.overrides.length === 0) return;
    const codes = new Set(this.overrides.map((o) => o.code));
    const items = this.diagnostics.items;
    for (let i = from; i < items.length; i++) {
      const d = items[i]!;
      if (d.severity !== "warning" || d.suppressed || !d.span || !codes.has(d.code)) continue;
      const span = d.span;
      const o = this.overrides.find(
        (o) => o.code === d.code && o.scope.file === span.file && o.scope.start <= span.start && span.end <= o.scope.end,
      );
      if (!o) continue;
      this.used.add(o);
      this.diagnostics.suppress(d, o.reason, o.span);
    }
  }

  /** Records that a safety check used this override (one replayed from a worker thread). */
  use(o: UnsafeOverride): void {
    this.used.add(o);
  }

  /** The overrides a safety check has used so far. */
  usedOverrides(): UnsafeOverride[] {
    return this.overrides.filter((o) => this.used.has(o));
  }

  /** The overrides no safety check has used so far. */
  unused(): UnsafeOverride[] {
    return this.overrides.filter((o) => !this.used.has(o));
  }
}
