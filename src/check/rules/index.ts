import { ForeignListFileRule } from "./ForeignListFileRule.js";
import { GreetPauseRule } from "./GreetPauseRule.js";
import { LoginServiceAdminRule } from "./LoginServiceAdminRule.js";
import { MechanismSafetyRule } from "./MechanismSafetyRule.js";
import { NoAclBypassRule } from "./NoAclBypassRule.js";
import { NoOpenRelayRule } from "./NoOpenRelayRule.js";
import { OnerrSucceedRule } from "./OnerrSucceedRule.js";
import { PasswordlessSmtpAuthRule } from "./PasswordlessSmtpAuthRule.js";
import { RelayNetworkSharedRule } from "./RelayNetworkSharedRule.js";
import type { Rule } from "./Rule.js";
import { UniquePamServiceRule } from "./UniquePamServiceRule.js";
import { UnsetItemLockoutRule } from "./UnsetItemLockoutRule.js";
import { UnusedUnsafeRule } from "./UnusedUnsafeRule.js";

/** Every rule, run in this order on a lowered model. Add a rule with one line here. */
export const rules: readonly Rule[] = [
  UniquePamServiceRule,
  NoOpenRelayRule,
  NoAclBypassRule,
  OnerrSucceedRule,
  LoginServiceAdminRule,
  UnsetItemLockoutRule,
  MechanismSafetyRule,
  RelayNetworkSharedRule,
  ForeignListFileRule,
  PasswordlessSmtpAuthRule,
  GreetPauseRule,
  UnusedUnsafeRule, // last: it reports the overrides no other rule used
];
