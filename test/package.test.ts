/**
 * README "Install": the package as a user gets it. A fresh clone of this
 * repository's HEAD is packed (the prepare script builds dist/), the tarball
 * is installed into an empty project, and the bin, `check`, `build`, `fmt`
 * (without prettier, then with it) and the prettier plugin run from there.
 * npm uses its cache first (--prefer-offline), the registry for what is
 * missing. `npm install git+URL` runs the same prepare script in a clone
 * (checked by hand; as a test it would cost another 50 s of npm install).
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, tempDir } from "./helpers.js";

const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  version: string;
  engines: { node: string };
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
  scripts: Record<string, string>;
  files: string[];
};

/** The environment of a user's shell: none of the npm_* variables `npm test` sets for vitest. */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  return { ...env, NO_COLOR: "1", FORCE_COLOR: "" };
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], cwd: string, input?: string): Run {
  const r = spawnSync(command, args, { cwd, env: userEnv(), encoding: "utf8", input, timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ok(command: string, args: string[], cwd: string): Run {
  const r = run(command, args, cwd);
  if (r.status !== 0) throw new Error(`${command} ${args.join(" ")} in ${cwd} failed (${r.status}):\n${r.stderr}\n${r.stdout}`);
  return r;
}

const NPM_FLAGS = ["--no-audit", "--no-fund", "--prefer-offline"];

describe("package metadata", () => {
  it("states one Node.js version, 20.19 or later, in engines, the README and CI", () => {
    expect(pkg.engines.node).toBe(">=20.19");
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    expect(readme).toContain("**Node.js 20.19 or later**");
    // No other statement of the version that could disagree.
    const statements = [...readme.matchAll(/Node\.js (\d+(?:\.\d+)?) or later/g)].map((m) => m[1]);
    expect(new Set(statements)).toEqual(new Set(["20.19"]));
    const ci = readFileSync(join(ROOT, ".ci", "run"), "utf8");
    expect(ci).toMatch(/a < 20 \|\| \(a === 20 && b < 19\)/);
  });

  it("is MIT licensed by the policyc authors, with a changelog", () => {
    const license = readFileSync(join(ROOT, "LICENSE"), "utf8");
    expect(license).toMatch(/^MIT License\n\nCopyright \(c\) 2026 policyc authors\n/);
    expect(readFileSync(join(ROOT, "CHANGELOG.md"), "utf8")).toMatch(/^# Changelog\n[\s\S]*## 0\.1\.0\n/);
    expect(pkg.files).toEqual(expect.arrayContaining(["bin", "dist", "templates", "schemas", "LICENSE", "CHANGELOG.md"]));
  });

  it("has prettier as an optional peer dependency (and a devDependency for the tests), not a dependency", () => {
    expect(pkg.dependencies.prettier).toBeUndefined();
    expect(pkg.peerDependencies.prettier).toMatch(/^\^3\./);
    expect(pkg.peerDependenciesMeta.prettier?.optional).toBe(true);
    expect(pkg.devDependencies.prettier).toMatch(/^\^3\./);
    expect(pkg.scripts.prepare).toBe("npm run build");
  });
});

describe("the packed package, installed into an empty project", () => {
  let work: string;
  let clone: string;
  let project: string;
  let tarball: string;
  const started = Date.now();

  beforeAll(() => {
    work = tempDir("policyc-package-");
    clone = join(work, "clone");
    project = join(work, "project");
    ok("git", ["clone", "-q", ROOT, clone], work);
    // Dependencies only: the build is the prepare script's job, run by npm pack.
    ok("npm", ["ci", "--ignore-scripts", ...NPM_FLAGS], clone);
    expect(existsSync(join(clone, "dist"))).toBe(false);
    const packed = ok("npm", ["pack", "--pack-destination", work, "--json"], clone);
    const name = (JSON.parse(packed.stdout) as Array<{ filename: string }>)[0]!.filename;
    tarball = join(work, name);
    ok("mkdir", [project], work);
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", version: "1.0.0", private: true }) + "\n");
    ok("npm", ["install", ...NPM_FLAGS, tarball], project);
    copyFileSync(join(ROOT, "examples", "cookbook.policy"), join(project, "cookbook.policy"));
  }, 180_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
    // Wall time of the whole file, for the report in the README's test list.
    process.stderr.write(`package.test.ts: ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  });

  it("packs dist/, the templates, the Ansible role, the schemas, the man page, LICENSE and CHANGELOG.md, and no sources or tests", () => {
    const listing = ok("tar", ["tzf", tarball], work).stdout.split("\n");
    for (const f of [
      "package/dist/policyc.cjs",
      "package/dist/policyc.cjs.cache",
      "package/dist/prettier.js",
      "package/dist/stage-worker.cjs",
      "package/dist/hosts-worker.cjs",
      "package/bin/policyc.js",
      "package/LICENSE",
      "package/CHANGELOG.md",
    ])
      expect(listing).toContain(f);
    expect(listing).toContain("package/templates/debian/12/mail/sendmail.mc");
    expect(listing).toContain("package/templates/redhat/9/pam.d/sshd");
    expect(listing).toContain("package/ansible/deploy.yml");
    expect(listing).toContain("package/schemas/diagnostics.schema.json");
    expect(listing).toContain("package/man/policyc.1");
    expect(listing.filter((f) => /^package\/(src|test|grammar)\//.test(f))).toEqual([]);
  });

  it("installs without prettier, and the bin runs", () => {
    expect(existsSync(join(project, "node_modules", "prettier"))).toBe(false);
    const r = run("npx", ["--no-install", "policyc", "--version"], project);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(new RegExp(`^policyc ${pkg.version.replace(/\./g, "\\.")} \\(Public Suffix List of tldts [\\d.]+\\)\\n$`));
    expect(r.status).toBe(0);
  });

  it("checks and builds a policy without prettier", () => {
    const check = run("npx", ["--no-install", "policyc", "check", "cookbook.policy"], project);
    expect(check.stderr).toContain("policyc: cookbook.policy is valid (2 warnings); it produces 7 files.");
    expect(check.status).toBe(0);
    const build = run("npx", ["--no-install", "policyc", "build", "cookbook.policy", "-o", "out"], project);
    expect(build.status).toBe(0);
    expect(readFileSync(join(project, "out", "etc", "mail", "sendmail.mc"), "utf8")).toContain("TRUST_AUTH_MECH(`DIGEST-MD5 CRAM-MD5')");
  });

  it("fmt without prettier says what to install, exit 2", () => {
    const r = run("npx", ["--no-install", "policyc", "fmt", "--check", "cookbook.policy"], project);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(
      /^policyc: fmt needs prettier 3, an optional peer dependency of policyc, and it is not installed: run npm install --save-dev prettier@3 in your project/,
    );
    expect(r.status).toBe(2);
  });

  it("fmt finds prettier in the current folder's project when there is none beside policyc (a global policyc)", () => {
    const other = join(work, "other");
    ok("mkdir", ["-p", join(other, "node_modules")], work);
    symlinkSync(join(ROOT, "node_modules", "prettier"), join(other, "node_modules", "prettier"));
    writeFileSync(join(other, "ugly.policy"), "platform   debian;\n");
    const r = run(
      process.execPath,
      [join(project, "node_modules", "policyc", "bin", "policyc.js"), "fmt", "--check", "ugly.policy"],
      other,
    );
    expect([r.status, r.stdout, r.stderr]).toEqual([1, "ugly.policy\n", ""]);
  });

  it("fmt and the prettier plugin work once the project installs prettier", () => {
    ok("npm", ["install", ...NPM_FLAGS, "--save-dev", `prettier@${pkg.devDependencies.prettier}`], project);
    const policy = join(project, "messy.policy");
    writeFileSync(policy, "platform debian;\nusers   staff=alice,bob;\n");
    const check = run("npx", ["--no-install", "policyc", "fmt", "--check", "messy.policy"], project);
    expect(check.stdout).toBe("messy.policy\n");
    expect(check.status).toBe(1);
    const plugin = run("npx", ["--no-install", "prettier", "--plugin", "policyc/prettier", "messy.policy"], project);
    expect(plugin.stderr).toBe("");
    expect(plugin.stdout).toBe("platform debian;\nusers staff = alice, bob;\n");
    expect(plugin.status).toBe(0);
    const fmt = run("npx", ["--no-install", "policyc", "fmt", "messy.policy"], project);
    expect(fmt.status).toBe(0);
    expect(readFileSync(policy, "utf8")).toBe(plugin.stdout);
  });

  it('exports the typed API to import and require (README "Programmatic API")', () => {
    const policy = 'platform debian;\nservice sshd { acl user allow "/etc/ssh.acl" { entries root, alice; } }\n';
    writeFileSync(
      join(project, "esm.mjs"),
      `import { compile, compileFile, format, version } from "policyc";
const r = compile(${JSON.stringify(policy)}, { path: "site.policy" });
const bad = compileFile("missing.policy");
const f = await format("platform   debian;\\n");
const acked = compile("platform debian;\\nmail {\\n  domain mx.example.test;\\n  listen smtp;\\n  auth mechanisms CRAM-MD5;\\n  unsafe PC4006 \\"legacy clients\\";\\n}\\n");
console.log(JSON.stringify({ version, ok: r.ok, targets: r.files.map((x) => x.target), manifest: r.manifest.format,
  bad: bad.diagnostics.map((d) => d.code), badOk: bad.ok, formatted: f.text,
  acked: [acked.warnings, acked.suppressed, acked.diagnostics[0].suppressed.justification] }));
`,
    );
    writeFileSync(
      join(project, "cjs.cjs"),
      `const { compile, format } = require("policyc");
const r = compile("platform debian;\\nservice sshd { pam ; }\\n");
const schema = require("policyc/schemas/diagnostics.schema.json").title;
format("users a=b;").then((f) => console.log(JSON.stringify({ ok: r.ok, errors: r.errors, diagnostic: r.diagnostics[0], formatted: f.text, schema })));
`,
    );
    const esm = ok("node", ["esm.mjs"], project);
    expect(JSON.parse(esm.stdout)).toEqual({
      version: pkg.version,
      ok: true,
      targets: ["/etc/pam.d/sshd", "/etc/ssh.acl"],
      manifest: "policyc-manifest",
      bad: ["PC1010"],
      badOk: false,
      formatted: "platform debian;\n",
      acked: [0, 1, "legacy clients"],
    });
    const cjs = ok("node", ["cjs.cjs"], project);
    expect(JSON.parse(cjs.stdout)).toEqual({
      ok: false,
      errors: 1,
      diagnostic: {
        code: "PC3004",
        severity: "error",
        message: '"pam" takes the PAM service name, e.g. pam login;.',
        location: { file: "<stdin>", line: 2, column: 16, endLine: 2, endColumn: 21 },
        related: [],
      },
      formatted: "users a = b;\n",
      schema: "policyc diagnostics (--format json), version 1",
    });
  });

  it("type-checks a consumer against the installed .d.ts, for import and require", () => {
    const uses = `const r: CompileResult = compile("platform debian;", { path: "x.policy" });
const n: number = r.errors + r.warnings;
const codes: string[] = r.diagnostics.map((d: Diagnostic) => d.code);
const line: number | undefined = r.diagnostics[0]?.location?.line;
const f: OutputFile | undefined = r.files[0];
const p: Promise<FormatResult> = format("platform debian;");
// @ts-expect-error: errors is a number, so the types are real, not any.
const wrong: string = r.errors;
// @ts-expect-error: compile takes options, not a number.
compile("platform debian;", 1);
export { n, codes, line, f, p, wrong, version };
`;
    writeFileSync(
      join(project, "consumer.mts"),
      `import { compile, format, version, type CompileResult, type Diagnostic, type FormatResult, type OutputFile } from "policyc";\n${uses}`,
    );
    writeFileSync(
      join(project, "consumer.cts"),
      `import policyc = require("policyc");\nconst { compile, format, version } = policyc;\ntype CompileResult = policyc.CompileResult; type Diagnostic = policyc.Diagnostic; type FormatResult = policyc.FormatResult; type OutputFile = policyc.OutputFile;\n${uses}`,
    );
    const tsc = run(
      process.execPath,
      [
        join(ROOT, "node_modules", "typescript", "bin", "tsc"),
        "--ignoreConfig",
        "--noEmit",
        "--strict",
        "--module",
        "nodenext",
        "--moduleResolution",
        "nodenext",
        "--target",
        "es2022",
        "--types",
        "",
        "consumer.mts",
        "consumer.cts",
      ],
      project,
    );
    expect(tsc.stdout + tsc.stderr).toBe("");
    expect(tsc.status).toBe(0);
  });
});
