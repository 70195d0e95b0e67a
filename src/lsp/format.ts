/**
 * Document formatting: what `policyc fmt` writes for a file, from the
 * editor's text. The same prettier, plugin and configuration lookup
 * (.prettierrc, .editorconfig) as src/cli/fmt.ts, and LF line ends.
 */

/** The formatted text, or undefined when the text has a syntax error (the diagnostics say which). */
export async function formatPolicy(path: string, text: string): Promise<string | undefined> {
  if (text.trim() === "") return undefined;
  const prettier = await import("prettier");
  // In dist/lsp.js this is dist/prettier.js: the very plugin `policyc fmt` uses (scripts/bundle.js).
  const plugin = (await import("../format/plugin.js")).default;
  const config = await prettier.resolveConfig(path, { editorconfig: true });
  try {
    return await prettier.format(text, { ...config, filepath: path, parser: "policyc", plugins: [plugin], endOfLine: "lf" });
  } catch (e) {
    if (Array.isArray((e as { diagnostics?: unknown }).diagnostics)) return undefined;
    throw e;
  }
}
