import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI, ROOT, runCli, tempDir } from "../helpers.js";
import { positionOf, uri } from "../lsp/client.js";
import { requireTools, skipBanner } from "./stack.js";

/**
 * README "In the editor", Neovim: the documented runtime files
 * (editors/neovim/ftdetect and ftplugin) in a headless Neovim with its own
 * built-in LSP client and no configuration of the user's (-u NONE) start
 * `policyc lsp` for a policy, and the client gets the diagnostics, a hover,
 * a definition in an included file and a formatting edit.
 */
const missing = requireTools(["nvim"]);
if (missing.length) console.warn(skipBanner("the Neovim LSP client test (Debian package neovim)", missing));

const LISTS = "users staff = alice, bob;\n";
const MAIN = `platform debian;
include "lists.policy";
service imapd {
      pam imap;
  acl user allow "/etc/imapd.acl" { entries $staff, $nobody; }
}
`;

/** A headless Neovim with the documented runtime files on `file`, running a Lua fixture of test/e2e/fixtures/neovim. */
function nvim(dir: string, file: string, fixture: string, env: Record<string, string>) {
  return spawnSync(
    "nvim",
    [
      "--headless",
      "-u",
      "NONE",
      "-i",
      "NONE",
      "-n",
      "--cmd",
      `set runtimepath^=${join(ROOT, "editors/neovim")}`,
      "--cmd",
      `let g:policyc_cmd = ['${process.execPath}', '${CLI}', 'lsp']`,
      "--cmd",
      "filetype plugin on",
      file,
      "-c",
      `luafile ${join(ROOT, "test/e2e/fixtures/neovim", fixture)}`,
    ],
    { cwd: dir, encoding: "utf8", timeout: 120_000, env: { ...process.env, ...env } },
  );
}

describe.skipIf(missing.length > 0)("neovim's built-in LSP client", () => {
  it("shows diagnostics, a hover, a definition and a formatting edit from policyc lsp", () => {
    const dir = tempDir("policyc-nvim-");
    const main = join(dir, "main.policy");
    const lists = join(dir, "lists.policy");
    writeFileSync(main, MAIN);
    writeFileSync(lists, LISTS);
    const result = join(dir, "result.json");
    const at = positionOf(MAIN, "$staff", 1);
    const r = nvim(dir, main, "client.lua", {
      POLICYC_NVIM_OUT: result,
      POLICYC_NVIM_LINE: String(at.line),
      POLICYC_NVIM_CHARACTER: String(at.character),
    });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const out = JSON.parse(readFileSync(result, "utf8"));
    expect(out.error).toBeUndefined();
    expect(out.filetype).toBe("policy");
    expect(out.omnifunc).toBe("v:lua.vim.lsp.omnifunc");
    expect(out.attached).toBe(true);
    // The list that is missing, where it is written (0-based, as Neovim counts).
    const nobody = positionOf(MAIN, "$nobody");
    expect(out.diagnostics).toEqual([
      { lnum: nobody.line, col: nobody.character, severity: 1, code: "PC2011", message: expect.stringContaining('no users list "nobody"') },
    ]);
    expect(out.hover).toContain("**users** list `$staff`: 2 entries");
    expect(out.definition).toEqual([{ uri: uri(lists), range: { start: { line: 0, character: 6 }, end: { line: 0, character: 11 } } }]);
    // The buffer after the edit is what policyc fmt writes.
    const copy = join(dir, "copy.policy");
    copyFileSync(main, copy);
    expect(runCli(["fmt", copy]).status).toBe(0);
    expect(out.edits).toBeGreaterThan(0);
    expect(out.formatted).toBe(readFileSync(copy, "utf8"));
    expect(out.formatted).not.toBe(MAIN);
  });

  it("reads an included file from a buffer never written (README: open documents are read from the editor)", () => {
    const dir = tempDir("policyc-nvim-");
    const main = join(dir, "main.policy");
    const lists = join(dir, "lists.policy");
    writeFileSync(main, MAIN.replace(", $nobody", ""));
    const result = join(dir, "result.json");
    const r = nvim(dir, main, "unsaved.lua", { POLICYC_NVIM_OUT: result, POLICYC_NVIM_LISTS: lists });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const out = JSON.parse(readFileSync(result, "utf8"));
    expect(out.error).toBeUndefined();
    expect([out.attached, out.listsFiletype, out.listsAttached]).toEqual([true, "policy", true]);
    // Not on disk: no such file; in a buffer, never written: found, and $staff with it.
    expect(out.before).toEqual(["PC1011"]);
    expect(out.after).toEqual([]);
    expect(out.onDisk).toBe(false);
    expect(existsSync(lists)).toBe(false);
  });
});
