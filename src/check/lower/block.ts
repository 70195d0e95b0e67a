/**
 * What every block's lowering shares: the file the block is in (fixed when
 * the lowering is made, so a span can never name another file), the policy's
 * lists, the `unsafe` overrides collected so far and the diagnostics.
 */
import type { DiagnosticBag, Span } from "../../diagnostics/diagnostic.js";
import { Messages } from "../../diagnostics/messages.js";
import type { SourceFile } from "../../diagnostics/source.js";
import type { ListKind, Setting, Value } from "../../syntax/ast.js";
import { ACKNOWLEDGEABLE, type EntryList, OVERRIDABLE, type UnsafeOverride } from "../model.js";
import type { ListScope } from "./lists.js";

export class BlockLowering {
  constructor(
    protected readonly file: SourceFile,
    protected readonly lists: ListScope,
    protected readonly overrides: UnsafeOverride[],
    protected readonly diagnostics: DiagnosticBag,
  ) {}

  protected span(loc: { start: number; end: number }): Span {
    return { file: this.file, start: loc.start, end: loc.end };
  }

  /** The values' entries of one kind, lists expanded (see ListScope.expand). */
  protected expand(source: { values: Value[] }, kind: ListKind, context: string): EntryList {
    return this.lists.expand(this.file, source, kind, context);
  }

  /**
   * Takes `unsafe CODE "reason";` out of a block's settings and records it as
   * an override scoped to the block; returns the other settings.
   */
  protected unsafe(settings: Setting[], scope: { start: number; end: number }): Setting[] {
    const rest: Setting[] = [];
    for (const s of settings) {
      if (s.name.value !== "unsafe") {
        rest.push(s);
        continue;
      }
      const reason = s.values[0];
      if (
        !s.sub ||
        !((OVERRIDABLE as readonly string[]).includes(s.sub.value) || ACKNOWLEDGEABLE.includes(s.sub.value)) ||
        s.values.length !== 1 ||
        reason?.kind !== "String" ||
        reason.value.trim() === ""
      ) {
        this.diagnostics.report(Messages.BadUnsafe, this.span(s.loc), { expected: `${OVERRIDABLE.join(", ")}, or a warning's code` });
        continue;
      }
      this.overrides.push({ code: s.sub.value, reason: reason.value, scope: this.span(scope), span: this.span(s.loc) });
    }
    return rest;
  }
}
