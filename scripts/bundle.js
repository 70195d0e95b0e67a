// Bundles the CLI into one file (dist/policyc.js): one module to load keeps
// start-up close to `node -e 0`. prettier stays external and is loaded lazily
// by the formatter only.
//
// The second entry is the prettier plugin (dist/prettier.js, the package's
// "./prettier" export). `policyc fmt` loads that same file, lazily: its
// dynamic import of src/format/plugin.ts is left to the sibling bundle, so
// dist/policyc.js holds no printer and no static import of prettier.
import { build } from "esbuild";
import { readFileSync } from "node:fs";

const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));

/**
 * Resolves lazy imports to the bundles beside the CLI bundle:
 * `import("../format/plugin.js")` (src/cli/fmt.ts) to ./prettier.js, and
 * `import("./verify.js")` (src/cli/main.ts) to ./verify.js, so that build and
 * check never parse the formatter or verify.
 */
const pluginBesideCli = {
  name: "lazy-bundles-beside-cli",
  setup(b) {
    b.onResolve({ filter: /\/format\/plugin\.js$/ }, (args) =>
      args.kind === "dynamic-import" ? { path: "./prettier.js", external: true } : undefined,
    );
    b.onResolve({ filter: /^\.\/verify\.js$/ }, (args) =>
      args.kind === "dynamic-import" ? { path: "./verify.js", external: true } : undefined,
    );
  },
};

await build({
  entryPoints: { policyc: "src/cli/entry.ts", prettier: "src/format/plugin.ts", verify: "src/cli/verify.ts" },
  outdir: "dist",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  // Loaded at run time from node_modules, and only by the commands that need
  // them: prettier by fmt, diff by build --check and diff.
  external: ["prettier", "prettier/*", "diff"],
  plugins: [pluginBesideCli],
  define: { __POLICYC_VERSION__: JSON.stringify(version) },
  logLevel: "warning",
  legalComments: "none",
});
