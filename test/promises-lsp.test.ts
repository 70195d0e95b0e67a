/**
 * README "Command line", `lsp`: `--stdio`, which editors pass, changes
 * nothing: the server answers on standard input and output, publishes the
 * compiler's diagnostics and exits 0 after the protocol's shutdown.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "./helpers.js";
import { LspClient } from "./lsp/client.js";

describe("policyc lsp --stdio", () => {
  it("serves on standard input and output as without it, and exits 0 after shutdown", async () => {
    const dir = tempDir("policyc-lsp-stdio-");
    const main = join(dir, "main.policy");
    const c = new LspClient(["--stdio"]);
    try {
      await c.initialize(dir);
      await c.open(main, 'platform debian;\nservice imapd { acl user allow "/f" { entries alice; onerr maybe; } }\n');
      const d = await c.diagnosticsOf(main, (x) => x.length > 0);
      expect(d.map((x) => x.code)).toContain("PC3007");
      expect(await c.close()).toBe(0);
      expect(c.stderr).not.toMatch(/unknown option|not an option/);
    } finally {
      if (c.exitCode === null) c.process.kill();
    }
  });
});
