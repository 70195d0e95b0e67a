import { OnerrSucceedRule } from "./OnerrSucceedRule.js";
import type { Rule } from "./Rule.js";
import { UniquePamServiceRule } from "./UniquePamServiceRule.js";

/** Every rule, run in this order on a lowered model. Add a rule with one line here. */
export const rules: readonly Rule[] = [UniquePamServiceRule, OnerrSucceedRule];
