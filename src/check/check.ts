import type { DiagnosticBag } from "../diagnostics/diagnostic.js";
import type { Program } from "../syntax/load.js";
import { lower } from "./lower/index.js";
import type { Build } from "./model.js";
import { rules } from "./rules/index.js";

/**
 * Checks a loaded policy: lowers it to one model per host, then runs every
 * rule on each. Callers decide by diagnostics.hasErrors.
 */
export function check(program: Program, diagnostics: DiagnosticBag): Build {
  const build = lower(program, diagnostics);
  for (const { model } of build.hosts) for (const rule of rules) rule(model, diagnostics);
  return build;
}
