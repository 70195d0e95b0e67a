/**
 * policyc's programmatic API (README "Programmatic API"), the package's "."
 * export: `import { compile } from "policyc"` or `require("policyc")`.
 * Bundled apart (dist/api.js, dist/api.cjs, with dist/api.d.ts); prettier is
 * loaded only by format(). Every type a caller sees is declared here, so the
 * .d.ts stands alone and the compiler's internals stay free to change.
 *
 * explain() asks the decision procedure (src/decide/) the questions
 * `policyc explain` answers.
 */
import { fileURLToPath } from "node:url";
import { mailJson, pamJson } from "./cli/answers.js";
import { diagnosticJson } from "./cli/report.js";
import { readPolicy } from "./cli/io.js";
import { loadPrettier } from "./cli/fmt.js";
import { compile as compilePipeline, viewsOf } from "./compile.js";
import { explainMail, explainPam, type MailRequest, type PamRequest } from "./decide/index.js";
import type { Diagnostic as InternalDiagnostic } from "./diagnostics/diagnostic.js";
import { parsePolicy } from "./format/parser.js";
import { makeManifest } from "./output/manifest.js";

declare const __POLICYC_VERSION__: string | undefined;

/** The version of policyc, as `policyc --version` prints it. */
export const version: string = typeof __POLICYC_VERSION__ === "string" ? __POLICYC_VERSION__ : "0.0.0-dev";

/** A place in a policy file: 1-based lines, columns in UTF-16 code units (like editors' language servers). */
export interface Location {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

/** One finding, as in `--format json` (README "Diagnostics as JSON and SARIF"). */
export interface Diagnostic {
  /** A stable code of the README's "Diagnostic codes" table, e.g. "PC3007". */
  code: string;
  severity: "error" | "warning";
  message: string;
  /** null for findings about no particular line (an unreadable file, a template). */
  location: Location | null;
  related: { message: string; location: Location | null }[];
  /** A warning the policy acknowledged with `unsafe CODE "reason";`: not counted in `warnings`. */
  suppressed?: { kind: "inSource"; justification: string; location: Location };
}

/** One generated file of the output tree. */
export interface OutputFile {
  /** Path under the output folder, POSIX, e.g. "etc/pam.d/imap" (HOST/... with host blocks). */
  path: string;
  /** Path on the target host, e.g. "/etc/pam.d/imap". */
  target: string;
  /** The host it is for, or null for a policy without host blocks. */
  host: string | null;
  content: string;
  /** Permission bits, e.g. 0o644. */
  mode: number;
  sha256: string;
  /** What produced it: `service "imapd"`, `the mail block`, ... */
  producer: string;
}

/** The manifest `policyc build` writes to OUT/.policyc/manifest.json (schemas/manifest.schema.json). */
export interface Manifest {
  format: "policyc-manifest";
  version: 1;
  policy: string;
  hosts: string[] | null;
  files: {
    path: string;
    host: string | null;
    target: string;
    mode: string;
    owner: string;
    group: string;
    sha256: string;
    producer: string;
    sources: { file: string; line: number; column: number }[];
  }[];
}

/** What compiling a policy gives: its diagnostics, and its files when there is no error. */
export interface CompileResult {
  /** No errors (warnings allowed): `files` and `manifest` are set. */
  ok: boolean;
  errors: number;
  /** Warnings not acknowledged in the policy. */
  warnings: number;
  /** Warnings acknowledged with `unsafe CODE "reason";`: in `diagnostics` with `suppressed` set. */
  suppressed: number;
  /** In source order; at most 100 are kept (then a PC9001 warning counts the rest). */
  diagnostics: Diagnostic[];
  /** Empty when there are errors: policyc never produces part of a tree. */
  files: OutputFile[];
  manifest: Manifest | null;
  /** The hosts of a policy with host blocks, or null. */
  hosts: string[] | null;
}

export interface CompileOptions {
  /**
   * The name the policy is shown by (diagnostics, generated headers) and
   * the base of its includes. Default "<stdin>": includes are then relative
   * to the current folder, as for `policyc check -`.
   */
  path?: string;
  /** A templates folder with one folder per platform (default: the templates shipped with policyc). */
  templates?: string;
}

/** The templates shipped with the package (dist/../templates). */
function defaultTemplates(): string {
  return fileURLToPath(new URL("../templates", import.meta.url));
}

function resultOf(diagnostics: InternalDiagnostic[], errors: number, warnings: number, suppressed = 0): CompileResult {
  return {
    ok: errors === 0,
    errors,
    warnings,
    suppressed,
    diagnostics: diagnostics.map(diagnosticJson),
    files: [],
    manifest: null,
    hosts: null,
  };
}

function compileBytes(path: string, bytes: Uint8Array, options: CompileOptions): CompileResult {
  const r = compilePipeline(path, bytes, { templates: options.templates ?? defaultTemplates() });
  const d = r.diagnostics;
  const result = resultOf(d.sorted(), d.errorCount, d.warningCount, d.suppressedCount);
  if (!r.files || !r.build) return result;
  const hosts = r.build.hosts.some((h) => h.name !== null) ? r.build.hosts.map((h) => h.name!) : null;
  const manifest = makeManifest(path, hosts, r.files) as Manifest;
  result.hosts = hosts;
  result.manifest = manifest;
  result.files = r.files.map((f, i) => {
    const entry = manifest.files[i]!;
    return {
      path: f.path,
      target: entry.target,
      host: entry.host,
      content: f.content,
      mode: f.mode,
      sha256: entry.sha256,
      producer: f.producer,
    };
  });
  return result;
}

/** Compiles policy text (or its UTF-8 bytes) in memory: what `policyc check` reports and what `policyc build` would write. */
export function compile(source: string | Uint8Array, options: CompileOptions = {}): CompileResult {
  const bytes = typeof source === "string" ? new TextEncoder().encode(source) : source;
  return compileBytes(options.path ?? "<stdin>", bytes, options);
}

/**
 * Compiles a policy file (and the files it includes), read as `policyc
 * check FILE` reads it: a missing, unreadable or oversized file is an error
 * diagnostic (PC1010, PC1015, PC1016) in the result, never an exception.
 */
export function compileFile(file: string, options: Omit<CompileOptions, "path"> = {}): CompileResult {
  const input = readPolicy(file);
  if ("error" in input) return resultOf([input.error], 1, 0);
  return compileBytes(input.path, input.bytes, options);
}

export interface FormatOptions {
  /** The file name: shown in diagnostics, and where a .prettierrc or .editorconfig is looked for. */
  path?: string;
  /** Read the prettier configuration (.prettierrc, .editorconfig) that applies to `path` (default true when `path` is given). */
  config?: boolean;
}

/** A formatted policy, or the syntax errors that keep it from being formatted. */
export interface FormatResult {
  ok: boolean;
  /** The canonical text (README "Formatting"); the input unchanged when ok is false. */
  text: string;
  diagnostics: Diagnostic[];
}

/**
 * Formats a policy as `policyc fmt` does. Needs prettier 3, an optional peer
 * dependency: without it the promise rejects with an Error that says what to
 * install.
 */
export async function format(source: string, options: FormatOptions = {}): Promise<FormatResult> {
  const prettier = await loadPrettier();
  const plugin: import("prettier").Plugin = (await import("./format/plugin.js")).default;
  const path = options.path ?? "<input>";
  const config = options.path && options.config !== false ? await prettier.resolveConfig(options.path, { editorconfig: true }) : null;
  try {
    // prettier returns a blank text without parsing it; the compiler refuses it (PC1006).
    if (source.trim() === "") parsePolicy(source, path);
    const text = await prettier.format(source, { ...config, filepath: path, parser: "policyc", plugins: [plugin], endOfLine: "lf" });
    return { ok: true, text, diagnostics: [] };
  } catch (e) {
    const diagnostics = (e as { diagnostics?: InternalDiagnostic[] }).diagnostics;
    if (!Array.isArray(diagnostics)) throw e;
    return { ok: false, text: source, diagnostics: diagnostics.map(diagnosticJson) };
  }
}

/** A PAM request, as `policyc explain POLICY SERVICE USER` takes it. */
export interface PamQuestion {
  kind: "pam";
  /** The service as the policy names it, or its PAM service name. */
  service: string;
  user: string;
  rhost?: string;
  tty?: string;
  ruser?: string;
  /** The user's groups (default: one group named like the user). */
  groups?: string[];
  /** The user's login shell (default /bin/bash). */
  shell?: string;
  /** Whether the user is in passwd (default true). */
  exists?: boolean;
  /** Whether /etc/nologin exists (default false). */
  nologin?: boolean;
}

/** A mail request, as `policyc explain POLICY relay RECIPIENT` takes it. */
export interface MailQuestion {
  kind: "mail";
  recipient: string;
  /** The client's IP address (default 192.0.2.1). */
  clientAddr?: string;
  clientName?: string;
  sender?: string;
  /** The SMTP AUTH mechanism the client authenticated with. */
  auth?: string;
  /** The listen socket's name (default the first). */
  socket?: string;
}

/**
 * One host's answer, the objects of `policyc explain --format json`'s
 * `answers` (README "Questions about a policy"): `kind`, `host`, `decision`
 * and `reason` always; for PAM also `service`, `pamService`, `status`,
 * `decidedBy` and the `steps` of the trace; for mail `rule`, `domain` and
 * `location`.
 */
export interface Answer {
  kind: "pam" | "mail";
  host: string | null;
  decision: "allow" | "deny" | "unknown" | "accept" | "refuse";
  reason: string;
  [field: string]: unknown;
}

export interface ExplainResult {
  /** False when the policy has errors (then `answers` is empty) or names no such service. */
  ok: boolean;
  diagnostics: Diagnostic[];
  /** One answer per host the question concerns (one for a policy without hosts). */
  answers: Answer[];
}

/**
 * Answers a question about a policy with the decision procedure that
 * `policyc explain`, `test` and `diff-access` use: would PAM let this user
 * in, would sendmail relay to this recipient, and why. Only hosts named in
 * `options.host` are asked when it is given.
 */
export function explain(
  source: string | Uint8Array,
  question: PamQuestion | MailQuestion,
  options: CompileOptions & { host?: string } = {},
): ExplainResult {
  const bytes = typeof source === "string" ? new TextEncoder().encode(source) : source;
  const templates = options.templates ?? defaultTemplates();
  const r = compilePipeline(options.path ?? "<stdin>", bytes, { templates, skipAssertions: true });
  const diagnostics = r.diagnostics.sorted().map(diagnosticJson);
  if (!r.files || !r.build || !r.program) return { ok: false, diagnostics, answers: [] };
  const views = viewsOf({ build: r.build, program: r.program, files: r.files }, templates).filter(
    (v) => options.host === undefined || v.host === options.host,
  );
  const answers: Answer[] = [];
  for (const v of views) {
    if (question.kind === "mail") {
      const { kind: _, ...request } = question;
      answers.push(mailJson(explainMail(v, request satisfies MailRequest)) as Answer);
    } else {
      const { kind: _, ...request } = question;
      const d = explainPam(v, request satisfies PamRequest);
      if (d) answers.push(pamJson(d) as Answer);
    }
  }
  return { ok: answers.length > 0, diagnostics, answers };
}
