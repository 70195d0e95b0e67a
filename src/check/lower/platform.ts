/** Lowering of `platform NAME;`, fixed to the file the statement is in. */
import { Messages } from "../../diagnostics/messages.js";
import type { Platform } from "../../syntax/ast.js";
import { PLATFORMS, type PlatformName } from "../model.js";
import { BlockLowering } from "./block.js";

export class PlatformLowering extends BlockLowering {
  /** The platform named, or null (reported) when it is not one policyc knows. */
  platform(s: Platform): PlatformName | null {
    let platform: PlatformName | null = null;
          if ((PLATFORMS as readonly string[]).includes(s.name.value)) platform = s.name.value as PlatformName;
          else {
            this.diagnostics.report(Messages.UnknownPlatform, this.span(s.name.loc), {
              name: s.name.value,
              expected: PLATFORMS.join(", "),
            });
          }
    return platform;
  }
}
