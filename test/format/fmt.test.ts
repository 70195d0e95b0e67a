import { spawnSync } from "node:child_process";
import { chmodSync, cpSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fmtCommand } from "../../src/cli/fmt.js";
import { UsageError } from "../../src/cli/io.js";
import { captured, ROOT, tempDir } from "../helpers.js";

const UGLY = "platform   debian ;\nusers a = alice,bob;\n";
const PRETTY = "platform debian;\nusers a = alice, bob;\n";

/** Runs fmtCommand with stdout and stderr captured (no colour). */
function fmt(files: string[], check = false): Promise<{ status: number; stdout: string; stderr: string }> {
  return captured(() => fmtCommand(files, { check }));
}

let saved: NodeJS.ProcessEnv;
beforeEach(() => {
  saved = { ...process.env };
  process.env.FORCE_COLOR = "0";
});
afterEach(() => {
  process.env = saved;
});

describe("policyc fmt", () => {
  it("rewrites a file that changes, silently, and exits 0", async () => {
    const dir = tempDir();
    const file = join(dir, "a.policy");
    writeFileSync(file, UGLY);
    expect(await fmt([file])).toEqual({ status: 0, stdout: "", stderr: "" });
    expect(readFileSync(file, "utf8")).toBe(PRETTY);
  });

  it("does not write a file that is already formatted", async () => {
    const dir = tempDir();
    const file = join(dir, "a.policy");
    writeFileSync(file, PRETTY);
    const past = new Date(2001, 0, 1);
    const { utimesSync } = await import("node:fs");
    utimesSync(file, past, past);
    expect(await fmt([file])).toEqual({ status: 0, stdout: "", stderr: "" });
    expect(statSync(file).mtime.getTime()).toBe(past.getTime());
  });

  it("--check writes nothing, lists the files that would change and exits 1", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "ugly.policy"), UGLY);
    writeFileSync(join(dir, "pretty.policy"), PRETTY);
    const r = await fmt([join(dir, "ugly.policy"), join(dir, "pretty.policy")], true);
    expect(r).toEqual({ status: 1, stdout: `${join(dir, "ugly.policy")}\n`, stderr: "" });
    expect(readFileSync(join(dir, "ugly.policy"), "utf8")).toBe(UGLY);
  });

  it("--check passes on the formatted examples", async () => {
    const cwd = process.cwd();
    process.chdir(ROOT);
    try {
      expect(await fmt(["examples"], true)).toEqual({ status: 0, stdout: "", stderr: "" });
    } finally {
      process.chdir(cwd);
    }
  });

  it("takes a folder as every *.policy file under it, in sorted order, skipping node_modules and version control folders as prettier does", async () => {
    const dir = tempDir();
    mkdirSync(join(dir, "b", "deep"), { recursive: true });
    mkdirSync(join(dir, "node_modules"));
    mkdirSync(join(dir, ".git"));
    mkdirSync(join(dir, ".hidden"));
    for (const p of ["z.policy", "a.policy", "b/deep/c.policy", "b/x.txt", "node_modules/n.policy", ".git/g.policy", ".hidden/h.policy"]) {
      writeFileSync(join(dir, p), UGLY);
    }
    const r = await fmt([dir], true);
    expect(r.stdout).toBe([".hidden/h.policy", "a.policy", "b/deep/c.policy", "z.policy"].map((p) => join(dir, p) + "\n").join(""));
    expect(r.status).toBe(1);
    expect((await fmt([dir])).status).toBe(0);
    expect(readFileSync(join(dir, "b/deep/c.policy"), "utf8")).toBe(PRETTY);
    expect(readFileSync(join(dir, "b/x.txt"), "utf8")).toBe(UGLY);
    expect(readFileSync(join(dir, "node_modules/n.policy"), "utf8")).toBe(UGLY);
  });

  it("prints the compiler's diagnostic for a syntax error, leaves the file alone and exits 1", async () => {
    const dir = tempDir();
    const bad = join(dir, "bad.policy");
    const text = "platform debian;\nusers a = ;\n";
    writeFileSync(bad, text);
    writeFileSync(join(dir, "good.policy"), UGLY);
    const r = await fmt([bad, join(dir, "good.policy")]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      `${bad}:2:11: error PC1001: Unexpected ";"; expected a string or a word.\n` + " 2 | users a = ;\n" + "   |           ^\n",
    );
    expect(readFileSync(bad, "utf8")).toBe(text);
    expect(readFileSync(join(dir, "good.policy"), "utf8")).toBe(PRETTY);
  });

  it("reports what the compiler refuses before parsing (CR line ends) and a blank policy", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "crlf.policy"), "platform debian;\r\n");
    writeFileSync(join(dir, "blank.policy"), "\n");
    const r = await fmt([join(dir, "crlf.policy"), join(dir, "blank.policy")], true);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${join(dir, "crlf.policy")}:1:17: error PC1009:`);
    expect(r.stderr).toContain(`${join(dir, "blank.policy")}:1:1: error PC1006: The policy has no statements.`);
  });

  it("exits 2 for a file that cannot be read, after formatting the others", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "a.policy"), UGLY);
    const r = await fmt([join(dir, "missing.policy"), join(dir, "a.policy")]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`policyc: error PC1010: Cannot read ${join(dir, "missing.policy")}: no such file.\n`);
    expect(readFileSync(join(dir, "a.policy"), "utf8")).toBe(PRETTY);
  });

  it("reports a file it cannot write and exits 1", () => {
    const dir = tempDir();
    chmodSync(dir, 0o755);
    const file = join(dir, "ro.policy");
    writeFileSync(file, UGLY);
    chmodSync(file, 0o444);
    // As root, file modes do not stop a write: run the CLI as an unprivileged user then.
    const asUser = process.getuid?.() === 0 ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : [];
    const argv = [...asUser, process.execPath, join(ROOT, "bin/policyc.js"), "fmt", file];
    const r = spawnSync(argv[0]!, argv.slice(1), { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`policyc: error PC5003: Cannot write ${file}: permission denied.\n`);
    expect(readFileSync(file, "utf8")).toBe(UGLY);
  });

  it("honours a .prettierrc beside the policy, as prettier does", async () => {
    const dir = tempDir();
    cpSync(join(ROOT, "examples", "site.policy"), join(dir, "site.policy"));
    writeFileSync(join(dir, ".prettierrc"), JSON.stringify({ printWidth: 30, plugins: ["policyc/prettier"] }));
    expect((await fmt([join(dir, "site.policy")])).status).toBe(0);
    expect(readFileSync(join(dir, "site.policy"), "utf8")).toContain("users staff =\n  alice,\n  bob,\n  carol;\n");
  });

  it("keeps LF line ends whatever the configuration says, since the compiler refuses CR", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "a.policy"), UGLY);
    writeFileSync(join(dir, ".editorconfig"), "root = true\n[*]\nend_of_line = crlf\n");
    expect((await fmt([join(dir, "a.policy")])).status).toBe(0);
    expect(readFileSync(join(dir, "a.policy"), "utf8")).toBe(PRETTY);
  });

  it("exits 2 for a prettier configuration it cannot read", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "a.policy"), UGLY);
    writeFileSync(join(dir, ".prettierrc"), "{ not json");
    const r = await fmt([join(dir, "a.policy")]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^policyc: cannot use the prettier configuration for .*a\.policy: /);
    expect(readFileSync(join(dir, "a.policy"), "utf8")).toBe(UGLY);
  });

  it("needs at least one file or folder, and no standard input", async () => {
    await expect(fmtCommand([], { check: false })).rejects.toThrow(UsageError);
    await expect(fmtCommand(["-"], { check: true })).rejects.toThrow(UsageError);
  });
});
