#!/usr/bin/env node
// CommonJS (see bin/package.json): a CommonJS entry starts faster than an ES module.
//
// Runs dist/policyc.cjs from a V8 code cache, dist/policyc.cjs.cache, so that
// node neither parses the 0.5 MB bundle nor compiles the functions a build
// calls (README "Performance": about 15 ms of a 100 ms cold start). The cache
// is bytecode only: what the bundle does is the same with it, without it, or
// with a cache V8 refuses. It is used only when
//   - the bundle's first line names it (scripts/bundle.js writes
//     "// policyc-bundle SHA256" and rewrites the bundle's import() calls to
//     __policyc_import, which V8 needs: a script run from cached data has no
//     dynamic import callback in Node 20),
//   - the cache's first line names the same bundle hash, node version and
//     architecture,
//   - and V8 accepts the rest (its version, its flags, the source's length).
// Otherwise the bundle is compiled as usual, and when the cache was missing
// or refused, this process writes a new one at exit (a temporary renamed
// into place) unless node runs with options of its own (their cache would
// not fit plain runs) or the folder is not writable (a read-only install);
// any failure to read or write the cache is ignored.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const dir = path.join(__dirname, "..", "dist");
const bundle = path.join(dir, "policyc.cjs");
const cacheFile = bundle + ".cache";
const ID = "// policyc-bundle ";

const source = fs.readFileSync(bundle, "utf8");
const firstLine = source.slice(0, source.indexOf("\n"));
if (!firstLine.startsWith(ID)) {
  // Not a bundle from scripts/bundle.js (no rewritten imports): load it as a module.
  require(bundle);
} else {
  const vm = require("node:vm");
  const header = `policyc-code-cache ${firstLine.slice(ID.length)} ${process.version} ${process.arch}\n`;
  let cachedData;
  try {
    const cache = fs.readFileSync(cacheFile);
    if (cache.length > header.length && cache.toString("latin1", 0, header.length) === header) cachedData = cache.subarray(header.length);
  } catch {
    // no cache: compiled as usual
  }
  // Node's own CommonJS wrapper, plus the import() of the bundle's lazy commands.
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname, __policyc_import) {${source}\n})`, {
    filename: bundle,
    cachedData,
  });
  if ((cachedData === undefined || script.cachedDataRejected) && process.execArgv.length === 0 && !process.env.NODE_OPTIONS) {
    process.once("exit", () => writeCache(script, header));
  }
  const Module = module.constructor;
  const child = new Module(bundle, module);
  child.filename = bundle;
  child.paths = Module._nodeModulePaths(dir);
  const childRequire = Module.createRequire(bundle);
  /** import() as the bundle would do it: relative to dist/, where the lazy bundles are. */
  const importFromBundle = (specifier) =>
    import(/^\.\.?\//.test(specifier) ? require("node:url").pathToFileURL(path.join(dir, specifier)).href : specifier);
  script.runInThisContext().call(child.exports, child.exports, childRequire, child, bundle, dir, importFromBundle);
}

/** Writes the code cache of what this process compiled; silently nothing when that fails. */
function writeCache(script, header) {
  // The compile of a large policy turned V8's pretenuring off (src/cli/command.ts): a cache made now
  // would record those flags, and a plain start would refuse it.
  if (globalThis[Symbol.for("policyc.v8FlagsChanged")]) return;
  const tmp = `${cacheFile}.${process.pid}.tmp`;
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    fs.writeFileSync(tmp, Buffer.concat([Buffer.from(header, "latin1"), script.createCachedData()]), { flag: "wx", mode: 0o644 });
    fs.renameSync(tmp, cacheFile);
  } catch {
    try {
      fs.unlinkSync(tmp);
    } catch {
      // nothing was written
    }
  }
}
