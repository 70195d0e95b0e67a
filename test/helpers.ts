import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { vi } from "vitest";
import { compile, type CompileResult } from "../src/compile.js";
import { renderDiagnostic } from "../src/diagnostics/render.js";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const TEMPLATES = join(ROOT, "templates");
export const CLI = join(ROOT, "bin", "policyc.js");

/** Compiles policy text in memory as "test.policy". */
export function compileText(text: string, path = "test.policy"): CompileResult {
  return compile(path, new TextEncoder().encode(text), { templates: TEMPLATES });
}

/** The diagnostics of a policy text as `line:col code message` lines, in source order. */
export function diagnosticsOf(text: string): string[] {
  const result = compileText(text);
  return result.diagnostics.sorted().map((d) => {
    if (!d.span) return `${d.code} ${d.message}`;
    const { line, column } = d.span.file.position(d.span.start);
    return `${line}:${column} ${d.code} ${d.message}`;
  });
}

/** The codes of a policy text's diagnostics, in source order. */
export function codesOf(text: string): string[] {
  return compileText(text)
    .diagnostics.sorted()
    .map((d) => d.code);
}

/** Rendered diagnostics (code frames included), as the CLI prints them without colour. */
export function renderedDiagnostics(result: CompileResult): string {
  return result.diagnostics
    .sorted()
    .map((d) => renderDiagnostic(d))
    .join("\n\n");
}

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (dist/) as a user would. */
export function runCli(args: string[], options: { input?: string | Buffer; cwd?: string; env?: NodeJS.ProcessEnv } = {}): CliRun {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? ROOT,
    input: options.input,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "", ...options.env },
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function tempDir(prefix = "policyc-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * Every entry below dir, folders too: relative path -> mode, mtime and size
 * (files) or mode and "dir" (folders; with folderTimes, their mtime too: a
 * staged and removed temporary changes it). What a refused build must leave alone.
 */
export function treeState(dir: string, { folderTimes }: { folderTimes: boolean }): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      const st = statSync(p);
      const mode = st.mode.toString(8);
      if (!e.isDirectory()) out.set(relative(dir, p), `${mode} ${st.mtimeMs} ${st.size}`);
      else out.set(relative(dir, p), folderTimes ? `${mode} ${st.mtimeMs} dir` : `${mode} dir`);
      if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

/** Every file under dir: relative path -> { bytes, mode }. */
export function readTree(dir: string): Map<string, { content: string; mode: number }> {
  const out = new Map<string, { content: string; mode: number }>();
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else out.set(relative(dir, p), { content: readFileSync(p, "utf8"), mode: st.mode & 0o7777 });
    }
  };
  walk(dir);
  return out;
}

/** Runs a command in-process with process.stdout and process.stderr captured. */
export async function captured(run: () => number | Promise<number>): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => ((stderr += String(chunk)), true));
  try {
    return { status: await run(), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

/**
 * fast-check options of the generated-input tests: `runs` by default,
 * POLICYC_PROPERTY_RUNS and POLICYC_PROPERTY_SEED to run more or replay one.
 */
export function propertyRuns(runs: number): { numRuns: number; seed: number; endOnFailure: true } {
  return {
    numRuns: Number(process.env.POLICYC_PROPERTY_RUNS ?? runs),
    seed: Number(process.env.POLICYC_PROPERTY_SEED ?? 20261207),
    endOnFailure: true,
  };
}
