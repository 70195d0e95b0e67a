import { readdirSync } from "node:fs";
import { join } from "node:path";
import { type BuildReport, BuildStream, type StreamOptions } from "../../src/output/stream.js";
import type { ExtraFile } from "../../src/output/write.js";
import type { OutputFile } from "../../src/targets/Target.js";

/** Every name below dir that starts like a policyc temporary (any prefix match, not only exact ones): staging folders too. */
export function temporaries(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name.startsWith(".policyc-tmp")) found.push(join(d, e.name));
      if (e.isDirectory()) walk(join(d, e.name));
    }
  };
  walk(dir);
  return found;
}

export interface StreamFilesOptions extends StreamOptions {
  /** Files per `add` (one "host" each, in order): 1 by default, so a fault can hit a later add after earlier temporaries. */
  per?: number;
  /** The hosts' names, one per `add` (each host's files under its folder); null (default): a policy without hosts. */
  hosts?: string[] | null;
  policy?: string;
  extra?: ExtraFile[];
}

/**
 * build's writer (BuildStream, as src/cli/build.ts drives it) on a list of
 * files: added `per` at a time, then committed; any failure aborts the
 * stream and is thrown, as build reports it.
 */
export function streamFiles(root: string, files: OutputFile[], options: StreamFilesOptions = {}): BuildReport {
  const { per = 1, hosts = null, policy = "test.policy", extra, ...hooks } = options;
  const stream = new BuildStream(root, hooks);
  try {
    if (hosts) {
      for (const h of hosts) {
        stream.add(
          files.filter((f) => f.path.startsWith(h + "/")),
          h,
        );
        if (stream.failure !== undefined) throw stream.failure;
      }
    } else {
      for (let i = 0; i < files.length; i += per) {
        stream.add(files.slice(i, i + per), null);
        if (stream.failure !== undefined) throw stream.failure;
      }
    }
    return stream.commit({ policy, hosts, extra });
  } finally {
    stream.abort();
  }
}
