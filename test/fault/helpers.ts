import { readdirSync } from "node:fs";
import { join } from "node:path";

/** Every name below dir that starts like a policyc temporary (any prefix match, not only exact ones). */
export function temporaries(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name.startsWith(".policyc-tmp")) found.push(join(d, e.name));
      if (e.isDirectory()) walk(join(d, e.name));
    }
  };
  walk(dir);
  return found;
}
