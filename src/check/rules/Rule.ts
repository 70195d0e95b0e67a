import type { DiagnosticBag } from "../../diagnostics/diagnostic.js";
import type { Model } from "../model.js";

/** An invariant over the whole model; reports what breaks it. */
export type Rule = (model: Model, diagnostics: DiagnosticBag) => void;
