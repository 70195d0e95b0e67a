/** Lowering of `platform NAME;`, fixed to the file the statement is in. */
import { Messages } from "../../diagnostics/messages.js";
import type { Platform } from "../../syntax/ast.js";
import { PLATFORMS, type PlatformName, RELEASES } from "../model.js";
import { BlockLowering } from "./block.js";

export class PlatformLowering extends BlockLowering {
  /**
   * The platform named and its release (`debian` means its default release,
   * `debian-12` names it), or null (reported) when policyc does not know it.
   */
  platform(s: Platform): { platform: PlatformName; release: string } | null {
    const value = s.name.value;
    if ((PLATFORMS as readonly string[]).includes(value)) {
      const platform = value as PlatformName;
      return { platform, release: RELEASES[platform][0]! };
    }
    if (/^[a-z]+-/.test(value) && (PLATFORMS as readonly string[]).includes(value.replace(/-.*/, ""))) {
      // `debian-12`: the platform and its release, one bare word.
      const name = value.replace(/-.*/, "") as PlatformName;
      const wanted = value.slice(name.length + 1);
      if (RELEASES[name].includes(wanted)) return { platform: name, release: wanted };
      this.diagnostics.report(Messages.UnknownRelease, this.span(s.name.loc), {
        name,
        release: wanted,
        expected: RELEASES[name].map((r) => `${name}-${r}`).join(", "),
      });
      return null;
    }
    this.diagnostics.report(Messages.UnknownPlatform, this.span(s.name.loc), {
      name: value,
      expected: PLATFORMS.join(", "),
    });
    return null;
  }
}
