import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { inflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { ROOT, tempDir } from "../helpers.js";

/**
 * README "In the editor": editors/vscode/ packaged into a .vsix with vsce,
 * as CI does, without the network (in a network namespace of its own where
 * this runs as root), and the package holds what VS Code needs to start
 * `policyc lsp` and highlight policies.
 */

/** The files of a zip archive, by name (stored or deflated entries, read from the central directory). */
function unzip(bytes: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const eocd = bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error("not a zip archive");
  const count = bytes.readUInt16LE(eocd + 10);
  let p = bytes.readUInt32LE(eocd + 16);
  for (let i = 0; i < count; i++) {
    if (bytes.readUInt32LE(p) !== 0x02014b50) throw new Error("bad central directory");
    const method = bytes.readUInt16LE(p + 10);
    const size = bytes.readUInt32LE(p + 20);
    const nameLen = bytes.readUInt16LE(p + 28);
    const extraLen = bytes.readUInt16LE(p + 30);
    const commentLen = bytes.readUInt16LE(p + 32);
    const local = bytes.readUInt32LE(p + 42);
    const name = bytes.subarray(p + 46, p + 46 + nameLen).toString("utf8");
    const dataStart = local + 30 + bytes.readUInt16LE(local + 26) + bytes.readUInt16LE(local + 28);
    const data = bytes.subarray(dataStart, dataStart + size);
    out.set(name, method === 0 ? Buffer.from(data) : inflateRawSync(data));
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

describe("the VS Code extension", () => {
  it("packages into a .vsix with the grammar, the language configuration and the bundled client", () => {
    const vsix = join(tempDir("policyc-vsix-"), "policyc.vsix");
    const vsce = [
      join(ROOT, "node_modules/@vscode/vsce/vsce"),
      "package",
      "--no-dependencies",
      "--allow-missing-repository",
      "--skip-license",
      "-o",
      vsix,
    ];
    const offline = process.getuid?.() === 0 && spawnSync("unshare", ["-n", "true"]).status === 0;
    const r = offline
      ? spawnSync("unshare", ["-n", process.execPath, ...vsce], { cwd: join(ROOT, "editors/vscode"), encoding: "utf8", timeout: 120_000 })
      : spawnSync(process.execPath, vsce, { cwd: join(ROOT, "editors/vscode"), encoding: "utf8", timeout: 120_000 });
    expect(r.status, r.stdout + r.stderr).toBe(0);

    const files = unzip(readFileSync(vsix));
    expect([...files.keys()].sort()).toEqual([
      "[Content_Types].xml",
      "extension.vsixmanifest",
      "extension/dist/extension.js",
      "extension/language-configuration.json",
      "extension/package.json",
      "extension/readme.md",
      "extension/syntaxes/policy.tmLanguage.json",
    ]);
    const manifest = JSON.parse(files.get("extension/package.json")!.toString("utf8"));
    expect(manifest.main).toBe("./dist/extension.js");
    expect(manifest.contributes.languages[0]).toMatchObject({ id: "policy", extensions: [".policy"] });
    expect(manifest.contributes.grammars[0]).toEqual({
      language: "policy",
      scopeName: "source.policy",
      path: "./syntaxes/policy.tmLanguage.json",
    });
    // The grammar the tests tokenize with is the one shipped.
    expect(files.get("extension/syntaxes/policy.tmLanguage.json")!.toString("utf8")).toBe(
      readFileSync(join(ROOT, "editors/vscode/syntaxes/policy.tmLanguage.json"), "utf8"),
    );
    expect(JSON.parse(files.get("extension/language-configuration.json")!.toString("utf8")).comments).toEqual({ lineComment: "#" });
    // The client is bundled in (no node_modules in the package); only "vscode" is left to the editor.
    const js = files.get("extension/dist/extension.js")!.toString("utf8");
    expect(js).toContain('"lsp"');
    expect(js).toMatch(/require\("vscode"\)/);
    expect(js).not.toMatch(/require\("vscode-languageclient/);
    expect(files.get("extension.vsixmanifest")!.toString("utf8")).toContain('Id="policyc"');
  });
});
