// vscode:prepublish: bundles extension.js with vscode-languageclient into
// dist/extension.js, so the .vsix needs no node_modules (vsce package
// --no-dependencies). "vscode" is the editor's own module.
import { build } from "esbuild";

await build({
  entryPoints: [new URL("extension.js", import.meta.url).pathname],
  outfile: new URL("dist/extension.js", import.meta.url).pathname,
  bundle: true,
  platform: "node",
  target: "node18",
  format: "cjs",
  external: ["vscode"],
  minify: true,
  logLevel: "warning",
});
