import type { CheckContext } from "../context.js";
import { Messages } from "../../diagnostics/messages.js";
import type { Model, ServiceModel } from "../model.js";

/** README "service": each PAM service file is written by one service only. */
export function UniquePamServiceRule(model: Model, { diagnostics }: CheckContext): void {
  const seen = new Map<string, ServiceModel>();
  for (const s of model.services) {
    const prior = seen.get(s.pamService);
    if (prior) {
      diagnostics.report(Messages.DuplicatePamService, s.span, { first: prior.name, second: s.name, pam: s.pamService }, [
        { message: `Service "${prior.name}" is here.`, span: prior.span },
      ]);
    } else seen.set(s.pamService, s);
  }
}
