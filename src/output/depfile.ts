/**
 * Characters GNU make cannot take in a file name in a rule, whatever the
 * escaping (measured with GNU make 4.3): a line break ends the rule, a tab
 * in a target comes back as a space, `*` `?` `[` `]` are wildcards (escaped,
 * they match only when the file exists, and then every other backslash
 * counts as an escape too), `;`
 * starts a recipe, `|` starts order-only prerequisites, `(` `)` name an
 * archive member, `=` turns the line into a variable assignment, a leading
 * `~` is a home folder, a trailing space is dropped, a trailing backslash
 * joins the next line and a
 * trailing `&` makes `&:`, a grouped target.
 */
const UNREPRESENTABLE = /[\n\r\t;|()=*?[\]]|^~|[\\& ]$/;

/** Why make cannot represent this name, or null when it can. */
export function unrepresentable(path: string): string | null {
  const m = UNREPRESENTABLE.exec(path);
  if (!m) return null;
  const c = m[0];
  const what: Record<string, string> = {
    "\n": "a line break",
    "\r": "a carriage return",
    "\t": "a tab",
    ";": 'a ";"',
    "|": 'a "|"',
    "(": 'a "("',
    ")": 'a ")"',
    "=": 'an "="',
    "*": 'the wildcard "*"',
    "?": 'the wildcard "?"',
    "[": 'the wildcard "["',
    "]": 'the wildcard "]"',
    "~": 'a leading "~"',
    "\\": "a trailing backslash",
    "&": 'a trailing "&"',
    " ": "a trailing space",
  };
  return what[c] ?? `"${c}"`;
}

/**
 * Escapes a name for a make rule: `$` as `$$`; space, `#` and `:` with a
 * backslash (a backslash right before one of them
 * is doubled, as gcc does); `%` with a backslash where the name is a target,
 * since a `%` there would make a pattern rule (in a prerequisite it is
 * literal).
 */
export function escape(path: string, target: boolean): string {
  const special = target ? /(\\*)([ #:%])/g : /(\\*)([ #:])/g;
  return path.replace(special, (_, slashes: string, c: string) => slashes + slashes + "\\" + c).replace(/\$/g, "$$$$");
}

/**
 * A make dependency file, like gcc -MD -MP: every output depends on every
 * input, and each input has an empty rule so that deleting one (an include
 * removed from the policy) does not stop make. Names make cannot represent
 * must be refused by the caller first (`unrepresentable`).
 */
export function depfile(targets: string[], inputs: string[]): string {
  let out = targets.map((t) => escape(t, true)).join(" \\\n ") + ": \\\n " + inputs.map((i) => escape(i, false)).join(" \\\n ") + "\n";
  for (const d of inputs) out += `\n${escape(d, true)}:\n`;
  return out;
}
