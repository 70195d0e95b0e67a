/**
 * `check --jobs N` (README "Performance"): the hosts of a fleet checked and
 * emitted on several threads, with the diagnostics, counts and exit status
 * of a serial run. The main thread loads the policy, runs the rules on the
 * program and checks the first share of the hosts itself; N - 1 worker
 * threads (hosts-worker.ts, bundled as dist/hosts-worker.cjs) each load the
 * same bytes (every file the main thread read, so all see one snapshot) and
 * check and emit a contiguous run of the remaining hosts. Each sends back,
 * host by host, what it found; the main thread adds it in host order and
 * acknowledges warnings (`unsafe`) and reports unused overrides itself,
 * against the whole program's findings, exactly as the serial run does.
 */
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import type { MessagePort, Worker } from "node:worker_threads";
import { type CheckedHost, checkEach, type CheckEachOptions } from "../check/check.js";
import { CheckContext } from "../check/context.js";
import type { UnsafeOverride } from "../check/model.js";
import { reportUnusedOverrides } from "../check/rules/unusedOverrides.js";
import { scopes } from "../check/scopes.js";
import { type CompileOptions, type CompileResult, compileProgram, type EmittedHost } from "../compile.js";
import { type Diagnostic, DiagnosticBag, type Span } from "../diagnostics/diagnostic.js";
import { Messages } from "../diagnostics/messages.js";
import type { SourceFile } from "../diagnostics/source.js";
import { defaultReadFile, load, type Program, safeRealpath } from "../syntax/load.js";
import type { OutputFile } from "../targets/Target.js";

/**
 * Fewer hosts than this are checked on the main thread alone, whatever
 * --jobs says: a worker loads the whole policy again before its first host.
 * On the idle 2-core VM two threads gained nothing at 2,000 hosts, 1.07x
 * at 5,000 and 1.25x at 10,000 (README "The goals on a quiet machine").
 * POLICYC_PARALLEL_MIN_HOSTS sets it (the tests force the threads with 2).
 */
export const PARALLEL_MIN_HOSTS = 5000;

/** A span as a worker sends it: the file by its place in filesOf(program). */
export interface WireSpan {
  file: number;
  start: number;
  end: number;
}

export interface WireDiagnostic {
  code: string;
  severity: Diagnostic["severity"];
  message: string;
  span?: WireSpan;
  related?: { message: string; span?: WireSpan }[];
}

export interface WireOverride {
  code: string;
  reason: string;
  scope: WireSpan;
  span: WireSpan;
}

/** One host, as a worker sends it (in host order). */
export interface WireHost {
  kind: "host";
  name: string | null;
  /** Findings of its lowering and rules, in the order found (each new to the worker). */
  check: WireDiagnostic[];
  /** Present when it has a model (a platform): then it was emitted. */
  model?: {
    overrides: WireOverride[];
    /** Indexes in overrides of those a safety check used. */
    used: number[];
    checks: WireDiagnostic[];
    found: WireDiagnostic[];
    fileCount: number;
    templates: string[];
    /** Its files, when files are kept (build). */
    files?: WireFile[];
  };
}

export type WireFile = Omit<OutputFile, "origins"> & { origins: WireSpan[] };

/** A generated file with its origins mapped: to the wire in the worker, back to spans here. */
export function mapOrigins<A, B>(
  f: Omit<OutputFile, "origins"> & { origins: A[] },
  span: (a: A) => B,
): Omit<OutputFile, "origins"> & { origins: B[] } {
  return {
    path: f.path,
    content: f.content,
    mode: f.mode,
    producer: f.producer,
    origins: f.origins.map(span),
    ...(f.stock !== undefined && { stock: f.stock }),
  };
}

/** What a worker is given (structured-cloned). */
export interface HostsShare {
  path: string;
  bytes: Uint8Array;
  /** Every file the main thread read (real path -> bytes), and every real path it looked up. */
  files: [string, Uint8Array][];
  realpaths: [string, string | null][];
  /** filesOf(program) on the main thread, by path: spans cross as an index into it, so the worker's must be the same. */
  paths: string[];
  templates: string;
  /** Keep every file made for a later host, as compile's keepFiles does (not only those a second host shares). */
  keepFiles: boolean;
  /** Send each host's files (build). */
  sendFiles: boolean;
  range: [number, number];
  /** [0]: messages posted (bumped after each), [1]: 1 once the worker failed. */
  signal: SharedArrayBuffer;
  port: MessagePort;
  script: string;
  /**
   * Test hook (POLICYC_TEST_HOSTS_WORKER): after this many hosts of the share, "throw", "exit",
   * "hang" (wait forever) or "oom" (allocate until the thread is killed for its memory, which
   * posts nothing: its heap is limited to 16 MB for this).
   */
  failAfter?: { how: "throw" | "exit" | "hang" | "oom"; hosts: number };
}

/** The program's files as spans name them: the root first (a policy from standard input is not in program.files). */
export function filesOf(program: Program): SourceFile[] {
  return [program.root, ...program.files.filter((f) => f !== program.root)];
}

/**
 * How long the main thread waits for a worker's next host before the command fails (PC5080).
 * A worker killed for running out of memory posts nothing and runs no handler of its own, and
 * the main thread, waiting synchronously, never sees its exit event: without this, the command
 * would wait forever where the serial run would have died. A host takes milliseconds; loading
 * the policy again, the worker's slowest step, took 0.5 s for 10,000 hosts.
 */
export const HOSTS_STALL_MS = 60_000;

/** A worker thread that failed: the command fails with PC5080 and writes nothing. */
class WorkerFailed extends Error {}

/**
 * What each worker runs (eval'd, CommonJS), as stage.ts's loader: it loads
 * the worker bundle and, when the thread ends any other way than by
 * finishing its share (a throw, process.exit, a load failure), posts the
 * failure and raises the flag the main thread waits on.
 */
const LOADER = `"use strict";
const { workerData } = require("node:worker_threads");
const flags = new Int32Array(workerData.signal);
let done = false;
const fail = (reason) => {
  if (done) return;
  done = true;
  try { workerData.port.postMessage({ kind: "failed", reason }); } catch {}
  Atomics.store(flags, 1, 1);
  Atomics.add(flags, 0, 1);
  Atomics.notify(flags, 0);
};
process.on("exit", () => fail("it stopped before it finished"));
try {
  require(workerData.script);
  done = true;
} catch (e) {
  fail("it failed: " + (e && e.message ? String(e.message).split("\\n")[0] : String(e)));
}
`;

/** The worker's bundle, beside the CLI's (dist/hosts-worker.cjs). */
function workerPath(): string {
  return fileURLToPath(new URL("./hosts-worker.cjs", import.meta.url));
}

/** The host count from which --jobs uses threads. */
function minHosts(): number {
  const raw = process.env.POLICYC_PARALLEL_MIN_HOSTS;
  return raw && /^\d+$/.test(raw) ? Number(raw) : PARALLEL_MIN_HOSTS;
}

/**
 * compile() with `jobs` threads (check, build): the serial compile for a
 * policy with fewer hosts than PARALLEL_MIN_HOSTS, or with `expect`
 * assertions (they need every host's model on one thread).
 */
export function compileHosts(
  path: string,
  bytes: Uint8Array,
  options: CompileOptions & { jobs: number; script?: string; stallMs?: number },
): CompileResult {
  const diagnostics = new DiagnosticBag();
  // Every file read and real path looked up, for the workers' snapshot.
  const files = new Map<string, Uint8Array>();
  const realpaths = new Map<string, string | null>();
  const readFile = options.readFile ?? defaultReadFile;
  const realpath = options.realpath ?? safeRealpath;
  const program = load(
    path,
    bytes,
    diagnostics,
    (real, max) => {
      const got = readFile(real, max);
      files.set(real, got);
      return got;
    },
    (p) => {
      const real = realpath(p);
      realpaths.set(p, real ?? null);
      return real;
    },
  );
  if (!program || diagnostics.hasErrors) return { diagnostics, ...(program && { program }) };
  const all = scopes(program);
  const hostCount = all.length;
  const hasExpect = program.shared.some((s) => s.node.kind === "Expect") || all.some((s) => s.items.some((i) => i.node.kind === "Expect"));
  const serial = options.jobs < 2 || hostCount < Math.max(2, minHosts()) || options.checkOnly || (hasExpect && !options.skipAssertions);
  if (serial) return compileProgram(program, diagnostics, options, checkEach);
  const share = {
    path,
    bytes,
    files: [...files],
    realpaths: [...realpaths],
    paths: filesOf(program).map((f) => f.path),
    templates: options.templates,
    keepFiles: options.keepFiles !== false && !options.sink,
    sendFiles: options.keepFiles !== false || options.sink !== undefined,
    script: options.script ?? workerPath(),
    stallMs: options.stallMs ?? HOSTS_STALL_MS,
  };
  try {
    return compileProgram(program, diagnostics, options, (p, bag, opts) => inThreads(p, bag, opts, hostCount, options.jobs, share));
  } catch (e) {
    if (!(e instanceof WorkerFailed)) throw e;
    const bag = new DiagnosticBag();
    bag.report(Messages.HostsWorkerFailed, undefined, { reason: e.message });
    return { diagnostics: bag, program };
  }
}

/** The test hook's value: POLICYC_TEST_HOSTS_WORKER=throw:N, exit:N, hang:N or oom:N. */
function failHook(): HostsShare["failAfter"] {
  const m = /^(throw|exit|hang|oom):(\d+)$/.exec(process.env.POLICYC_TEST_HOSTS_WORKER ?? "");
  return m ? { how: m[1] as NonNullable<HostsShare["failAfter"]>["how"], hosts: Number(m[2]) } : undefined;
}

/**
 * The hosts: the first share checked here (checkEach, with the rules on the
 * program), then each worker's, replayed in host order.
 */
function* inThreads(
  program: Program,
  diagnostics: DiagnosticBag,
  options: CheckEachOptions,
  hostCount: number,
  jobs: number,
  { stallMs, ...share }: Omit<HostsShare, "range" | "signal" | "port"> & { stallMs: number },
): Generator<CheckedHost | EmittedHost> {
  const { MessageChannel, receiveMessageOnPort, Worker } = process.getBuiltinModule("node:worker_threads");
  if (!existsSync(share.script)) throw new WorkerFailed(`${share.script} is missing (policyc is not fully installed: run npm run build)`);
  // Each worker loads the whole policy again: no more threads than cores (but 2, so that --jobs 2 always uses one).
  const workers = Math.min(jobs, hostCount, Math.max(2, availableParallelism())) - 1;
  // Equal shares: a worker's loading the policy again took about what the rules on the program take the
  // main thread before its first host (10,000 hosts: 0.5 s against 0.2-0.45 s; README "Performance").
  const mine = Math.ceil(hostCount / (workers + 1));
  const rest = hostCount - mine;
  const threads: { worker: Worker; port: MessagePort; flags: Int32Array; range: [number, number] }[] = [];
  const failAfter = failHook();
  try {
    for (let w = 0; w < workers; w++) {
      const from = mine + Math.floor((rest * w) / workers);
      const to = mine + Math.floor((rest * (w + 1)) / workers);
      const { port1, port2 } = new MessageChannel();
      const signal = new SharedArrayBuffer(8);
      const data: HostsShare = { ...share, range: [from, to], signal, port: port2, ...(failAfter && { failAfter }) };
      let worker: Worker;
      try {
        worker = new Worker(LOADER, {
          eval: true,
          workerData: data,
          transferList: [port2],
          ...(failAfter?.how === "oom" && { resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 } }),
        });
      } catch (e) {
        throw new WorkerFailed(`it could not start: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`);
      }
      // A worker killed for its memory emits "error" once the event loop runs again, after the command has
      // reported it (PC5080): handled here, or node would print it with a stack trace and exit.
      worker.on("error", () => {});
      threads.push({ worker, port: port1, flags: new Int32Array(signal), range: [from, to] });
    }
    const start = diagnostics.items.length;
    yield* checkEach(program, diagnostics, { ...options, range: [0, mine] });
    const table = filesOf(program);
    const span = (s: WireSpan): Span => ({ file: table[s.file]!, start: s.start, end: s.end });
    const revive = (d: WireDiagnostic): Diagnostic => {
      const out: Diagnostic = { code: d.code, severity: d.severity, message: d.message };
      if (d.span) out.span = span(d.span);
      if (d.related) out.related = d.related.map((r) => (r.span ? { message: r.message, span: span(r.span) } : { message: r.message }));
      return out;
    };
    for (const t of threads) {
      let since = Date.now();
      for (let i = t.range[0]; i < t.range[1];) {
        const seen = Atomics.load(t.flags, 0);
        const m = receiveMessageOnPort(t.port)?.message as WireHost | { kind: "failed"; reason: string } | undefined;
        if (!m) {
          if (Date.now() - since >= stallMs)
            throw new WorkerFailed(`it sent no host for ${Math.round(stallMs / 1000)} s: it ran out of memory, or hangs`);
          Atomics.wait(t.flags, 0, seen, Math.min(1000, stallMs));
          continue;
        }
        if (m.kind === "failed") throw new WorkerFailed(m.reason);
        since = Date.now();
        i++;
        for (const d of m.check) diagnostics.add(revive(d));
        if (!m.model) continue;
        const overrides: UnsafeOverride[] = m.model.overrides.map((o) => ({
          code: o.code,
          reason: o.reason,
          scope: span(o.scope),
          span: span(o.span),
        }));
        const ctx = new CheckContext(diagnostics, overrides);
        for (const u of m.model.used) ctx.use(overrides[u]!);
        ctx.acknowledgeWarnings(start);
        reportUnusedOverrides(ctx);
        const { checks, found, fileCount, templates, files } = m.model;
        const emitted: EmittedHost["emitted"] = { checks: checks.map(revive), found: found.map(revive), fileCount, templates };
        if (files) {
          emitted.files = files.map((f) => mapOrigins(f, span));
        }
        yield { name: m.name, emitted };
      }
    }
  } finally {
    for (const t of threads) {
      t.port.close();
      void t.worker.terminate();
    }
  }
}
