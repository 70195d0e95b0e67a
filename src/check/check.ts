import type { DiagnosticBag } from "../diagnostics/diagnostic.js";
import type { SourceFile } from "../diagnostics/source.js";
import type { Policy } from "../syntax/ast.js";
import { lower } from "./lower.js";
import type { Model } from "./model.js";
import { rules } from "./rules/index.js";

/**
 * Checks a parsed policy: lowers it to the model, then runs every rule.
 * Returns the model even when errors were reported (callers decide by
 * diagnostics.hasErrors), or null when no model could be built at all.
 */
export function check(policy: Policy, file: SourceFile, diagnostics: DiagnosticBag): Model | null {
  const model = lower(policy, file, diagnostics);
  if (!model) return null;
  for (const rule of rules) rule(model, diagnostics);
  return model;
}
