import { pathToFileURL } from "node:url";
import type { Diagnostic, Span } from "../diagnostics/diagnostic.js";
import { Messages } from "../diagnostics/messages.js";
import { sha256 } from "../output/manifest.js";
import type { Change } from "../output/tree.js";
import { printDiagnostics } from "./io.js";

export type Format = "human" | "json" | "sarif";
export const FORMATS: readonly Format[] = ["human", "json", "sarif"];

export interface Position {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

function position(span: Span): Position {
  const start = span.file.position(span.start);
  const end = span.file.position(span.end);
  return { file: span.file.path, line: start.line, column: start.column, endLine: end.line, endColumn: end.column };
}

/** One diagnostic in the JSON form (schemas/diagnostics.schema.json), also what the programmatic API returns. */
export interface DiagnosticJson {
  code: string;
  severity: "error" | "warning";
  message: string;
  location: Position | null;
  related: { message: string; location: Position | null }[];
  /** Present for a warning the policy acknowledged with `unsafe CODE "reason";`. */
  suppressed?: { kind: "inSource"; justification: string; location: Position };
}

export function diagnosticJson(d: Diagnostic): DiagnosticJson {
  return {
    code: d.code,
    severity: d.severity,
    message: d.message,
    location: d.span ? position(d.span) : null,
    related: (d.related ?? []).map((r) => ({ message: r.message, location: r.span ? position(r.span) : null })),
    ...(d.suppressed
      ? { suppressed: { kind: "inSource" as const, justification: d.suppressed.justification, location: position(d.suppressed.span) } }
      : {}),
  };
}

/** One changed file of `build --check` or `diff`, in the JSON report (schemas/report.schema.json). */
export interface ChangeJson {
  /** Path under OUT (build --check) or under the compared root (diff). */
  path: string;
  /** add: missing on disk; remove: a stale file build would delete; modify: other bytes; mode: other permissions only; owner: other owner or group only. */
  kind: Change["kind"];
  oldSha256: string | null;
  newSha256: string | null;
  oldMode: string | null;
  newMode: string | null;
  /** UID:GID on disk and what the policy sets ("root:root"), when they differ (diff --root); else null. */
  oldOwner: string | null;
  newOwner: string | null;
  /** The unified diff of this file, as the human output prints it. */
  patch: string;
}

export function changeJson(c: Change, patch: string): ChangeJson {
  const mode = (m: number | undefined) => (m === undefined ? null : "0" + m.toString(8));
  return {
    path: c.path,
    kind: c.kind,
    oldSha256: c.before !== undefined && c.kind !== "add" ? sha256(c.before) : null,
    newSha256: c.after !== undefined && c.kind !== "remove" ? sha256(c.after) : null,
    oldMode: mode(c.modeBefore),
    newMode: mode(c.modeAfter),
    oldOwner: c.ownerBefore ?? null,
    newOwner: c.ownerAfter ?? null,
    patch,
  };
}

/** What a comparing command found: its changes, and which rule they are in SARIF. */
export interface ChangeReport {
  rule: "out-of-date" | "drift" | "stock" | "format";
  /** The folder compared: OUT, the --root, or "stock". */
  root: string;
  changes: ChangeJson[];
}

/** Everything a machine document holds. */
export interface DocumentInput {
  diagnostics: Diagnostic[];
  errors: number;
  warnings: number;
  /** Warnings acknowledged in the policy: in `diagnostics`, marked, and not counted in `warnings`. */
  suppressed?: number;
  version: string;
  changes?: ChangeReport;
  /** Where a SARIF result about no line points: the policy (or tree) the command was given. */
  subject?: string;
}

/**
 * The JSON form (README "Diagnostics as JSON"): stable field names; new
 * fields may be added, none removed or renamed within version 1. A
 * comparing command (build --check, diff) adds `compared` and `changes`.
 */
export function toJson(input: DocumentInput): string {
  const doc: Record<string, unknown> = {
    format: "policyc-diagnostics",
    version: 1,
    diagnostics: input.diagnostics.map(diagnosticJson),
    errors: input.errors,
    warnings: input.warnings,
  };
  if (input.suppressed) doc.suppressed = input.suppressed;
  if (input.changes) {
    doc.compared = input.changes.root;
    doc.changes = input.changes.changes;
  }
  return JSON.stringify(doc, null, 2) + "\n";
}

declare const __POLICYC_RULES__: Record<string, { meaning: string; section: string; anchor: string }> | undefined;
declare const __POLICYC_HOMEPAGE__: string | undefined;

/** The README's "Diagnostic codes" table and the section each code is explained in (scripts/bundle.js reads them). */
const README_RULES = typeof __POLICYC_RULES__ === "object" ? __POLICYC_RULES__ : {};
/** Where the README is read online: package.json's homepage. */
export const HOMEPAGE = typeof __POLICYC_HOMEPAGE__ === "string" ? __POLICYC_HOMEPAGE__ : "https://www.npmjs.com/package/policyc";

/** A SARIF reportingDescriptor with what GitHub requires of one (GH2012: shortDescription, fullDescription, help). */
export interface SarifRule {
  id: string;
  name: string;
  shortDescription: { text: string };
  fullDescription: { text: string };
  help: { text: string; markdown: string };
  helpUri: string;
  defaultConfiguration: { level: "error" | "warning" | "note" };
}

export function sarifRule(
  id: string,
  level: SarifRule["defaultConfiguration"]["level"],
  short: string,
  full: string,
  section: string,
  anchor: string,
): SarifRule {
  const helpUri = `${HOMEPAGE}#${anchor}`;
  return {
    id,
    name: id.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : "")).replace(/^./, (c) => c.toUpperCase()),
    shortDescription: { text: short },
    fullDescription: { text: full },
    help: {
      text: `${full} See the README, section "${section}": ${helpUri}`,
      markdown: `${full}\n\nSee the README, section [${section}](${helpUri}).`,
    },
    helpUri,
    defaultConfiguration: { level },
  };
}

/** The rule of a catalogue code: the README's meaning, the catalogue's sentence, and the README section that explains it. */
function catalogueRule(code: string): SarifRule {
  const def = Object.values(Messages).find((d) => d.code === code);
  const readme = README_RULES[code];
  const meaning = readme?.meaning ?? def?.text ?? code;
  const short = meaning.charAt(0).toUpperCase() + meaning.slice(1);
  const full = def
    ? `${short}. policyc says: "${def.text}"${def.text.includes("{") ? " (words in braces stand for the policy's own)" : ""}.`
    : `${short}.`;
  return sarifRule(
    code,
    def?.severity ?? "warning",
    short,
    full,
    readme?.section ?? "Diagnostic codes",
    readme?.anchor ?? "diagnostic-codes",
  );
}

/** The rules of the comparing commands' results. */
const CHANGE_RULES: Record<ChangeReport["rule"], SarifRule> = {
  "out-of-date": sarifRule(
    "policyc/out-of-date",
    "error",
    "A file of the output tree is not what the policy produces",
    "build --check found a file under OUT that differs from what the policy produces (other bytes or mode), is missing, or is stale. Run policyc build to update the tree.",
    "Command line",
    "command-line",
  ),
  drift: sarifRule(
    "policyc/drift",
    "error",
    "A deployed file has drifted from the policy",
    "diff --root found a deployed file that differs from what the policy produces: edited by hand, missing, or with another mode.",
    "Command line",
    "command-line",
  ),
  format: sarifRule(
    "policyc/unformatted",
    "error",
    "A policy file is not in the canonical layout",
    "fmt --check found a policy file that policyc fmt (prettier with policyc's plugin) would change. Run policyc fmt on it.",
    "Formatting",
    "formatting",
  ),
  stock: sarifRule(
    "policyc/stock-change",
    "note",
    "What the policy changes in a stock file",
    "diff --stock shows, per generated file, what the policy changes in the distribution's stock file it is built from; a file without a stock file is new.",
    "Platforms and stock files",
    "platforms-and-stock-files",
  ),
};

/** A SARIF artifact URI: relative paths as they are (relative to the repository), absolute ones and standard input as file URIs (GH1005). */
export function artifactUri(path: string): string {
  if (path === "<stdin>" || path === "-") return "file:///dev/stdin";
  if (path.startsWith("/")) return pathToFileURL(path).href;
  return path.split("/").map(encodeURIComponent).join("/");
}

function physical(uri: string, region?: { startLine: number; startColumn: number; endLine: number; endColumn: number }) {
  return { physicalLocation: { artifactLocation: { uri }, ...(region ? { region } : {}) } };
}

function spanLocation(span: Span) {
  const p = position(span);
  return physical(artifactUri(p.file), { startLine: p.line, startColumn: p.column, endLine: p.endLine, endColumn: p.endColumn });
}

/** The SARIF log: one run of tool policyc, with rule metadata for every rule a result names. */
export function sarifLog(version: string, rules: SarifRule[], results: object[]): string {
  const sarif = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: { driver: { name: "policyc", version, semanticVersion: version, informationUri: HOMEPAGE, rules } },
        results,
      },
    ],
  };
  return JSON.stringify(sarif, null, 2) + "\n";
}

/** A fingerprint that survives lines moving (GH1015 wants partialFingerprints). */
export function fingerprint(...parts: string[]): Record<string, string> {
  return { "policyc/v1": sha256(parts.join("\0")).slice(0, 32) };
}

/**
 * SARIF 2.1.0, so CI systems annotate the policy line. Every result has a
 * location (GitHub rejects empty `locations`, GH1015): a finding about no
 * line points at the file the command was given, and a changed file at that
 * file under OUT or the root.
 */
export function toSarif(input: DocumentInput): string {
  const subject = artifactUri(input.subject ?? ".");
  const results: object[] = input.diagnostics.map((d) => {
    const where = d.span ? spanLocation(d.span) : physical(subject);
    return {
      ruleId: d.code,
      level: d.severity === "error" ? "error" : "warning",
      message: { text: d.message },
      locations: [where],
      partialFingerprints: fingerprint(d.code, where.physicalLocation.artifactLocation.uri, d.message),
      // An acknowledged warning: GitHub shows it as dismissed, with the policy's reason.
      ...(d.suppressed
        ? {
            suppressions: [
              {
                kind: "inSource",
                status: "accepted",
                justification: d.suppressed.justification,
                location: spanLocation(d.suppressed.span),
              },
            ],
          }
        : {}),
      ...(d.related?.some((r) => r.span)
        ? {
            relatedLocations: d.related
              .filter((r) => r.span)
              .map((r, i) => ({ id: i, message: { text: r.message }, ...spanLocation(r.span!) })),
          }
        : {}),
    };
  });
  const rules = [...new Set(input.diagnostics.map((d) => d.code))].sort().map(catalogueRule);
  const report = input.changes;
  if (report && report.changes.length) {
    const rule = CHANGE_RULES[report.rule];
    rules.push(rule);
    for (const c of report.changes) {
      const path = report.rule === "stock" || report.rule === "format" ? c.path : `${report.root.replace(/\/+$/, "")}/${c.path}`;
      results.push({
        ruleId: rule.id,
        level: rule.defaultConfiguration.level,
        message: {
          text: `${path}: ${report.rule === "format" ? "not formatted; policyc fmt would change it" : report.rule === "stock" ? (c.kind === "add" ? "new, no stock file" : "the policy's changes to the stock file") : CHANGE_WORDS[c.kind]}.`,
        },
        locations: [physical(artifactUri(path))],
        partialFingerprints: fingerprint(rule.id, path, c.kind, c.oldSha256 ?? "", c.newSha256 ?? ""),
        properties: {
          kind: c.kind,
          oldSha256: c.oldSha256,
          newSha256: c.newSha256,
          oldMode: c.oldMode,
          newMode: c.newMode,
          oldOwner: c.oldOwner,
          newOwner: c.newOwner,
          patch: c.patch,
        },
      });
    }
  }
  return sarifLog(input.version, rules, results);
}

const CHANGE_WORDS: Record<Change["kind"], string> = {
  add: "missing: the policy produces it",
  remove: "stale: the policy no longer produces it",
  modify: "other content than the policy produces",
  mode: "another mode than the policy sets",
  owner: "another owner or group than the policy sets",
};

/** Prints diagnostics in the chosen format: human text to stderr, JSON and SARIF to stdout. */
export function report(format: Format, input: DocumentInput): void {
  if (format === "json") process.stdout.write(toJson(input));
  else if (format === "sarif") process.stdout.write(toSarif(input));
  else printDiagnostics(input.diagnostics);
}
