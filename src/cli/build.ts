import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from "node:fs";
import { dirname, isAbsolute, join, relative } from "node:path";
import { DiagnosticBag } from "../diagnostics/diagnostic.js";
import { Messages } from "../diagnostics/messages.js";
import { depfile } from "../output/depfile.js";
import { MANIFEST_PATH, makeManifest } from "../output/manifest.js";
import { renderPatch } from "../output/patch.js";
import { compareTree, removeFiles, staleFiles } from "../output/tree.js";
import { OutputError, writeTree } from "../output/write.js";
import type { Command } from "./command.js";
import { EXIT_ERRORS, EXIT_OK, UsageError } from "./io.js";

/** Writes a file whole, through a temporary name: for the manifest and the depfile, which change every build. */
function replaceFile(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.policyc-${process.pid}.tmp`);
  const fd = openSync(tmp, "w", 0o644);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** A path for a make rule: relative to the current folder when inside it. */
function makePath(p: string): string {
  if (!isAbsolute(p)) return p;
  const rel = relative(process.cwd(), p);
  return rel.startsWith("..") || isAbsolute(rel) ? p : rel;
}

/** `policyc build POLICY -o OUT [--check] [-M FILE]` */
export const buildCommand: Command = async (ctx) => {
  const { options } = ctx;
  if (!options.output) throw new UsageError("build needs an output folder: -o OUT.");
  const result = ctx.compile();
  if (!result) return ctx.exitCode;
  const { files, build, program } = result;
  const out = options.output;
  const hosts = build.hosts.some((h) => h.name !== null) ? build.hosts.map((h) => h.name!) : null;
  const stale = staleFiles(out, files);

  if (options.check) {
    const changes = compareTree(out, files, stale.removable);
    if (changes.length === 0) {
      ctx.say(`policyc: ${out} is up to date (${files.length} files).`);
      return EXIT_OK;
    }
    process.stdout.write(await renderPatch(changes, { a: "a", b: "b" }));
    process.stderr.write(
      `policyc: ${out} is not what ${program.root.path} produces: ${changes.length} file${changes.length === 1 ? "" : "s"} differ; run policyc build to update it.\n`,
    );
    return EXIT_ERRORS;
  }

  try {
    const report = writeTree(out, files);
    removeFiles(out, stale.removable);
    replaceFile(join(out, MANIFEST_PATH), JSON.stringify(makeManifest(program.root.path, hosts, files), null, 2) + "\n");
    if (options.depfile) {
      const targets = [...files.map((f) => join(out, f.path)), join(out, MANIFEST_PATH)];
      replaceFile(options.depfile, depfile(targets, [...program.files.map((f) => f.path), ...result.templates.map(makePath)]));
    }
    for (const path of stale.modified) {
      process.stderr.write(`policyc: warning: left ${join(out, path)} in place: the policy no longer produces it, but it was changed since policyc wrote it.\n`);
    }
    if (options.verbose) {
      for (const p of report.written) process.stderr.write(`  wrote     ${join(out, p)}\n`);
      for (const p of report.unchanged) process.stderr.write(`  unchanged ${join(out, p)}\n`);
      for (const p of stale.removable) process.stderr.write(`  removed   ${join(out, p)}\n`);
    }
    const n = report.written.length;
    const extra = [
      report.unchanged.length ? `${report.unchanged.length} unchanged` : "",
      stale.removable.length ? `${stale.removable.length} removed` : "",
    ].filter(Boolean);
    ctx.say(`policyc: wrote ${n} file${n === 1 ? "" : "s"} to ${out}${extra.length ? ` (${extra.join(", ")})` : ""}.`);
    return EXIT_OK;
  } catch (e) {
    if (!(e instanceof OutputError) && !(e as NodeJS.ErrnoException).code) throw e;
    const bag = new DiagnosticBag();
    if (e instanceof OutputError && e.symlink) bag.report(Messages.OutputSymlink, undefined, { path: e.path });
    else if (e instanceof OutputError) bag.report(Messages.OutputFailed, undefined, { path: e.path, reason: e.reason });
    else bag.report(Messages.OutputFailed, undefined, { path: (e as NodeJS.ErrnoException).path ?? out, reason: (e as Error).message });
    ctx.report(bag);
    return EXIT_ERRORS;
  }
};
