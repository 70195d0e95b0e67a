/**
 * README "Command line": wrong usage exits 2 with one line and the usage
 * hint, for every command, never "internal error" (exit 70). Some commands'
 * code lives in bundles of their own (dist/verify.js for verify and
 * test --real, dist/lsp.js), each with its own copy of the UsageError class:
 * a usage error is recognised by its brand, not by which copy threw it.
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { makeContext } from "../src/cli/command.js";
import { UsageError } from "../src/cli/io.js";
import { COMMANDS } from "../src/cli/main.js";
import { verifySpec } from "../src/cli/verify-spec.js";
import { ROOT, runCli } from "./helpers.js";

describe("usage errors across bundles", () => {
  it("a UsageError thrown in dist/verify.js is a UsageError to the CLI bundle's code", async () => {
    const verify = (await import(pathToFileURL(join(ROOT, "dist", "verify.js")).href)) as {
      runVerify: (ctx: ReturnType<typeof makeContext>) => number;
    };
    const ctx = makeContext(verifySpec, {}, [], "human", "test");
    let thrown: unknown;
    try {
      verify.runVerify(ctx);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(Error);
    expect((thrown as Error).message).toContain("needs the output folder");
    expect(thrown instanceof UsageError).toBe(true);
    expect(new Error("x") instanceof UsageError).toBe(false);
  });

  it.each(COMMANDS.map((c) => c.name))("policyc %s with an unknown option: exit 2, a usage line, no internal error", (name) => {
    const r = runCli([name, "--no-such-option-here"], { input: "" });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^policyc: .*\nRun "policyc --help" for usage\.\n$/);
    expect(r.stderr).not.toMatch(/internal error/i);
  });

  it("test --real with wrong usage (its runner is in dist/verify.js): exit 2", () => {
    const r = runCli(["test", "--real=nosuch", "examples/cookbook.policy"], { cwd: ROOT });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).not.toMatch(/internal error/i);
  });
});
