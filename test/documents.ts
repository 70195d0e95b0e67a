/**
 * The machine documents policyc prints, checked as their consumers check
 * them: JSON against the published schemas (schemas/*.schema.json, with
 * ajv), SARIF against the rules GitHub code scanning applies on upload (the
 * SARIF multitool's GitHub rules, cited by id below).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { ROOT } from "./helpers.js";

const SCHEMAS = ["diagnostics", "report", "manifest", "verify", "checks"] as const;
export type SchemaName = (typeof SCHEMAS)[number];

const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
for (const name of SCHEMAS) ajv.addSchema(JSON.parse(readFileSync(join(ROOT, "schemas", `${name}.schema.json`), "utf8")), name);

/** The schema's complaints about a document, as lines; [] when it is valid. */
export function schemaErrors(name: SchemaName, doc: unknown): string[] {
  const validate = ajv.getSchema(name)!;
  if (validate(doc)) return [];
  return (validate.errors ?? []).map((e) => `${name}: ${e.instancePath || "/"} ${e.message}`);
}

/**
 * Parses stdout as exactly one JSON document (JSON.parse refuses two, or
 * anything before or after one) and throws with every problem found: a
 * policyc JSON document against its schema, a SARIF log against GitHub's
 * upload rules.
 */
export function checkedDocument(stdout: string): any {
  const doc = JSON.parse(stdout);
  const problems =
    doc.version === "2.1.0"
      ? githubSarifProblems(doc)
      : doc.format === "policyc-verify"
        ? schemaErrors("verify", doc)
        : schemaErrors(doc.changes ? "report" : "diagnostics", doc);
  if (problems.length) throw new Error(`invalid document:\n${problems.join("\n")}\n${stdout}`);
  return doc;
}

/**
 * What GitHub's SARIF upload rejects or loses, as the SARIF multitool's
 * GitHub rules (microsoft/sarif-sdk, src/Sarif.Multitool.Library/Rules/) state it:
 * - Base1011 ReferenceFinalSchema: `$schema` names the final 2.1.0 schema;
 * - GH1014/GH1018: a run with `tool.driver.name` and a `results` array;
 * - GH1015 ProvideRequiredResultProperties: every result has `message.text`,
 *   a non-empty `locations` array and `partialFingerprints`;
 * - GH1016/GH1001 ProvideRequiredLocationProperties: every location has a `physicalLocation`;
 * - GH1017 ProvideRequiredPhysicalLocationProperties: its `artifactLocation` has a `uri`;
 * - GH1005 LocationsMustBeRelativeUrisOrFilePaths: that URI is relative or `file:`;
 * - GH1003 ProvideRequiredRegionProperties: a region has a `startLine` of 1 or more;
 * - GH2012 ProvideRequiredReportingDescriptorProperties: every rule has
 *   `shortDescription.text`, `fullDescription.text` and `help.text`;
 * and policyc's own promise: every rule has a `helpUri`, and every result's
 * `ruleId` is a rule of the run.
 */
export function githubSarifProblems(log: any): string[] {
  const out: string[] = [];
  const text = (x: any) => typeof x?.text === "string" && x.text.trim() !== "";
  if (typeof log.$schema !== "string" || !/sarif-2\.1\.0(\.json)?$/.test(log.$schema))
    out.push("Base1011: $schema is not the final SARIF 2.1.0 schema");
  if (log.version !== "2.1.0") out.push("version is not 2.1.0");
  if (!Array.isArray(log.runs) || log.runs.length !== 1) out.push("one run expected");
  for (const [r, run] of (log.runs ?? []).entries()) {
    const driver = run.tool?.driver;
    if (typeof driver?.name !== "string" || !driver.name) out.push(`GH1018: runs[${r}].tool.driver.name missing`);
    if (!Array.isArray(run.results)) out.push(`GH1014: runs[${r}].results missing`);
    const rules: any[] = driver?.rules ?? [];
    for (const [i, rule] of rules.entries()) {
      const at = `runs[${r}].tool.driver.rules[${i}] (${rule.id})`;
      if (!text(rule.shortDescription)) out.push(`GH2012: ${at} has no shortDescription`);
      if (!text(rule.fullDescription)) out.push(`GH2012: ${at} has no fullDescription`);
      if (!text(rule.help)) out.push(`GH2012: ${at} has no help text`);
      if (typeof rule.helpUri !== "string" || !/^https:\/\/[^#]+#[a-z0-9-]+$/.test(rule.helpUri))
        out.push(`${at} has no helpUri to a README section`);
    }
    const ids = new Set(rules.map((x) => x.id));
    for (const [i, result] of (run.results ?? []).entries()) {
      const at = `runs[${r}].results[${i}]`;
      if (!ids.has(result.ruleId)) out.push(`${at}: ruleId ${result.ruleId} is not a rule of the run`);
      if (!text(result.message)) out.push(`GH1015: ${at} has no message.text`);
      if (!Array.isArray(result.locations) || result.locations.length === 0) out.push(`GH1015: ${at} has no locations`);
      if (!result.partialFingerprints || Object.keys(result.partialFingerprints).length === 0)
        out.push(`GH1015: ${at} has no partialFingerprints`);
      for (const [j, loc] of [...(result.locations ?? []), ...(result.relatedLocations ?? [])].entries()) {
        const p = loc.physicalLocation;
        if (!p) {
          out.push(`GH1016: ${at} location ${j} has no physicalLocation`);
          continue;
        }
        const uri = p.artifactLocation?.uri;
        if (typeof uri !== "string" || uri === "") out.push(`GH1017: ${at} location ${j} has no artifactLocation.uri`);
        else if (/^[a-z][a-z0-9+.-]*:/i.test(uri) && !uri.startsWith("file:"))
          out.push(`GH1005: ${at} location ${j}: ${uri} is not a file path`);
        else if (/[<>]/.test(decodeURI(uri)) && !uri.startsWith("file:")) out.push(`${at} location ${j}: ${uri} is not a real file`);
        if (p.region && !(Number.isInteger(p.region.startLine) && p.region.startLine >= 1))
          out.push(`GH1003: ${at} location ${j} region has no startLine`);
      }
    }
  }
  return out;
}
