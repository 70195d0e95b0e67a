import type { Span } from "../diagnostics/diagnostic.js";
import type { MailModel, Model, UnsafeOverride } from "./model.js";

/**
 * What lowering read for one model, complete or not: the rules of
 * rules/index.ts `loweredRules` run on it even when the model could not be
 * made (no platform), as the checks they hold always did.
 */
export interface Lowered {
  host: string | null;
  /** The model, or null when the host has no (known) platform. */
  model: Model | null;
  /** The first mail block, as read. */
  mail: MailModel | null;
  /** Every access list read, also those left out of the model for an error. */
  accessLists: AccessListRead[];
  overrides: UnsafeOverride[];
}

/** An access list's sense and whether it has a valid `entries` setting, where its head is. */
export interface AccessListRead {
  sense: string;
  hasEntries: boolean;
  /** The first three characters of the access list (its keyword). */
  span: Span;
}
