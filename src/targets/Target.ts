import type { DiagnosticBag, Span } from "../diagnostics/diagnostic.js";
import type { Model, PlatformName } from "../check/model.js";
import type { TemplateStore } from "./templates.js";

/** One file of the output tree. */
export interface OutputFile {
  /** Relative POSIX path under the output root, e.g. "etc/pam.d/imap". */
  path: string;
  content: string;
  mode: number;
  /** What produced it, for conflict messages: `service "imap"`, `the mail block`. */
  producer: string;
  /** The policy spans it comes from. */
  origins: Span[];
  /** The distribution's stock file this one is built from (the same text without the policy's lines), for `diff --stock`. */
  stock?: string;
}

/** What a target gets to render: the checked model and nothing of the syntax. */
export interface EmitContext {
  model: Model;
  templates: TemplateStore;
  /** The first-line comment text of every generated file, without comment syntax. */
  header: string;
  diagnostics: DiagnosticBag;
  /**
   * Whether a target keeps the file it made for this model object (a service,
   * an access list) to hand out again: only objects another host also holds
   * will be asked for again. Absent: keep every one.
   */
  reused?: (object: object) => boolean;
}

/** A generator of one kind of output file. */
export interface Target {
  name: string;
  /** Platforms it can render for; emit() is not called for others. */
  platforms: readonly PlatformName[];
  /** Reports what the model asks of this target that it cannot render safely; runs before any emit. */
  check?(ctx: EmitContext): void;
  emit(ctx: EmitContext): OutputFile[];
}

/** Mode of every generated file: readable by all, writable by the owner only. */
export const FILE_MODE = 0o644;
