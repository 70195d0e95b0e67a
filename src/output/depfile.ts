/** Escapes a path for a make rule: spaces, '#', ':' and '$'. */
function escape(path: string): string {
  return path.replace(/([ #:\\])/g, "\\$1").replace(/\$/g, "$$$$");
}

/**
 * A make dependency file, like gcc -MD -MP: every output depends on every
 * input, and each input has an empty rule so that deleting one (an include
 * removed from the policy) does not stop make.
 */
export function depfile(targets: string[], inputs: string[]): string {
  const deps = inputs.map(escape);
  let out = targets.map(escape).join(" \\\n ") + ": \\\n " + deps.join(" \\\n ") + "\n";
  for (const d of deps) out += `\n${d}:\n`;
  return out;
}
