import * as nodeFs from "node:fs";
import { fileURLToPath } from "node:url";
import type { MessagePort, Worker } from "node:worker_threads";
import { errnoWords } from "../diagnostics/errno.js";
import { type Fs, OutputError, writeTemp } from "./write.js";

/** One temporary to write: where, what, with which mode; `target` names it in an error. */
export interface StageJob {
  tmp: string;
  target: string;
  content: string;
  mode: number;
}

/** Below this many temporaries a build writes them on the main thread: a worker costs more than it saves. */
export const PARALLEL_MIN_FILES = 256;

/** What one worker is given (structured-cloned into it). */
export interface StageShare {
  jobs: (StageJob & { index: number })[];
  /**
   * [0]: workers finished; [1]: 1 once any worker failed (the others stop
   * early); [2]: progress, bumped when a worker starts and after each job.
   */
  signal: SharedArrayBuffer;
  port: MessagePort;
  /** The worker bundle the loader requires. */
  script: string;
  /** Test hook: staging this target fails as a write error would. */
  failAt?: string;
}

/** A worker's failure, as posted to the main thread. */
interface StageFailure {
  index: number;
  path: string;
  reason: string;
}

/**
 * Runs in a worker: writes each temporary of the share, stops at the first
 * failure (its own or another worker's). Counting the worker as finished is
 * the loader's part (LOADER), which also counts a worker that dies.
 */
export function runShare(fs: Fs, share: StageShare): void {
  const flags = new Int32Array(share.signal);
  for (const job of share.jobs) {
    if (Atomics.load(flags, 1) !== 0) break;
    try {
      if (share.failAt === job.target) throw new Error("injected failure (test)");
      writeTemp(fs, job.tmp, job.content, job.mode);
    } catch (e) {
      const reason = e instanceof OutputError ? e.reason : errnoWords(e);
      share.port.postMessage({ index: job.index, path: job.target, reason } satisfies StageFailure);
      Atomics.store(flags, 1, 1);
      break;
    }
    // Progress only, no wake-up: the main thread looks at it once a second.
    Atomics.add(flags, 2, 1);
  }
}

/**
 * What each worker runs (eval'd, CommonJS): it marks itself started, loads
 * the worker bundle, and counts itself finished exactly once: when the
 * bundle returns, when it fails to load or throws, and when the thread
 * exits any other way (process "exit" runs in a worker that dies of an
 * uncaught error too). A failure is posted with index -1 and the script's
 * path, so the main thread, which cannot see a worker's "error" event while
 * it blocks in Atomics.wait, never waits on a worker that is gone.
 */
const LOADER = `"use strict";
const { workerData } = require("node:worker_threads");
const flags = new Int32Array(workerData.signal);
let counted = false;
const finish = (reason) => {
  if (counted) return;
  counted = true;
  if (reason !== undefined) {
    try { workerData.port.postMessage({ index: -1, path: workerData.script, reason }); } catch {}
    Atomics.store(flags, 1, 1);
  }
  Atomics.add(flags, 0, 1);
  Atomics.notify(flags, 0);
};
process.on("exit", () => finish("the staging worker stopped before it finished"));
Atomics.add(flags, 2, 1);
try {
  require(workerData.script);
  finish(undefined);
} catch (e) {
  finish("the staging worker failed: " + (e && e.message ? String(e.message).split("\\n")[0] : String(e)));
}
`;

/** How long the workers may make no progress at all (no thread started, no file written, none finished) before the build fails. */
export const STALL_MS = 60_000;

/** The worker's bundle, beside the CLI's (dist/stage-worker.cjs). */
function workerPath(): string {
  return fileURLToPath(new URL("./stage-worker.cjs", import.meta.url));
}

/**
 * Writes the temporaries in `workers` threads and returns when all are
 * done; throws the OutputError of the first job (in the given order) that
 * failed, as a serial loop would. The caller removes the temporaries on
 * failure (it knows every name). Synchronous: the main thread waits on a
 * shared counter, so the transaction around it stays one synchronous step.
 *
 * Jobs are dealt out by folder, each worker a run of whole folders, so
 * that two threads rarely create files in one folder (the kernel
 * serialises creation within a folder).
 */
export function stageInWorkers(
  jobs: StageJob[],
  workers: number,
  hooks: { script?: string; failAt?: string; stallMs?: number } = {},
): void {
  // Loaded here, not at start-up: node:worker_threads costs 2-3 ms that every small build would pay.
  const { MessageChannel, receiveMessageOnPort, Worker } = process.getBuiltinModule("node:worker_threads");
  const path = hooks.script ?? workerPath();
  const { failAt } = hooks;
  if (!nodeFs.existsSync(path))
    throw new OutputError(path, "the staging worker is missing (policyc is not fully installed: run npm run build)");
  const indexed = jobs.map((j, index) => ({ ...j, index }));
  const byFolder = [...indexed].sort((a, b) => {
    const da = a.tmp.slice(0, a.tmp.lastIndexOf("/"));
    const db = b.tmp.slice(0, b.tmp.lastIndexOf("/"));
    return da < db ? -1 : da > db ? 1 : a.index - b.index;
  });
  const n = Math.max(1, Math.min(workers, jobs.length));
  const signal = new SharedArrayBuffer(12);
  const flags = new Int32Array(signal);
  const threads: Worker[] = [];
  const ports: MessagePort[] = [];
  const size = Math.ceil(byFolder.length / n);
  const stallMs = hooks.stallMs ?? STALL_MS;
  // Waits in 1 s slices; a worker wakes it when it finishes, and counts its starting and each file it writes
  // as progress (without a wake-up per file). A worker that
  // dies is counted by its loader; one that neither progresses nor dies fails the build after stallMs.
  const waitFor = (count: number) => {
    let seen = -1;
    let since = Date.now();
    for (let done = Atomics.load(flags, 0); done < count; done = Atomics.load(flags, 0)) {
      const progress = done + Atomics.load(flags, 2);
      if (progress !== seen) {
        seen = progress;
        since = Date.now();
      } else if (Date.now() - since >= stallMs) {
        Atomics.store(flags, 1, 1);
        return false;
      }
      Atomics.wait(flags, 0, done, Math.min(1000, stallMs));
    }
    return true;
  };
  for (let w = 0; w < n; w++) {
    const { port1, port2 } = new MessageChannel();
    ports.push(port1);
    const data: StageShare = {
      jobs: byFolder.slice(w * size, (w + 1) * size),
      signal,
      port: port2,
      script: path,
      ...(failAt !== undefined && { failAt }),
    };
    try {
      threads.push(new Worker(LOADER, { eval: true, workerData: data, transferList: [port2] }));
    } catch (e) {
      // The workers already started stop early; wait for them, so that none writes after the caller's cleanup.
      Atomics.store(flags, 1, 1);
      waitFor(threads.length);
      for (const t of threads) void t.terminate();
      throw new OutputError(jobs[0]!.target, errnoWords(e));
    }
  }
  const finished = waitFor(n);
  for (const t of threads) void t.terminate();
  if (!finished) throw new OutputError(path, `the staging workers made no progress for ${Math.round(stallMs / 1000)} s`);
  const failures: StageFailure[] = [];
  for (const port of ports) {
    for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) failures.push(m.message as StageFailure);
    port.close();
  }
  if (failures.length) {
    const first = failures.sort((a, b) => a.index - b.index)[0]!;
    throw new OutputError(first.path, first.reason);
  }
}
