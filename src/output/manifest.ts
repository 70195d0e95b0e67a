import type { OutputFile } from "../targets/Target.js";
import { sha256 } from "./sha256.js";
import { safeRelative } from "./journal.js";

/** Where a build records what it wrote, relative to the output folder. */
export const MANIFEST_PATH = ".policyc/manifest.json";

/** One generated file, as packaging and configuration management tools need it. */
export interface ManifestEntry {
  /** Path under the output folder (HOST/... for policies with host blocks). */
  path: string;
  /** The host it is for, or null. */
  host: string | null;
  /** Path on the target host. */
  target: string;
  mode: string;
  owner: string;
  group: string;
  sha256: string;
  /** What produced it and the policy lines it comes from. */
  producer: string;
  sources: { file: string; line: number; column: number }[];
}

export interface Manifest {
  format: "policyc-manifest";
  version: 1;
  policy: string;
  hosts: string[] | null;
  files: ManifestEntry[];
}

export { sha256 } from "./sha256.js";

/**
 * The manifest of a build: deterministic, no timestamps, no absolute paths.
 * `hashes`: each file's sha256, in the files' order, when the caller has
 * them already (build hashes each file once, for the manifest and the journal).
 */
export function makeManifest(policy: string, hosts: string[] | null, files: OutputFile[], hashes?: readonly string[]): Manifest {
  return {
    format: "policyc-manifest",
    version: 1,
    policy,
    hosts,
    files: files.map((f, i) => {
      const host = hosts ? f.path.slice(0, f.path.indexOf("/")) : null;
      return {
        path: f.path,
        host,
        target: "/" + (host ? f.path.slice(host.length + 1) : f.path),
        mode: "0" + f.mode.toString(8),
        owner: "root",
        group: "root",
        sha256: hashes?.[i] ?? sha256(f.content),
        producer: f.producer,
        sources: f.origins.map((s) => ({ file: s.file.path, ...s.file.position(s.start) })),
      };
    }),
  };
}

/** Reads a previous manifest's file list, or undefined when the text is not a policyc manifest (the caller says so). */
export function parseManifest(text: string): Pick<ManifestEntry, "path" | "sha256">[] | undefined {
  try {
    const m = JSON.parse(text) as Manifest;
    if (m.format !== "policyc-manifest" || !Array.isArray(m.files)) return undefined;
    return m.files.filter((f) => typeof f.path === "string" && typeof f.sha256 === "string" && safeRelative(f.path));
  } catch {
    return undefined;
  }
}

/**
 * Where a deployment records, on the target host, the manifest of what it
 * installed (relative to the host's root): the README's recipe and the
 * Ansible role write it, `diff --root` reads it to find files policyc
 * deployed that the policy no longer produces.
 */
export const DEPLOYED_RECORD = "var/lib/policyc/manifest.json";

/**
 * The target paths a deployed manifest records for a host (null: a policy
 * without host blocks), or why the text is not a policyc manifest: a record
 * that cannot be read is an error, never "no record" (which would hide
 * every stale file).
 */
export function parseDeployed(text: string, host: string | null): string[] | { invalid: string } {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch (e) {
    return { invalid: `it is not JSON (${(e as Error).message})` };
  }
  if (typeof m !== "object" || m === null || Array.isArray(m)) return { invalid: "it is not a JSON object" };
  const { format, files } = m as Partial<Record<keyof Manifest, unknown>>;
  if (format !== "policyc-manifest") return { invalid: `its "format" is ${JSON.stringify(format) ?? "missing"}, not "policyc-manifest"` };
  if (!Array.isArray(files)) return { invalid: `its "files" is not a list` };
  const paths: string[] = [];
  for (const [i, f] of files.entries()) {
    const entry = f as Partial<Record<keyof ManifestEntry, unknown>> | null;
    const target = typeof entry === "object" && entry !== null ? entry.target : undefined;
    if (typeof target !== "string" || !target.startsWith("/") || !safeRelative(target.slice(1))) {
      return { invalid: `file ${i + 1} has no "target" that is an absolute path without ".." (${JSON.stringify(target) ?? "missing"})` };
    }
    if ((entry!.host ?? null) === host) paths.push(target.slice(1));
  }
  return paths;
}
