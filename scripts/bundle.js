// Bundles policyc for start-up speed and lazy loading:
//
//   dist/policyc.cjs  the CLI, one CommonJS file: node starts a CommonJS entry
//                     about 5 ms sooner than an ES module entry, which is a
//                     tenth of what a make rule pays per policy (npm run bench).
//   dist/prettier.js  the prettier plugin (the package's "./prettier" export),
//                     an ES module; `policyc fmt` imports it only when run.
//   dist/verify.js    `policyc verify`, imported only when run.
//   dist/lsp.js       `policyc lsp`, the language server with vscode-languageserver
//                     bundled in, imported only when run.
//
// prettier and diff stay external: loaded from node_modules, and only by
// the commands that need them (fmt; build --check and diff); so does tldts,
// loaded only for a policy with relay domains (src/check/rules/NoOpenRelayRule.ts).
import { build } from "esbuild";
import { readFileSync } from "node:fs";

const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
// The Public Suffix List policyc checks relay domains against (PC4101) is tldts's copy.
const tldtsVersion = JSON.parse(readFileSync(new URL("../node_modules/tldts/package.json", import.meta.url), "utf8")).version;

/** Resolves the lazy imports to the bundles beside the CLI bundle. */
const lazyBundles = {
  name: "lazy-bundles-beside-cli",
  setup(b) {
    b.onResolve({ filter: /\/format\/plugin\.js$/ }, (args) =>
      args.kind === "dynamic-import" ? { path: "./prettier.js", external: true } : undefined,
    );
    b.onResolve({ filter: /\/lsp\/server\.js$/ }, (args) =>
      args.kind === "dynamic-import" ? { path: "./lsp.js", external: true } : undefined,
    );
    b.onResolve({ filter: /^\.\/verify\.js$/ }, (args) =>
      args.kind === "dynamic-import" ? { path: "./verify.js", external: true } : undefined,
    );
  },
};

const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  external: ["prettier", "prettier/*", "diff", "tldts"],
  define: { __POLICYC_VERSION__: JSON.stringify(version), __TLDTS_VERSION__: JSON.stringify(tldtsVersion) },
  logLevel: "warning",
  legalComments: "none",
};

await build({
  ...common,
  entryPoints: { policyc: "src/cli/entry.ts" },
  outdir: "dist",
  outExtension: { ".js": ".cjs" },
  format: "cjs",
  plugins: [lazyBundles],
  // import.meta.url (templates are found beside the bundle) in CommonJS:
  define: { ...common.define, "import.meta.url": "__policyc_url" },
  banner: { js: 'const __policyc_url = require("node:url").pathToFileURL(__filename).href;' },
});

await build({
  ...common,
  entryPoints: { prettier: "src/format/plugin.ts", verify: "src/cli/verify.ts", lsp: "src/lsp/server.ts" },
  outdir: "dist",
  format: "esm",
  // The language server's formatting imports the plugin: dist/prettier.js, not a second copy.
  plugins: [lazyBundles],
  // vscode-languageserver is CommonJS that requires node built-ins: give the ES module a require().
  banner: {
    js: 'import { createRequire as __policyc_createRequire } from "node:module"; const require = __policyc_createRequire(import.meta.url);',
  },
});
