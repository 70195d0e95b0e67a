import type { DiagnosticBag } from "../diagnostics/diagnostic.js";
import type { Program } from "../syntax/load.js";
import { CheckContext } from "./context.js";
import { lower } from "./lower/index.js";
import type { Build } from "./model.js";
import { loweredRules, programRules, rules } from "./rules/index.js";
import { reportUnusedOverrides } from "./rules/unusedOverrides.js";
import { scopes } from "./scopes.js";

/**
 * Checks a loaded policy: the rules on the program, then lowering to one
 * model per host, then on each the rules on what was lowered, the rules on
 * the complete model and, once they all ran, the unused `unsafe` overrides
 * (a model without a platform is not built, so none of its model rules run
 * and its overrides are not reported). Callers decide by diagnostics.hasErrors.
 */
export function check(program: Program, diagnostics: DiagnosticBag): Build {
  const models = scopes(program);
  const start = diagnostics.items.length;
  const programContext = new CheckContext(diagnostics, []);
  for (const rule of programRules) rule(program, models, programContext);
  const build: Build = { hosts: [] };
  for (const lowered of lower(program, diagnostics, models)) {
    const ctx = new CheckContext(diagnostics, lowered.overrides);
    for (const rule of loweredRules) rule(lowered, ctx);
    const model = lowered.model;
    if (!model) continue;
    for (const rule of rules) rule(model, ctx);
    ctx.acknowledgeWarnings(start);
    reportUnusedOverrides(ctx);
    build.hosts.push({ name: lowered.host, model });
  }
  return build;
}
