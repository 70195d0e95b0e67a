/**
 * README "Performance": bin/policyc.js runs the CLI bundle from a V8 code
 * cache (dist/policyc.cjs.cache). The cache may only make start-up faster:
 * with it, without it, with a stale, corrupt or unwritable one, the CLI
 * prints and writes the same, and the lazy commands' import() (prettier,
 * the diff library) work. Each case runs a copy of bin/ and dist/ so that
 * the shared dist/ stays as the build made it.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readTree, ROOT, tempDir } from "./helpers.js";

/** A package of its own: bin/ and dist/ copied, the rest linked. */
function install(): string {
  const root = tempDir("policyc-code-cache-");
  cpSync(join(ROOT, "bin"), join(root, "bin"), { recursive: true });
  cpSync(join(ROOT, "dist"), join(root, "dist"), { recursive: true });
  for (const beside of ["templates", "package.json", "node_modules"]) symlinkSync(join(ROOT, beside), join(root, beside));
  return root;
}

/** Node without options of its own (a run with options writes no cache). */
const plainEnv = () => {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", FORCE_COLOR: "" };
  delete env.NODE_OPTIONS;
  return env;
};

function run(root: string, args: string[], cwd = ROOT, execArgv: string[] = []) {
  const r = spawnSync(process.execPath, [...execArgv, join(root, "bin", "policyc.js"), ...args], {
    cwd,
    encoding: "utf8",
    env: plainEnv(),
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The cookbook built by the bundle required as a plain module: no cache involved. */
function reference() {
  const out = tempDir();
  const r = spawnSync(
    process.execPath,
    [
      "-e",
      `process.argv = [process.argv[0], "policyc", ...process.argv.slice(1)]; require(${JSON.stringify(join(ROOT, "dist/policyc.cjs"))});`,
      "build",
      "examples/cookbook.policy",
      "-o",
      out,
    ],
    { cwd: ROOT, encoding: "utf8", env: plainEnv() },
  );
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.replaceAll(out, "OUT"), tree: readTree(out) };
}

function buildCookbook(root: string, execArgv: string[] = []) {
  const out = tempDir();
  const r = run(root, ["build", "examples/cookbook.policy", "-o", out], ROOT, execArgv);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.replaceAll(out, "OUT"), tree: readTree(out) };
}

const cacheOf = (root: string) => join(root, "dist", "policyc.cjs.cache");
const identity = (file: string) => {
  const st = statSync(file);
  return `${st.ino} ${st.mtimeMs} ${st.size}`;
};
const temporaries = (root: string) => readdirSync(join(root, "dist")).filter((f) => f.endsWith(".tmp"));

describe("the CLI bundle's code cache", () => {
  const expected = reference();

  it("is made by the build, names the bundle, and is used as it is", () => {
    expect(expected.status).toBe(0);
    const bundle = readFileSync(join(ROOT, "dist/policyc.cjs"), "utf8");
    const id = /^\/\/ policyc-bundle ([0-9a-f]{64})\n/.exec(bundle)?.[1];
    expect(id).toBeDefined();
    expect(readFileSync(join(ROOT, "dist/policyc.cjs.cache")).subarray(0, 200).toString("latin1")).toContain(
      `policyc-code-cache ${id} ${process.version} ${process.arch}\n`,
    );
    const root = install();
    const before = identity(cacheOf(root));
    expect(buildCookbook(root)).toEqual(expected);
    // Accepted: a refused cache would have been written anew.
    expect(identity(cacheOf(root))).toBe(before);
  });

  it("is written by the first run when missing, then used", () => {
    const root = install();
    const made = readFileSync(cacheOf(root));
    spawnSync("rm", [cacheOf(root)]);
    expect(buildCookbook(root)).toEqual(expected);
    expect(existsSync(cacheOf(root))).toBe(true);
    const written = identity(cacheOf(root));
    expect(readFileSync(cacheOf(root)).subarray(0, 100)).toEqual(made.subarray(0, 100));
    expect(buildCookbook(root)).toEqual(expected);
    expect(identity(cacheOf(root))).toBe(written);
    expect(temporaries(root)).toEqual([]);
  });

  it("a large policy's compile (V8's pretenuring turned off) writes no cache, and leaves the built one in use", () => {
    // README "Memory at the peak": a policy of 64 KiB or more is compiled with other V8 flags, which a
    // cache records; one written then would be refused by every plain start.
    const root = install();
    const dir = tempDir();
    const big = join(dir, "big.policy");
    const names = Array.from({ length: 9000 }, (_, i) => `user${i}`);
    writeFileSync(
      big,
      `platform debian;\nusers big = ${names.join(", ")};\nservice imapd {\n  pam imap;\n  acl user allow "/etc/imapd.acl" { entries $big; }\n}\n`,
    );
    expect(statSync(big).size).toBeGreaterThan(64 * 1024);
    const before = identity(cacheOf(root));
    const checked = run(root, ["check", big]);
    expect(checked.status, checked.stderr).toBe(0);
    expect(identity(cacheOf(root))).toBe(before);
    // Missing: the large policy's run writes none; the cookbook's run writes one, which the next uses.
    spawnSync("rm", [cacheOf(root)]);
    expect(run(root, ["check", big]).status).toBe(0);
    expect(existsSync(cacheOf(root))).toBe(false);
    expect(buildCookbook(root)).toEqual(expected);
    const written = identity(cacheOf(root));
    expect(buildCookbook(root)).toEqual(expected);
    expect(identity(cacheOf(root))).toBe(written);
    expect(temporaries(root)).toEqual([]);
  });

  const header = () => readFileSync(join(ROOT, "dist/policyc.cjs.cache")).toString("latin1").split("\n")[0]! + "\n";
  it.each<[string, () => Buffer]>([
    ["cut in half", () => readFileSync(join(ROOT, "dist/policyc.cjs.cache")).subarray(0, 250_000)],
    [
      "its header and then random bytes",
      () => Buffer.concat([Buffer.from(header(), "latin1"), Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 256))]),
    ],
    ["its header alone", () => Buffer.from(header(), "latin1")],
    ["zeros", () => Buffer.alloc(500_000)],
    ["empty", () => Buffer.alloc(0)],
    [
      "of another bundle",
      () =>
        Buffer.from(
          readFileSync(join(ROOT, "dist/policyc.cjs.cache"))
            .toString("latin1")
            .replace(/^policyc-code-cache [0-9a-f]/, (m) => m.slice(0, -1) + (m.endsWith("0") ? "1" : "0")),
          "latin1",
        ),
    ],
    [
      "of another node",
      () => Buffer.from(readFileSync(join(ROOT, "dist/policyc.cjs.cache")).toString("latin1").replace(process.version, "v0.0.0"), "latin1"),
    ],
  ])("a cache %s changes nothing, and is replaced", (_, content) => {
    const root = install();
    writeFileSync(cacheOf(root), content());
    expect(buildCookbook(root)).toEqual(expected);
    const replaced = identity(cacheOf(root));
    expect(buildCookbook(root)).toEqual(expected);
    expect(identity(cacheOf(root))).toBe(replaced);
    expect(temporaries(root)).toEqual([]);
  });

  it("a cache that cannot be read or written (a folder in its place) changes nothing and leaves nothing", () => {
    const root = install();
    spawnSync("rm", [cacheOf(root)]);
    mkdirSync(cacheOf(root));
    expect(buildCookbook(root)).toEqual(expected);
    expect(statSync(cacheOf(root)).isDirectory()).toBe(true);
    expect(temporaries(root)).toEqual([]);
  });

  it("node run with options of its own writes no cache", () => {
    const root = install();
    spawnSync("rm", [cacheOf(root)]);
    expect(buildCookbook(root, ["--no-warnings"])).toEqual(expected);
    expect(existsSync(cacheOf(root))).toBe(false);
  });

  it("without its first line the bundle is required as a module, with no cache", () => {
    const root = install();
    const bundle = join(root, "dist", "policyc.cjs");
    const text = readFileSync(bundle, "utf8");
    writeFileSync(bundle, text.slice(text.indexOf("\n") + 1));
    spawnSync("rm", [cacheOf(root)]);
    expect(buildCookbook(root)).toEqual(expected);
    expect(existsSync(cacheOf(root))).toBe(false);
  });

  it("the lazy commands' imports work from the cache: fmt (prettier and the plugin bundle), build --check (the diff library)", () => {
    const root = install();
    const before = identity(cacheOf(root));
    const work = tempDir();
    copyFileSync(join(ROOT, "examples/cookbook.policy"), join(work, "p.policy"));
    writeFileSync(join(work, "messy.policy"), "platform   debian;\n");
    const fmt = run(root, ["fmt", "--check", "p.policy"], work);
    expect(fmt.stderr).toBe("");
    expect(fmt.status).toBe(0);
    const messy = run(root, ["fmt", "messy.policy"], work);
    expect(messy.status, messy.stderr).toBe(0);
    expect(readFileSync(join(work, "messy.policy"), "utf8")).toBe("platform debian;\n");
    expect(run(root, ["build", "p.policy", "-o", "out", "-q"], work).status).toBe(0);
    writeFileSync(join(work, "out/etc/imapd.acl"), "someone\n");
    const check = run(root, ["build", "p.policy", "-o", "out", "--check"], work);
    expect(check.status).toBe(1);
    expect(check.stdout).toContain("--- a/etc/imapd.acl\n+++ b/etc/imapd.acl\n");
    expect(identity(cacheOf(root))).toBe(before);
  });
});
