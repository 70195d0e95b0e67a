import { AccountsNeedMechanismsRule } from "./AccountsNeedMechanismsRule.js";
import { AllowListEntriesRule } from "./AllowListEntriesRule.js";
import { AuthRequiredOffersAuthRule } from "./AuthRequiredOffersAuthRule.js";
import { ForeignListFileRule } from "./ForeignListFileRule.js";
import { GreetPauseRule } from "./GreetPauseRule.js";
import { ListenPortRule } from "./ListenPortRule.js";
import { LoginServiceAdminRule } from "./LoginServiceAdminRule.js";
import { MechanismSafetyRule } from "./MechanismSafetyRule.js";
import { NoAclBypassRule } from "./NoAclBypassRule.js";
import { NoOpenRelayRule } from "./NoOpenRelayRule.js";
import { NullokSmtpAuthRule } from "./NullokSmtpAuthRule.js";
import { OnerrSucceedRule } from "./OnerrSucceedRule.js";
import { PasswordlessSmtpAuthRule } from "./PasswordlessSmtpAuthRule.js";
import { RelayAuthNeedsMechanismsRule } from "./RelayAuthNeedsMechanismsRule.js";
import { RelayNetworkSharedRule } from "./RelayNetworkSharedRule.js";
import type { LoweredRule, ProgramRule, Rule } from "./Rule.js";
import { SingleMailRule } from "./SingleMailRule.js";
import { SinglePlatformRule } from "./SinglePlatformRule.js";
import { SmtpsNeedsTlsRule } from "./SmtpsNeedsTlsRule.js";
import { TrustedMechanismOfferedRule } from "./TrustedMechanismOfferedRule.js";
import { UniqueHostRule } from "./UniqueHostRule.js";
import { UniqueListenRule } from "./UniqueListenRule.js";
import { UniqueListRule } from "./UniqueListRule.js";
import { UniquePamServiceRule } from "./UniquePamServiceRule.js";
import { UniqueServiceRule } from "./UniqueServiceRule.js";
import { UnsetItemLockoutRule } from "./UnsetItemLockoutRule.js";

/** Rules on the loaded program, run before lowering. Add a rule with one line here. */
export const programRules: readonly ProgramRule[] = [UniqueHostRule, UniqueListRule, UniqueServiceRule, SinglePlatformRule, SingleMailRule];

/** Rules on what lowering read for each model, also when the model could not be made. */
export const loweredRules: readonly LoweredRule[] = [
  AllowListEntriesRule,
  UniqueListenRule,
  TrustedMechanismOfferedRule,
  RelayAuthNeedsMechanismsRule,
  AccountsNeedMechanismsRule,
  SmtpsNeedsTlsRule,
  AuthRequiredOffersAuthRule,
];

/** Rules on each complete model. The unused-`unsafe` warning (PC4103) is computed after all of them, by check(). */
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
  NullokSmtpAuthRule,
  GreetPauseRule,
  ListenPortRule,
];
