/**
 * README "In CI": the GitHub Actions workflow and the GitLab CI job in
 * examples/ci/ parse as YAML, are the ones the README shows, and name only
 * real commands and options of policyc.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { COMMANDS } from "../src/cli/main.js";
import { optionsOf } from "../src/cli/help.js";
import { ROOT } from "./helpers.js";

const FILES = ["github-actions.yml", "gitlab-ci.yml"];

/** Every `npx policyc ...` command line in a parsed workflow. */
function policycLines(node: unknown): string[] {
  if (typeof node === "string") return node.split("\n").filter((l) => /\bnpx policyc\b/.test(l));
  if (Array.isArray(node)) return node.flatMap(policycLines);
  if (node && typeof node === "object") return Object.values(node).flatMap(policycLines);
  return [];
}

/** The problems of one command line: an unknown command or an option its command does not take. */
function problems(line: string): string[] {
  const words = line
    .slice(line.indexOf("npx policyc") + "npx policyc".length)
    .split(">")[0]!
    .trim()
    .split(/\s+/);
  const spec = COMMANDS.find((c) => c.name === words[0]);
  if (!spec) return [`${line}: no command ${words[0]}`];
  const options = optionsOf(spec);
  return words
    .filter((w) => w.startsWith("-") && w !== "-")
    .filter((w) => !options.some((o) => w === `--${o.name}` || (o.short && w === `-${o.short}`)))
    .map((w) => `${line}: ${spec.name} takes no ${w}`);
}

describe("CI examples", () => {
  it.each(FILES)("examples/ci/%s parses, is in the README, and names real commands", (file) => {
    const text = readFileSync(join(ROOT, "examples", "ci", file), "utf8");
    const doc = parse(text);
    const lines = policycLines(doc);
    expect(lines.map((l) => l.trim().split(/\s+/)[2])).toEqual(["check", "build", "verify"]);
    expect(lines.flatMap(problems)).toEqual([]);
    // The check step writes SARIF and fails on warnings.
    expect(lines[0]).toMatch(/--max-warnings 0 --format sarif > policyc\.sarif$/);
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const indented = text
      .split("\n")
      .map((l) => (l ? `    ${l}` : ""))
      .join("\n");
    expect(readme).toContain(indented);
  });

  it("uploads the SARIF in GitHub Actions, and keeps it as an artifact in GitLab", () => {
    const gh = parse(readFileSync(join(ROOT, "examples", "ci", "github-actions.yml"), "utf8"));
    const steps: Array<{ uses?: string; with?: Record<string, string>; if?: string }> = gh.jobs.policy.steps;
    const upload = steps.find((s) => s.uses?.startsWith("github/codeql-action/upload-sarif@"));
    expect(upload?.with?.sarif_file).toBe("policyc.sarif");
    // Uploaded also when the check failed: that is when the annotations matter.
    expect(upload?.if).toBe("${{ !cancelled() }}");
    expect(gh.permissions["security-events"]).toBe("write");
    const gl = parse(readFileSync(join(ROOT, "examples", "ci", "gitlab-ci.yml"), "utf8"));
    expect(gl.policyc.artifacts).toEqual({ when: "always", paths: ["policyc.sarif"] });
  });
});
