import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { DiagnosticBag } from "../diagnostics/diagnostic.js";
import { Messages } from "../diagnostics/messages.js";
import { depfile, unrepresentable } from "../output/depfile.js";
import { describeLeftovers, findLeftovers, hasLeftovers } from "../output/journal.js";
import { LOCK_PATH, LockBusy } from "../output/lock.js";
import { MANIFEST_PATH } from "../output/manifest.js";
import { CHECKS_PATH, makeChecks } from "./checks.js";
import { renderPatches } from "../output/patch.js";
import { compareTree, isSystemRoot, staleFiles, strayFiles } from "../output/tree.js";
import { BuildStream } from "../output/stream.js";
import { OutputError } from "../output/write.js";
import type { OutputFile } from "../targets/Target.js";
import { errnoWords } from "../diagnostics/errno.js";
import { type CommandContext, type CommandSpec, jobsOf, jobsProblem, MAX_WARNINGS_OPTION, TEMPLATES_OPTION } from "./command.js";
import { EXIT_ERRORS, EXIT_OK, UsageError } from "./io.js";
import { changeJson } from "./report.js";

/** Thrown out of the compile by build's sink once its writer failed. */
class Stopped extends Error {}

/** A path for a make rule: relative to the current folder when inside it. */
function makePath(p: string): string {
  if (!isAbsolute(p)) return p;
  const rel = relative(process.cwd(), p);
  return rel.startsWith("..") || isAbsolute(rel) ? p : rel;
}

/** `policyc build POLICY -o OUT [--check] [-M FILE]` */
export const buildCommand: CommandSpec = {
  name: "build",
  synopsis: [
    ["build POLICY -o OUT [-M DEPFILE]", "write the files under OUT"],
    ["build POLICY -o OUT --check", "show what build would change; exit 1 if anything"],
  ],
  description: `Compiles POLICY (a file, or "-" for standard input) and writes the files it
produces under OUT, a tree that mirrors the target host's root
(OUT/etc/pam.d/SERVICE, OUT/etc/mail/sendmail.mc, ...; OUT/HOST/... for a
policy with host blocks), plus OUT/.policyc/manifest.json. The write is a
transaction: on any error nothing changes. Only files whose bytes or mode
changed are written; files an earlier build wrote that the policy no longer
produces are removed, unless someone changed them; --check names them, and
any other file in OUT the policy does not produce (PC5030). OUT may not be
this machine's own / unless --allow-system-root is given.`,
  options: [
    { name: "output", short: "o", value: "DIR", help: "the output tree (required)" },
    { name: "depfile", short: "M", value: "FILE", help: "also write a make dependency file" },
    { name: "check", help: "write nothing: print a diff and exit 1 if OUT is out of date" },
    { name: "verbose", short: "v", help: "list every file written, unchanged or removed" },
    { name: "allow-system-root", help: "let OUT be this machine's own / (refused otherwise)" },
    {
      name: "jobs",
      short: "j",
      value: "N",
      problem: jobsProblem,
      help: 'threads that check a fleet of 5,000 hosts or more and\nwrite the files of a large build (default 1: see README "Performance")',
    },
    { ...MAX_WARNINGS_OPTION, help: "fail (exit 1, nothing written) with more than N warnings" },
    TEMPLATES_OPTION,
  ],
  exits: {
    errors: "errors in the policy (or more warnings than --max-warnings), a failed write, or an out-of-date OUT (--check)",
    usage: "wrong usage or an unreadable policy file",
  },
  takesPolicy: true,
  run: build,
};

async function build(ctx: CommandContext): Promise<number> {
  const { options } = ctx;
  if (!options.output) throw new UsageError("build needs an output folder: -o OUT.");
  if (options.depfile && options.check) throw new UsageError("--check writes nothing, so it takes no --depfile.");
  // Trailing slashes go ("out/" is "out"), but an all-slash OUT ("//") is "/", never "" (the current folder).
  const out = options.output.replace(/(?<=.)\/+$/, "");
  // Decided on what OUT will be once build has made its missing folders ("x/missing/../.." may become /).
  if (!options["allow-system-root"] && isSystemRoot(out)) {
    throw new UsageError(
      `${out} is this machine's own root folder: build writes a tree to deploy, not the running system; to write into / all the same, say so with --allow-system-root.`,
    );
  }
  const jobs = jobsOf(options.jobs);
  const fail = (report: (bag: DiagnosticBag) => void) => {
    const bag = new DiagnosticBag();
    report(bag);
    ctx.report(bag);
    return EXIT_ERRORS;
  };
  const failOutput = (e: unknown): number => {
    if (e instanceof LockBusy)
      return fail((bag) =>
        bag.report(Messages.OutputLocked, undefined, {
          holder: e.pid !== null ? `pid ${e.pid}` : "pid unknown",
          out,
          lock: join(out, LOCK_PATH),
        }),
      );
    if (!(e instanceof OutputError) && !(e as NodeJS.ErrnoException).code) throw e;
    return fail((bag) => {
      if (e instanceof OutputError && e.symlink) bag.report(Messages.OutputSymlink, undefined, { path: e.path });
      else if (e instanceof OutputError) bag.report(Messages.OutputFailed, undefined, { path: e.path, reason: e.reason });
      else bag.report(Messages.OutputFailed, undefined, { path: (e as NodeJS.ErrnoException).path ?? out, reason: errnoWords(e) });
    });
  };
  if (options.check) {
    try {
      return await checkOut(ctx, out, jobs, fail);
    } catch (e) {
      return failOutput(e);
    }
  }

  // Host by host to the disk (README "Architecture"): each host's files are compared with OUT and, when changed,
  // written to temporaries as it is emitted; the commit waits for the whole policy, and anything else undoes it.
  const stream = new BuildStream(out, { jobs });
  let report;
  try {
    // No host's model past its emit (checks.json needs only those an assertion asks about).
    // A failed write or a lock held stops the compile at once: nothing more would be written.
    const sink = (files: OutputFile[], host: string | null) => {
      stream.add(files, host);
      if (stream.failure !== undefined) throw new Stopped();
    };
    let result;
    try {
      result = ctx.compile({ jobs, keepModels: false, sink });
    } catch (e) {
      if (e instanceof Stopped) return failOutput(stream.failure);
      throw e;
    }
    if (!result) return ctx.exitCode;
    const { build, program } = result;
    const hosts = result.hosts.some((h) => h !== null) ? result.hosts.map((h) => h!) : null;
    if (stream.failure !== undefined) return failOutput(stream.failure);
    const checks = JSON.stringify(makeChecks(program.root.path, hosts, build, result.result.assertions ?? []), null, 2) + "\n";

    // The dependency file: a name make cannot take fails the build (its temporaries are removed, OUT as it was).
    let dep: string | undefined;
    if (options.depfile) {
      const targets = [...[...stream.paths].map((p) => join(out, p)), join(out, CHECKS_PATH), join(out, MANIFEST_PATH)];
      const inputs = [...program.files.map((f) => f.path), ...result.templates.map(makePath)];
      for (const name of [...targets, ...inputs]) {
        const what = unrepresentable(name);
        if (what)
          return fail((bag) =>
            bag.report(Messages.DepfileName, undefined, { depfile: options.depfile!, path: JSON.stringify(name), what }),
          );
      }
      dep = depfile(targets, inputs);
    }

    try {
      report = stream.commit({
        // The manifest is made from the entries the stream wrote as the hosts came (README "Performance").
        policy: program.root.path,
        hosts,
        extra: [
          // The policy's assertions as the checks a deployment runs on the live host (the Ansible role).
          { path: join(out, CHECKS_PATH), content: checks },
          ...(dep !== undefined ? [{ path: options.depfile!, content: dep }] : []),
        ],
      });
    } catch (e) {
      return failOutput(e);
    }
  } finally {
    // Anything but a commit (an error in the policy, too many warnings, a failed write): nothing stays.
    stream.abort();
  }
  if (report.recovered) {
    process.stderr.write(
      `policyc: warning: ${out} held ${report.recovered}, left by an interrupted build; removed the temporaries, and this build repaired the tree.\n`,
    );
  }
  if (report.manifestProblem)
    process.stderr.write(
      `policyc: warning: ${join(out, MANIFEST_PATH)} was not read: ${report.manifestProblem}; files an earlier build wrote that this policy no longer produces were not removed.\n`,
    );
  for (const path of report.modified) {
    process.stderr.write(
      `policyc: warning: left ${join(out, path)} in place: the policy no longer produces it, but it was changed since policyc wrote it.\n`,
    );
  }
  if (options.verbose) {
    for (const p of report.written) process.stderr.write(`  wrote     ${join(out, p)}\n`);
    for (const p of report.unchanged) process.stderr.write(`  unchanged ${join(out, p)}\n`);
    for (const p of report.removed) process.stderr.write(`  removed   ${join(out, p)}\n`);
  }
  const n = report.written.length;
  const extraWords = [
    report.unchanged.length ? `${report.unchanged.length} unchanged` : "",
    report.removed.length ? `${report.removed.length} removed` : "",
  ].filter(Boolean);
  ctx.say(`policyc: wrote ${n} file${n === 1 ? "" : "s"} to ${out}${extraWords.length ? ` (${extraWords.join(", ")})` : ""}.`);
  return EXIT_OK;
}

/** build --check: compares OUT with what the policy produces and writes nothing (every file kept, as before streaming). */
async function checkOut(
  ctx: CommandContext,
  out: string,
  jobs: number,
  fail: (report: (bag: DiagnosticBag) => void) => number,
): Promise<number> {
  // Every file, but no host's model past its emit (checks.json needs only those an assertion asks about).
  const result = ctx.compile({ jobs, keepModels: false });
  if (!result) return ctx.exitCode;
  const { files, build, program } = result;
  const hosts = result.hosts.some((h) => h !== null) ? result.hosts.map((h) => h!) : null;
  /** OUT/.policyc/checks.json as build writes it (mode 0644, as every extra file), for --check to compare. */
  const checks: OutputFile = {
    path: CHECKS_PATH,
    content: JSON.stringify(makeChecks(program.root.path, hosts, build, result.result.assertions ?? []), null, 2) + "\n",
    mode: 0o644,
    producer: "the policy's expect assertions",
    origins: [],
  };
  // On the machine's own / (allowed explicitly), only the policy's folders: not every file of the system.
  const system = isSystemRoot(out);
  const leftovers = system
    ? findLeftovers(
        out,
        files.map((f) => dirname(f.path)),
      )
    : findLeftovers(out);
  const stale = staleFiles(out, files, leftovers.journal?.files);
  if (stale.manifestProblem)
    process.stderr.write(
      `policyc: warning: ${join(out, MANIFEST_PATH)} was not read: ${stale.manifestProblem}; files an earlier build wrote that this policy no longer produces would not be removed.\n`,
    );
  // .policyc/checks.json is build's output too (the role deploys with it): stale or missing, OUT is out of date.
  // The manifest is not compared: it is build's record of what it wrote, rewritten by every build.
  const changes = compareTree(out, [...files, checks], stale.removable);
  // Files build leaves alone (not policyc's, or edited since) that a copy of OUT would deploy all the same.
  const stray = system
    ? []
    : strayFiles(out, new Set([...files.map((f) => f.path), ...stale.removable])).filter(
        (p) => !leftovers.temporaries.includes(resolve(out, p)), // PC5012 reports those
      );
  const patches = changes.length ? await renderPatches(changes, { a: "a", b: "b" }) : [];
  ctx.changes = { rule: "out-of-date", root: out, changes: changes.map((c, i) => changeJson(c, patches[i]!)) };
  if (changes.length === 0 && !hasLeftovers(leftovers) && !stray.length) {
    ctx.say(`policyc: ${out} is up to date (${files.length} files).`);
    return EXIT_OK;
  }
  if (changes.length) ctx.out(patches.join(""));
  if (hasLeftovers(leftovers))
    fail((bag) => bag.report(Messages.OutputInterrupted, undefined, { out, what: describeLeftovers(leftovers) }));
  if (stray.length) fail((bag) => stray.forEach((path) => bag.report(Messages.OutputStray, undefined, { out, path: join(out, path) })));
  if (changes.length) {
    process.stderr.write(
      `policyc: ${out} is not what ${program.root.path} produces: ${changes.length === 1 ? "1 file differs" : `${changes.length} files differ`}; run policyc build to update it.\n`,
    );
  }
  return EXIT_ERRORS;
}
