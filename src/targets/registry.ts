import { AclTarget } from "./acl/AclTarget.js";
import { PamTarget } from "./pam/PamTarget.js";
import { SendmailTarget } from "./sendmail/SendmailTarget.js";
import type { Target } from "./Target.js";

/** Every target. Adding one: a folder, a line here, a golden tree, an example. */
export const targets: readonly Target[] = [PamTarget, AclTarget, SendmailTarget];
