import type { Program } from "../../syntax/load.js";
import type { CheckContext } from "../context.js";
import type { Lowered } from "../lowered.js";
import type { Model } from "../model.js";
import type { Scope } from "../scopes.js";

/** An invariant over the loaded program (names, one platform, one mail block), for each model's statements (`scopes`). */
export type ProgramRule = (program: Program, scopes: readonly Scope[], ctx: CheckContext) => void;

/** An invariant over what lowering read for one model, run also when the model could not be made (no platform). */
export type LoweredRule = (lowered: Lowered, ctx: CheckContext) => void;

/** An invariant over the whole model; reports what breaks it. */
export type Rule = (model: Model, ctx: CheckContext) => void;
