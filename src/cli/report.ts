import type { Diagnostic, Span } from "../diagnostics/diagnostic.js";
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
}

export function diagnosticJson(d: Diagnostic): DiagnosticJson {
  return {
    code: d.code,
    severity: d.severity,
    message: d.message,
    location: d.span ? position(d.span) : null,
    related: (d.related ?? []).map((r) => ({ message: r.message, location: r.span ? position(r.span) : null })),
  };
}

/**
 * The JSON form (README "Diagnostics as JSON"): stable field names; new
 * fields may be added, none removed or renamed within version 1.
 */
export function toJson(diagnostics: Diagnostic[], errors: number, warnings: number): string {
  return (
    JSON.stringify(
      {
        format: "policyc-diagnostics",
        version: 1,
        diagnostics: diagnostics.map(diagnosticJson),
        errors,
        warnings,
      },
      null,
      2,
    ) + "\n"
  );
}

/** SARIF 2.1.0, so CI systems annotate the policy line. */
export function toSarif(diagnostics: Diagnostic[], version: string): string {
  const rules = [...new Map(diagnostics.map((d) => [d.code, d])).keys()].sort();
  const location = (span: Span) => {
    const p = position(span);
    return {
      physicalLocation: {
        artifactLocation: { uri: encodeURI(p.file) },
        region: { startLine: p.line, startColumn: p.column, endLine: p.endLine, endColumn: p.endColumn },
      },
    };
  };
  const sarif = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: { driver: { name: "policyc", version, rules: rules.map((id) => ({ id })) } },
        results: diagnostics.map((d) => ({
          ruleId: d.code,
          level: d.severity === "error" ? "error" : "warning",
          message: { text: d.message },
          locations: d.span ? [location(d.span)] : [],
          ...(d.related?.some((r) => r.span)
            ? {
                relatedLocations: d.related
                  .filter((r) => r.span)
                  .map((r, i) => ({ id: i, message: { text: r.message }, ...location(r.span!) })),
              }
            : {}),
        })),
      },
    ],
  };
  return JSON.stringify(sarif, null, 2) + "\n";
}

/** Prints diagnostics in the chosen format: human text to stderr, JSON and SARIF to stdout. */
export function report(format: Format, diagnostics: Diagnostic[], errors: number, warnings: number, version: string): void {
  if (format === "json") process.stdout.write(toJson(diagnostics, errors, warnings));
  else if (format === "sarif") process.stdout.write(toSarif(diagnostics, version));
  else printDiagnostics(diagnostics);
}
