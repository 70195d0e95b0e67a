// Bundles the CLI into one file (dist/policyc.js): one module to load keeps
// start-up close to `node -e 0`. prettier stays external and is loaded lazily
// by the formatter only.
import { build } from "esbuild";
import { readFileSync } from "node:fs";

const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));

await build({
  entryPoints: { policyc: "src/cli/entry.ts" },
  outdir: "dist",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  external: ["prettier", "prettier/*"],
  define: { __POLICYC_VERSION__: JSON.stringify(version) },
  logLevel: "warning",
  legalComments: "none",
});
