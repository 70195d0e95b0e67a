import * as nodeFs from "node:fs";
import { join } from "node:path";
import type { OutputFile } from "../targets/Target.js";
import { describeLeftovers, findLeftovers, hasLeftovers, JOURNAL_PATH, removeTemporaries } from "./journal.js";
import { acquireLock } from "./lock.js";
import { MANIFEST_PATH } from "./manifest.js";
import { STATE_DIR } from "../targets/reserved.js";
import { staleFiles } from "./tree.js";
import { type ExtraFile, type Fs, makeDirs, type WriteOptions, type WriteReport, writeTree } from "./write.js";

export interface BuildReport extends WriteReport {
  /** Files the policy no longer produces that were edited since: left in place. */
  modified: string[];
  /** Why OUT's previous manifest could not be read (so nothing it listed was removed as stale), or null. */
  manifestProblem: string | null;
  /** What an interrupted earlier build had left, when there was something ("2 temporary files"). */
  recovered: string | null;
}

export interface CommitOptions {
  /** The manifest's text (written last), or how to make it once the tree's temporaries are written. */
  manifest: string | (() => string);
  /** Each file's sha256 (in the order of `files`), when already computed: the journal records them. */
  hashes?: readonly string[];
  /** Give up the files' texts as they are written (see WriteOptions.consume). */
  consume?: boolean;
  /** Written before the manifest, in the same transaction (the depfile). */
  extra?: ExtraFile[];
  fs?: Fs;
  faultBeforeWrite?: WriteOptions["faultBeforeWrite"];
  faultBeforeRename?: WriteOptions["faultBeforeRename"];
  /** Threads that write the temporaries (see WriteOptions). */
  jobs?: number;
  stageWorker?: WriteOptions["stageWorker"];
  faultInWorker?: WriteOptions["faultInWorker"];
}

/**
 * One build of the tree under root: create root and root/.policyc (0755),
 * take the lock, clear what an interrupted build left, work out the stale
 * files and write everything as one transaction (writeTree). Throws
 * LockBusy or OutputError; on an error, folders it created and left empty
 * are removed again.
 */
export function commitBuild(root: string, files: OutputFile[], options: CommitOptions): BuildReport {
  const fs = options.fs ?? nodeFs;
  const created = makeDirs(fs, root, STATE_DIR);
  let release: () => void;
  try {
    release = acquireLock(root);
  } catch (e) {
    removeEmpty(fs, created);
    throw e;
  }
  try {
    const leftovers = findLeftovers(root);
    const recovered = hasLeftovers(leftovers) ? describeLeftovers(leftovers) : null;
    removeTemporaries(leftovers);
    const stale = staleFiles(root, files, leftovers.journal?.files);
    const report = writeTree(root, files, {
      remove: stale.removable,
      extra: [...(options.extra ?? []), { path: join(root, MANIFEST_PATH), content: options.manifest }],
      journal: JOURNAL_PATH,
      keepJournal: leftovers.journal !== null,
      journalFiles: leftovers.journal?.files,
      hashes: options.hashes,
      consume: options.consume,
      // Passed on only when given: writeTree stages in workers with the real file system alone.
      fs: options.fs,
      faultBeforeWrite: options.faultBeforeWrite,
      faultBeforeRename: options.faultBeforeRename,
      jobs: options.jobs,
      stageWorker: options.stageWorker,
      faultInWorker: options.faultInWorker,
    });
    return { ...report, modified: stale.modified, manifestProblem: stale.manifestProblem, recovered };
  } catch (e) {
    release();
    release = () => {};
    removeEmpty(fs, created);
    throw e;
  } finally {
    release();
  }
}

function removeEmpty(fs: Fs, dirs: string[]): void {
  for (const d of [...dirs].reverse()) {
    try {
      fs.rmdirSync(d);
    } catch {
      return;
    }
  }
}
