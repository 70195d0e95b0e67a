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
 * parseManifest for a manifest read in pieces (`read` fills the buffer it is
 * given and returns how many bytes, 0 at the end): the same answer, without
 * the whole text as one string (a 10,000-host fleet's manifest is 290 MB;
 * build reads the previous one for its stale files). The text outside the
 * "files" entries, with each entry replaced by 0, is parsed as JSON, and
 * each entry on its own, so a text is accepted exactly when JSON.parse would
 * accept it. `keep` drops entries as they are read (build: those it
 * produces again are no stale files).
 */
export function parseManifestPieces(
  read: (buf: Buffer) => number,
  keep: (path: string) => boolean = () => true,
): Pick<ManifestEntry, "path" | "sha256">[] | undefined {
  let files: Pick<ManifestEntry, "path" | "sha256">[] = [];
  const skeleton = new Bytes();
  const entry = new Bytes();
  const key = new Bytes();
  let inEntry = false;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let inFiles = false;
  // The last string at depth 1: before a "[" there, the array's key.
  let inKey = false;
  const buf = Buffer.alloc(1 << 20);
  try {
    for (let n = read(buf); n > 0; n = read(buf)) {
      let from = 0;
      let keyFrom = 0;
      for (let i = 0; i < n; i++) {
        if (inString) {
          // To the quote that ends the string: one preceded by an even run of backslashes (native indexOf, not a loop per byte).
          const end = stringEnd(buf, i, n, escaped);
          if (end < 0) {
            escaped = end === -2;
            i = n;
            break;
          }
          escaped = false;
          inString = false;
          if (inKey) key.add(buf, keyFrom, end);
          inKey = false;
          i = end;
          continue;
        }
        const c = buf[i]!;
        if (c === 0x22) {
          inString = true;
          if (depth === 1) {
            inKey = true;
            key.length = 0;
            keyFrom = i + 1;
          }
        } else if (c === 0x7b || c === 0x5b) {
          if (c === 0x5b && depth === 1) {
            inFiles = key.text() === "files";
            // JSON.parse keeps the last of two "files": so does this.
            if (inFiles) files = [];
          }
          if (c === 0x7b && depth === 2 && inFiles) {
            skeleton.add(buf, from, i);
            skeleton.add(ZERO, 0, 1);
            inEntry = true;
            entry.length = 0;
            from = i;
          }
          depth++;
        } else if (c === 0x7d || c === 0x5d) {
          depth--;
          if (c === 0x7d && depth === 2 && inEntry) {
            entry.add(buf, from, i + 1);
            const f = JSON.parse(entry.text()) as { path?: unknown; sha256?: unknown } | null;
            if (f && typeof f.path === "string" && typeof f.sha256 === "string" && safeRelative(f.path) && keep(f.path))
              files.push({ path: f.path, sha256: f.sha256 });
            inEntry = false;
            from = i + 1;
          }
          if (c === 0x5d && depth === 1) inFiles = false;
        }
      }
      if (inKey) key.add(buf, keyFrom, n);
      (inEntry ? entry : skeleton).add(buf, from, n);
    }
    if (inEntry) return undefined;
    const m = JSON.parse(skeleton.text()) as Manifest;
    if (m?.format !== "policyc-manifest" || !Array.isArray(m.files)) return undefined;
    // parseManifest's filter fails on a null entry (reading its path): so does this.
    if (m.files.some((f) => f === null)) return undefined;
    return files;
  } catch {
    return undefined;
  }
}

const ZERO = Buffer.from("0");

/**
 * Where a JSON string that is open at `from` ends in buf[from, n): the index
 * of its closing quote, or -1 when it goes on past n (-2: and the next byte
 * is escaped). `escaped`: the byte at `from` is escaped.
 */
function stringEnd(buf: Buffer, from: number, n: number, escaped: boolean): number {
  let at = from;
  for (;;) {
    const q = buf.indexOf(0x22, at);
    const stop = q === -1 || q >= n ? n : q;
    // The run of backslashes just before stop (back to from, where the carried escape counts as one more).
    let run = 0;
    let b = stop - 1;
    while (b >= from && buf[b] === 0x5c) {
      run++;
      b--;
    }
    if (b < from && escaped) run++;
    if (stop === n) return run % 2 === 1 ? -2 : -1;
    if (run % 2 === 0) return q;
    at = q + 1;
  }
}

/** A growing run of bytes, decoded as UTF-8 only whole. */
class Bytes {
  private bytes = Buffer.alloc(256);
  length = 0;
  add(from: Uint8Array, start: number, end: number): void {
    const need = this.length + end - start;
    if (need > this.bytes.length) {
      const next = Buffer.alloc(Math.max(need, this.bytes.length * 2));
      this.bytes.copy(next, 0, 0, this.length);
      this.bytes = next;
    }
    this.bytes.set(from.subarray(start, end), this.length);
    this.length = need;
  }
  text(): string {
    return this.bytes.toString("utf8", 0, this.length);
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
