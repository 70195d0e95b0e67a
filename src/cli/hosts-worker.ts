/**
 * A worker of `check --jobs N` (hosts.ts): loads the policy from the bytes
 * the main thread read, checks and emits its run of hosts one by one
 * (checkEach and emit, as compileProgram does, holding one host at a time)
 * and posts each host's findings, overrides and file count. Bundled on its
 * own as dist/hosts-worker.cjs (scripts/bundle.js).
 */
import { workerData } from "node:worker_threads";
import { checkEach } from "../check/check.js";
import type { UnsafeOverride } from "../check/model.js";
import { type Diagnostic, DiagnosticBag, type Span } from "../diagnostics/diagnostic.js";
import type { SourceFile } from "../diagnostics/source.js";
import { load } from "../syntax/load.js";
import { emit, EmitCache } from "../targets/emit.js";
import { filesOf, type HostsShare, mapOrigins, type WireDiagnostic, type WireHost, type WireSpan } from "./hosts.js";

function run(share: HostsShare): void {
  const flags = new Int32Array(share.signal);
  const post = (m: WireHost): void => {
    share.port.postMessage(m);
    Atomics.add(flags, 0, 1);
    Atomics.notify(flags, 0);
  };
  const files = new Map(share.files);
  const realpaths = new Map(share.realpaths);
  let found: Diagnostic[] = [];
  const diagnostics = new DiagnosticBag(undefined, (d) => found.push(d));
  const program = load(
    share.path,
    share.bytes,
    diagnostics,
    (real) => {
      const bytes = files.get(real);
      if (!bytes) throw new Error(`${real} was not read by the main thread`);
      return bytes;
    },
    (p) => {
      if (!realpaths.has(p)) throw new Error(`${p} was not looked up by the main thread`);
      return realpaths.get(p) ?? undefined;
    },
  );
  if (!program || diagnostics.hasErrors) throw new Error("the policy did not load as it did on the main thread");
  found = [];
  const table = filesOf(program);
  if (table.length !== share.paths.length || table.some((f, i) => f.path !== share.paths[i]))
    throw new Error("the policy's files loaded in another order than on the main thread");
  const index = new Map<SourceFile, number>(table.map((f, i) => [f, i]));
  const span = (s: Span): WireSpan => {
    const file = index.get(s.file);
    if (file === undefined) throw new Error(`a finding in ${s.file.path}, which is no file of the program`);
    return { file, start: s.start, end: s.end };
  };
  const wire = (ds: Diagnostic[]): WireDiagnostic[] =>
    ds.map((d) => ({
      code: d.code,
      severity: d.severity,
      message: d.message,
      ...(d.span && { span: span(d.span) }),
      ...(d.related && { related: d.related.map((r) => ({ message: r.message, ...(r.span && { span: span(r.span) }) })) }),
    }));
  // Emit's findings, split where the targets' checks end (the main thread may keep only those).
  let emitted: Diagnostic[] = [];
  let checks: Diagnostic[] = [];
  const emitFindings = new DiagnosticBag(undefined, (d) => emitted.push(d));
  const cache = new EmitCache();
  // As compileProgram: a file kept for a later host only when lowering handed its object to a second host (build keeps every one).
  const reused = new WeakSet<object>();
  if (!share.keepFiles) cache.reused = (o) => reused.has(o);
  cache.checked = () => {
    checks = emitted;
    emitted = [];
  };
  let host: WireHost | undefined;
  let overrides: readonly UnsafeOverride[] = [];
  let used: UnsafeOverride[] = [];
  const hosts = checkEach(program, diagnostics, {
    range: share.range,
    programChecks: false,
    shared: (o) => reused.add(o),
    settle: (ctx, name, model) => {
      host = { kind: "host", name, check: wire(found) };
      found = [];
      overrides = model ? model.overrides : [];
      used = ctx.usedOverrides();
      // A host without a model is neither emitted nor yielded: it is done.
      if (!model) post(host);
    },
  });
  let count = 0;
  for (const { model } of hosts) {
    if (share.failAfter && count++ === share.failAfter.hosts) {
      if (share.failAfter.how === "exit") process.exit(3);
      if (share.failAfter.how === "hang") Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
      if (share.failAfter.how === "oom") for (const hog: number[][] = []; ;) hog.push(new Array(100_000).fill(hog.length + 0.5));
      throw new Error("injected failure (test)");
    }
    emitted = [];
    checks = [];
    const out = emit(model, share.templates, emitFindings, cache);
    host!.model = {
      overrides: overrides.map((o) => ({ code: o.code, reason: o.reason, scope: span(o.scope), span: span(o.span) })),
      used: used.map((o) => overrides.indexOf(o)),
      checks: wire(checks),
      found: wire(emitted),
      fileCount: out.files.length,
      templates: out.templates,
      ...(share.sendFiles && {
        files: out.files.map((f) => mapOrigins(f, span)),
      }),
    };
    post(host!);
  }
}

run(workerData as HostsShare);
