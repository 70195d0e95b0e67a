// Bundles policyc for start-up speed and lazy loading:
//
//   dist/policyc.cjs  the CLI, one CommonJS file: node starts a CommonJS entry
//                     about 5 ms sooner than an ES module entry, which is a
//                     tenth of what a make rule pays per policy (npm run bench).
//   dist/policyc.cjs.cache
//                     its V8 code cache, made by a build of examples/cookbook.policy
//                     through bin/policyc.js, which runs the bundle from it (see there).
//   dist/prettier.js  the prettier plugin (the package's "./prettier" export),
//                     an ES module; `policyc fmt` imports it only when run.
//   dist/verify.js    `policyc verify`, imported only when run.
//   dist/hosts-worker.cjs
//                     the worker threads of check --jobs (src/cli/hosts-worker.ts)
//   dist/stage-worker.cjs
//                     the worker threads of a large build (src/output/stage-worker.ts),
//                     started only by a build with many files to write.
//   dist/lsp.js       `policyc lsp`, the language server with vscode-languageserver
//                     bundled in, imported only when run.
//   dist/api.js, dist/api.cjs, dist/api.d.ts, dist/api.d.cts
//                     the programmatic API (the package's "." export), for
//                     import and require; its types are emitted by tsc from
//                     src/api.ts, which declares every type it exports.
//
// prettier and diff stay external: loaded from node_modules, and only by
// the commands that need them (fmt; build --check and diff); so does tldts,
// loaded only for a policy with relay domains (src/check/rules/NoOpenRelayRule.ts), and yaml,
// loaded only for a YAML inventory (src/syntax/inventory.ts).
import { build, transformSync } from "esbuild";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const { version, homepage } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
// The Public Suffix List policyc checks relay domains against (PC4101) is tldts's copy.
const tldtsVersion = JSON.parse(readFileSync(new URL("../node_modules/tldts/package.json", import.meta.url), "utf8")).version;

/** GitHub's anchor of a README heading: lower case, punctuation dropped, spaces as hyphens. */
function anchorOf(heading) {
  return heading
    .toLowerCase()
    .replace(/[^a-z0-9 _-]/g, "")
    .replace(/ /g, "-");
}

/**
 * The SARIF rule metadata of each diagnostic code, from the README (the contract): its meaning
 * in the "Diagnostic codes" table, and the first section besides that table that names the code.
 */
function readmeRules() {
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  const sections = [];
  let current = { heading: "", text: "" };
  for (const line of readme.split("\n")) {
    const h = /^#{2,4} (.+)$/.exec(line);
    if (h) sections.push((current = { heading: h[1].trim(), text: "" }));
    else current.text += line + "\n";
  }
  const rules = {};
  const table = sections.find((s) => s.heading === "Diagnostic codes");
  for (const m of table.text.matchAll(/^\| (PC\d{4}) \| (?:error|warning) \| (.+) \|$/gm)) {
    const code = m[1];
    const home = sections.find((s) => s !== table && new RegExp(`\\b${code}\\b`).test(s.text)) ?? table;
    rules[code] = { meaning: m[2].replace(/`/g, ""), section: home.heading, anchor: anchorOf(home.heading) };
  }
  return rules;
}

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
  external: ["prettier", "prettier/*", "diff", "tldts", "yaml"],
  define: {
    __POLICYC_VERSION__: JSON.stringify(version),
    __TLDTS_VERSION__: JSON.stringify(tldtsVersion),
    __POLICYC_HOMEPAGE__: JSON.stringify(homepage),
    __POLICYC_RULES__: JSON.stringify(readmeRules()),
  },
  logLevel: "warning",
  legalComments: "none",
};

/** A CommonJS bundle (.cjs): import.meta.url (templates are found beside the bundle) from __filename. */
const commonjs = {
  outExtension: { ".js": ".cjs" },
  format: "cjs",
  define: { ...common.define, "import.meta.url": "__policyc_url" },
  banner: { js: 'const __policyc_url = require("node:url").pathToFileURL(__filename).href;' },
};

await build({
  ...common,
  entryPoints: { policyc: "src/cli/entry.ts" },
  outdir: "dist",
  ...commonjs,
  plugins: [lazyBundles],
});

// The worker of check --jobs (src/cli/hosts-worker.ts): the compiler again, its own CommonJS bundle, loaded by path.
await build({
  ...common,
  entryPoints: { "hosts-worker": "src/cli/hosts-worker.ts" },
  outdir: "dist",
  outExtension: { ".js": ".cjs" },
  format: "cjs",
  define: { ...common.define, "import.meta.url": "__policyc_url" },
  banner: { js: 'const __policyc_url = require("node:url").pathToFileURL(__filename).href;' },
});

/**
 * Readies dist/policyc.cjs for bin/policyc.js's code cache: a script run from
 * V8's cached data has no dynamic import callback in Node 20, so the bundle's
 * import() calls become calls of __policyc_import, a parameter when
 * bin/policyc.js runs the bundle and import() itself when the bundle is
 * required (the tests, the bench). The first line names the bundle by its
 * SHA-256, which the cache records. Then one build of the cookbook through
 * bin/policyc.js writes the cache.
 */
function codeCache() {
  const file = "dist/policyc.cjs";
  const bundle = readFileSync(file, "utf8");
  // Counted by esbuild: it lowers each dynamic import (and nothing else) to this, here where none is supported.
  const LOWERED = "Promise.resolve().then(() =>";
  const lowered = (code) =>
    transformSync(code, { format: "cjs", platform: "node", supported: { "dynamic-import": false } }).code.split(LOWERED).length -
    code.split(LOWERED).length;
  const CALL = /(?<![\w$.])import\(/g;
  const calls = bundle.match(CALL)?.length ?? 0;
  if (lowered(bundle) !== calls) {
    console.error(
      `dist/policyc.cjs: ${calls} "import(" in the text, but ${lowered(bundle)} dynamic imports; one is in a string or comment.`,
    );
    process.exit(1);
  }
  const body =
    'var __policyc_import = typeof __policyc_import === "function" ? __policyc_import : (specifier) => import(specifier);\n' +
    bundle.replace(CALL, "__policyc_import(");
  if (lowered(body) !== 1) {
    console.error("dist/policyc.cjs: a dynamic import is left after rewriting them.");
    process.exit(1);
  }
  writeFileSync(file, `// policyc-bundle ${createHash("sha256").update(body).digest("hex")}\n${body}`);
  rmSync(`${file}.cache`, { force: true });
  const out = mkdtempSync(join(tmpdir(), "policyc-code-cache-"));
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const run = spawnSync(process.execPath, ["bin/policyc.js", "build", "examples/cookbook.policy", "-o", out, "-q"], {
    env,
    encoding: "utf8",
  });
  rmSync(out, { recursive: true, force: true });
  if (run.status !== 0) {
    console.error(`bin/policyc.js build examples/cookbook.policy failed (${run.status}):\n${run.stderr}`);
    process.exit(1);
  }
  readFileSync(`${file}.cache`); // written at the run's exit
}

// The staging worker: its own small CommonJS bundle, loaded by path (new Worker), never imported.
await build({
  ...common,
  entryPoints: { "stage-worker": "src/output/stage-worker.ts" },
  outdir: "dist",
  outExtension: { ".js": ".cjs" },
  format: "cjs",
  define: { ...common.define, "import.meta.url": "__policyc_url" },
  banner: { js: 'const __policyc_url = require("node:url").pathToFileURL(__filename).href;' },
});

await build({
  ...common,
  entryPoints: { verify: "src/cli/verify.ts", lsp: "src/lsp/server.ts" },
  outdir: "dist",
  format: "esm",
  // The language server's formatting imports the plugin: dist/prettier.js, not a second copy.
  plugins: [lazyBundles],
  // vscode-languageserver is CommonJS that requires node built-ins: give the ES module a require().
  banner: {
    js: 'import { createRequire as __policyc_createRequire } from "node:module"; const require = __policyc_createRequire(import.meta.url);',
  },
});

await build({
  ...common,
  entryPoints: { prettier: "src/format/plugin.ts" },
  outdir: "dist",
  format: "esm",
  // The plugin bundles prettier's doc builders (plain objects, the same in every prettier 3), so it
  // loads wherever the prettier that runs it is installed: beside policyc, or only in the user's project.
  external: common.external.filter((e) => !e.startsWith("prettier")),
});

// The API: ESM and CommonJS. format() imports the prettier plugin bundle lazily, like fmt.
await build({
  ...common,
  entryPoints: { api: "src/api.ts" },
  outdir: "dist",
  format: "esm",
  plugins: [lazyBundles],
});
await build({
  ...common,
  entryPoints: { api: "src/api.ts" },
  outdir: "dist",
  ...commonjs,
  plugins: [lazyBundles],
});

// Its declarations: src/api.ts declares every type it exports, so api.d.ts stands alone.
const types = mkdtempSync(join(tmpdir(), "policyc-api-types-"));
const tsc = spawnSync(
  process.execPath,
  [
    "node_modules/typescript/bin/tsc",
    "src/api.ts",
    "--ignoreConfig",
    "--declaration",
    "--emitDeclarationOnly",
    "--outDir",
    types,
    "--rootDir",
    "src",
    "--module",
    "nodenext",
    "--moduleResolution",
    "nodenext",
    "--target",
    "es2022",
    "--strict",
    "--skipLibCheck",
    "--types",
    "node",
  ],
  { stdio: "inherit" },
);
if (tsc.status !== 0) process.exit(tsc.status ?? 1);
const declarations = readFileSync(join(types, "api.d.ts"), "utf8");
if (/^import|\bimport\(/m.test(declarations.replace(/import\("prettier"\)/g, ""))) {
  console.error("dist/api.d.ts would import the compiler's internals; declare the type in src/api.ts instead.");
  process.exit(1);
}
copyFileSync(join(types, "api.d.ts"), "dist/api.d.ts");
copyFileSync(join(types, "api.d.ts"), "dist/api.d.cts");
rmSync(types, { recursive: true, force: true });

// Last: the code cache is made by a build through bin/policyc.js, with every bundle in place.
codeCache();
