/**
 * A staging worker (README "Performance"): writes its share of a build's
 * temporaries with writeTemp, exactly as the main thread would, and tells
 * the main thread, which waits on a shared counter, when it is done.
 * Bundled on its own as dist/stage-worker.cjs (scripts/bundle.js), so the
 * CLI loads it only for a build large enough to use workers.
 */
import * as nodeFs from "node:fs";
import { workerData } from "node:worker_threads";
import { runShare, type StageShare } from "./stage.js";

runShare(nodeFs, workerData as StageShare);
