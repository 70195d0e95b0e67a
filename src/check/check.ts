import type { DiagnosticBag } from "../diagnostics/diagnostic.js";
import type { Program } from "../syntax/load.js";
import { CheckContext } from "./context.js";
import { lowerEach } from "./lower/index.js";
import type { Build, Model } from "./model.js";
import { loweredRules, programRules, rules } from "./rules/index.js";
import { reportUnusedOverrides } from "./rules/unusedOverrides.js";
import { type Scope, scopes } from "./scopes.js";

/** One host's checked model (name null: a policy without host blocks). */
export interface CheckedHost {
  name: string | null;
  model: Model;
}

export interface CheckEachOptions {
  /** Told of every model object (service, access list) a second host is given: see lowerEach. */
  shared?: (object: object) => void;
  /** Only the hosts scopes(program)[from, to) (a share of a fleet). */
  range?: readonly [number, number];
  /** false: leave the rules on the program and the checks of host names and roles to another (a worker's share). */
  programChecks?: boolean;
  /**
   * Instead of acknowledging warnings and reporting unused overrides, hands
   * each lowered host's context to this, model or not (a worker: the main
   * thread acknowledges, in host order, against the whole program's findings).
   */
  settle?: (ctx: CheckContext, host: string | null, model: Model | null) => void;
}

/**
 * Checks a loaded policy: the rules on the program, then host by host:
 * lowering, the rules on what was lowered, the rules on the complete model
 * and, once they all ran, the warnings its `unsafe` overrides acknowledge
 * (among all found since the program's start) and its unused overrides (a
 * model without a platform is not built, so none of its model rules run and
 * its overrides are not reported). Each host is yielded once checked, before
 * the next is lowered: a caller that drops it holds one host at a time.
 * Callers decide by diagnostics.hasErrors.
 */
export function* checkEach(program: Program, diagnostics: DiagnosticBag, options: CheckEachOptions = {}): Generator<CheckedHost> {
  const all = scopes(program);
  const start = diagnostics.items.length;
  const models: readonly Scope[] = options.range ? all.slice(options.range[0], options.range[1]) : all;
  const programChecks = options.programChecks !== false;
  if (programChecks) {
    const programContext = new CheckContext(diagnostics, []);
    for (const rule of programRules) rule(program, all, programContext);
  }
  const lowering = lowerEach(program, diagnostics, models, {
    ...(options.shared && { shared: options.shared }),
    programChecks,
    hosts: all.length,
  });
  for (const lowered of lowering) {
    const ctx = new CheckContext(diagnostics, lowered.overrides);
    for (const rule of loweredRules) rule(lowered, ctx);
    const model = lowered.model;
    if (model) for (const rule of rules) rule(model, ctx);
    if (options.settle) {
      options.settle(ctx, lowered.host, model);
      if (!model) continue;
    } else {
      if (!model) continue;
      ctx.acknowledgeWarnings(start);
      reportUnusedOverrides(ctx);
    }
    yield { name: lowered.host, model };
  }
}

/** checkEach, every host's model kept (explain, who, diff, test, audit). */
export function check(program: Program, diagnostics: DiagnosticBag): Build {
  return { hosts: [...checkEach(program, diagnostics)] };
}
