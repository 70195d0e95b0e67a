/**
 * README "Programmatic API", run on the bundle a caller imports (dist/api.js,
 * made by `npm run build`): compile() and compileFile() give `files` and
 * `manifest` only when `ok` (never part of a tree), write nothing, and never
 * load prettier (only format() does). A resolve hook in the child process
 * refuses prettier; format() is the control that shows the hook bites.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { ROOT, tempDir } from "./helpers.js";

const API = join(ROOT, "dist", "api.js");

const NO_PRETTIER = `export async function resolve(specifier, context, next) {
  if (/^prettier(\\/|$)/.test(specifier) || /\\/node_modules\\/prettier\\//.test(specifier))
    throw new Error("prettier was loaded: " + specifier);
  return next(specifier, context);
}`;

/** Runs an ES module script in a fresh node with prettier refused, in an empty folder; its JSON output. */
function runWithoutPrettier(script: string): { cwd: string; out: Record<string, unknown>; stderr: string; status: number | null } {
  const base = tempDir("policyc-api-promises-");
  const cwd = join(base, "work");
  mkdirSync(cwd);
  writeFileSync(join(base, "hook.mjs"), NO_PRETTIER);
  const preamble = `import { register } from "node:module";
register(${JSON.stringify(pathToFileURL(join(base, "hook.mjs")).href)});
const api = await import(${JSON.stringify(pathToFileURL(API).href)});
`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", preamble + script], { cwd, encoding: "utf8", timeout: 30_000 });
  const last = r.stdout.trim().split("\n").pop() ?? "";
  return { cwd, out: last.startsWith("{") ? JSON.parse(last) : {}, stderr: r.stderr, status: r.status };
}

const GOOD = JSON.stringify('platform debian;\nservice sshd { acl user allow "/etc/ssh.acl" { entries root, alice; } }\n');
const BAD = JSON.stringify(
  'platform debian;\nservice sshd { acl user allow "/etc/ssh.acl" { entries root, alice; } }\nexpect allow sshd user mallory;\n',
);

describe('programmatic API promises (README "Programmatic API"), on dist/api.js', () => {
  it("dist/api.js is built (npm run build)", () => {
    expect(existsSync(API)).toBe(true);
  });

  it("compile and compileFile never load prettier and write nothing; format is refused prettier by the same hook", () => {
    const r = runWithoutPrettier(`
const { writeFileSync, readdirSync } = await import("node:fs");
writeFileSync("site.policy", ${GOOD});
const before = readdirSync(".").sort();
const a = api.compile(${GOOD}, { path: "site.policy" });
const b = api.compileFile("site.policy");
const after = readdirSync(".").sort();
let formatError = "";
try { await api.format("platform   debian;\\n"); } catch (e) { formatError = String(e && e.message); }
console.log(JSON.stringify({ ok: [a.ok, b.ok], files: [a.files.length, b.files.length], before, after, formatError }));
`);
    expect(r.stderr).toBe("");
    expect(r.out).toMatchObject({ ok: [true, true], before: ["site.policy"], after: ["site.policy"] });
    expect((r.out.files as number[])[0]).toBeGreaterThan(0);
    // The control: the hook refuses prettier to format(), which then says what to install.
    expect(r.out.formatError).toMatch(/needs prettier 3/);
    expect(readdirSync(r.cwd)).toEqual(["site.policy"]);
    expect(r.status).toBe(0);
  });

  it("a policy with an error gives no files and no manifest (never part of a tree), from text and from a file", () => {
    const r = runWithoutPrettier(`
const { writeFileSync } = await import("node:fs");
writeFileSync("bad.policy", ${BAD});
const shape = (x) => ({ ok: x.ok, errors: x.errors, files: x.files, manifest: x.manifest, codes: x.diagnostics.map((d) => d.code) });
console.log(JSON.stringify({ text: shape(api.compile(${BAD})), file: shape(api.compileFile("bad.policy")) }));
`);
    expect(r.stderr).toBe("");
    for (const k of ["text", "file"]) expect(r.out[k], k).toEqual({ ok: false, errors: 1, files: [], manifest: null, codes: ["PC6001"] });
    expect(r.status).toBe(0);
  });
});
