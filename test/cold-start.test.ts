/**
 * README "Performance": a build's start-up loads only what a build uses. Not a
 * timing (the bench measures that): which of node's own modules a build of
 * the cookbook loads, with stderr a pipe as under make and CI.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, tempDir } from "./helpers.js";

describe("cold start", () => {
  it("a build that prints warnings to a pipe loads neither child_process nor net", () => {
    const out = tempDir();
    const script = `
      const before = new Set(process.moduleLoadList);
      process.on("exit", () => require("node:fs").writeSync(3, JSON.stringify(process.moduleLoadList.filter((m) => !before.has(m)))));
      process.argv = [process.argv[0], "policyc", "build", ${JSON.stringify(join(ROOT, "examples/cookbook.policy"))}, "-o", ${JSON.stringify(out)}, "-q"];
      require(${JSON.stringify(join(ROOT, "dist/policyc.cjs"))});
    `;
    const r = spawnSync(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "pipe", "pipe"], encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    // The cookbook's warnings arrive, written to fd 2 without process.stderr's socket.
    expect(r.stderr).toContain("warning PC4005");
    const loaded = JSON.parse(r.output[3]!) as string[];
    expect(loaded.filter((m) => /^NativeModule (child_process|net|dgram|tty)$/.test(m))).toEqual([]);
  });

  it("through bin/policyc.js (the bundle from its code cache), into an empty OUT, loads neither node:module, the ES module loader nor node:crypto", () => {
    const out = tempDir();
    const preload = join(tempDir(), "loaded.cjs");
    writeFileSync(
      preload,
      `const before = new Set(process.moduleLoadList);
      process.on("exit", () => require("node:fs").writeSync(3, JSON.stringify(process.moduleLoadList.filter((m) => !before.has(m)))));`,
    );
    const r = spawnSync(
      process.execPath,
      ["-r", preload, join(ROOT, "bin/policyc.js"), "build", join(ROOT, "examples/cookbook.policy"), "-o", out, "-q"],
      {
        stdio: ["ignore", "pipe", "pipe", "pipe"],
        encoding: "utf8",
      },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain("warning PC4005");
    const loaded = JSON.parse(r.output[3]!) as string[];
    expect(loaded).toContain("NativeModule vm");
    // Nor node:crypto with node's streams: temporary names from /dev/urandom, the manifest's SHA-256 in WebAssembly.
    expect(
      loaded.filter((m) => /^NativeModule (child_process|net|dgram|tty|module|crypto|stream|internal\/modules\/esm\/.*)$/.test(m)),
    ).toEqual([]);
  });
});
