import { accessSync, closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { DiagnosticBag } from "../diagnostics/diagnostic.js";
import { errnoWords } from "../diagnostics/errno.js";
import { Messages } from "../diagnostics/messages.js";
import { describeLeftovers, findLeftovers, hasLeftovers } from "../output/journal.js";
import { renderPatches } from "../output/patch.js";
import { DEPLOYED_RECORD, parseDeployed } from "../output/manifest.js";
import { type Change, compareTree, type DiskFile, isSystemRoot } from "../output/tree.js";
import { type CommandContext, type CommandSpec, MAX_WARNINGS_OPTION, TEMPLATES_OPTION } from "./command.js";
import { EXIT_ERRORS, EXIT_OK, EXIT_USAGE, UsageError } from "./io.js";
import { changeJson } from "./report.js";

/**
 * `policyc diff POLICY --root DIR [--host NAME]`: what is deployed under DIR against what the policy produces.
 * `policyc diff POLICY --stock [--host NAME]`: what each file changes in the distribution's stock file.
 */
export const diffCommand: CommandSpec = {
  name: "diff",
  synopsis: [
    ["diff POLICY --root DIR [--host H]", "compare with what is deployed under DIR"],
    ["diff POLICY --stock [--host H]", "what each file changes in the distribution's stock file"],
  ],
  description: `Compares what POLICY produces with what is deployed under DIR (a mounted
server root, or / with --allow-system-root): hand edits, missing files and
other modes, as a unified diff of deployed/ against policy/; files not owned
by root:root (old/new owner lines); and files policyc deployed earlier
(recorded in DIR/var/lib/policyc/manifest.json) that the policy no longer
produces, as deleted files. policyc temporaries beside the policy's files
(an interrupted build was deployed) are reported too (PC5012).
With --stock instead, prints per generated file a unified diff from the
distribution's stock file it is built from (stock/ against policy/): only the
policy's lines and policyc's header; files without a stock file are shown as
new. For review before the first deploy; exit 0.`,
  options: [
    { name: "root", value: "DIR", help: "the deployed root to compare with (this or --stock)" },
    { name: "stock", help: "compare with the distribution's stock files instead of a root" },
    { name: "host", value: "NAME", help: "the host to compare, for a policy with host blocks" },
    { name: "allow-system-root", help: "let --root be this machine's own / (refused otherwise)" },
    { ...MAX_WARNINGS_OPTION, help: "fail (exit 1, nothing compared) with more than N warnings" },
    TEMPLATES_OPTION,
  ],
  exits: {
    errors: "errors in the policy (or more warnings than --max-warnings), drift, or temporaries of an interrupted build",
    usage:
      "wrong usage, an unreadable policy file, a --root that is missing, not a folder or not readable, or a file under it that is there but cannot be read",
  },
  takesPolicy: true,
  run: diff,
};

async function diff(ctx: CommandContext): Promise<number> {
  const root = ctx.options.root;
  if (root && ctx.options.stock) throw new UsageError("--root and --stock compare with different things; give one.");
  if (!root && !ctx.options.stock) throw new UsageError("diff needs the deployed root: --root DIR (for example --root /), or --stock.");
  if (root && !ctx.options["allow-system-root"] && isSystemRoot(root)) {
    throw new UsageError(`${root} is this machine's own root folder; to compare with it, say so with --allow-system-root.`);
  }
  const compiled = ctx.compile();
  if (!compiled) return ctx.exitCode;
  const hosts = compiled.build.hosts.map((h) => h.name);
  let files = compiled.files;
  const host = ctx.options.host;
  if (hosts[0] !== null) {
    if (!host) throw new UsageError(`the policy describes several hosts; name one with --host (${hosts.join(", ")}).`);
    if (!hosts.includes(host)) throw new UsageError(`the policy has no host "${host}"; its hosts are ${hosts.join(", ")}.`);
    files = files.filter((f) => f.path.startsWith(host + "/")).map((f) => ({ ...f, path: f.path.slice(host.length + 1) }));
  } else if (host) {
    throw new UsageError("--host is only for policies with host blocks.");
  }
  if (!root) return stockDiff(ctx, files);
  // A root that is not there is unreadable input (exit 2), never drift: "every file missing" would send someone to deploy.
  const reason = unreadableRoot(root);
  if (reason) {
    const bag = new DiagnosticBag();
    bag.report(Messages.RootUnreadable, undefined, { root, reason });
    ctx.report(bag);
    return EXIT_USAGE;
  }
  const produced = new Set(files.map((f) => f.path));
  const record = deployedRecord(root, hosts[0] !== null ? host! : null);
  // A record that is not a manifest is an error too: read as "no record", every stale file would go unreported.
  if ("invalid" in record) {
    const bag = new DiagnosticBag();
    bag.report(Messages.DeployedRecordInvalid, undefined, record.invalid);
    ctx.report(bag);
    return EXIT_USAGE;
  }
  const stale = ("unreadable" in record ? [] : (record.paths ?? [])).filter((p) => !produced.has(p));
  // Each deployed file is opened once: what is compared is what was checked (no second open to swap a link in).
  const deployed = new Map([...files.map((f) => f.path), ...stale].map((p) => [p, readDeployed(join(root, p))] as const));
  // A file that is there but cannot be read is unreadable input (exit 2), never "missing": no drift is reported.
  const unreadable = [
    ...("unreadable" in record ? [record.unreadable] : []),
    ...[...deployed].flatMap(([p, d]) => ("reason" in d ? [{ path: join(root, p), reason: d.reason }] : [])),
  ];
  if (unreadable.length) {
    const bag = new DiagnosticBag();
    for (const u of unreadable) bag.report(Messages.DeployedUnreadable, undefined, u);
    ctx.report(bag);
    return EXIT_USAGE;
  }
  const changes = compareTree(root, files, stale, true, (p) => {
    const d = deployed.get(p);
    return d && "file" in d ? d.file : undefined;
  });
  // Temporaries beside the policy's files: an interrupted build was deployed, or a build is running.
  const leftovers = findLeftovers(
    root,
    files.map((f) => dirname(f.path)),
  );
  if (hasLeftovers(leftovers)) {
    const bag = new DiagnosticBag();
    bag.report(Messages.OutputInterrupted, undefined, { out: root, what: describeLeftovers(leftovers) });
    ctx.report(bag);
  }
  const patches = changes.length ? await renderPatches(changes, { a: "deployed", b: "policy" }) : [];
  ctx.changes = { rule: "drift", root, changes: changes.map((c, i) => changeJson(c, patches[i]!)) };
  if (changes.length === 0) {
    if (hasLeftovers(leftovers)) return EXIT_ERRORS;
    ctx.say(`policyc: ${root} matches the policy (${files.length} files).`);
    return EXIT_OK;
  }
  ctx.out(patches.join(""));
  const missing = changes.filter((c) => c.kind === "add").length;
  const edited = changes.filter((c) => c.kind === "modify").length;
  const modes = changes.filter((c) => c.kind === "mode").length;
  const owners = changes.filter((c) => c.ownerBefore !== undefined).length;
  const removed = changes.filter((c) => c.kind === "remove").length;
  const parts = [
    edited ? `${edited} edited or out of date` : "",
    missing ? `${missing} missing` : "",
    modes ? `${modes} with another mode` : "",
    owners ? `${owners} with another owner or group` : "",
    removed ? `${removed} deployed by policyc and no longer produced` : "",
  ].filter(Boolean);
  process.stderr.write(`policyc: ${root} has drifted from the policy: ${parts.join(", ")}.\n`);
  return EXIT_ERRORS;
}

/** What a deployment recorded under root (DEPLOYED_RECORD) for a host: no paths when there is no record. */
function deployedRecord(
  root: string,
  host: string | null,
): { paths?: string[] } | { unreadable: { path: string; reason: string } } | { invalid: { path: string; reason: string } } {
  const path = join(root, DEPLOYED_RECORD);
  const read = readDeployed(path);
  if ("reason" in read) return { unreadable: { path, reason: read.reason } };
  if (!("file" in read)) return {};
  const paths = parseDeployed(read.file.content, host);
  return Array.isArray(paths) ? { paths } : { invalid: { path, reason: paths.invalid } };
}

/** Not there at all: no such file, or a file where a folder of its path should be. */
const absent = (e: unknown) => ["ENOENT", "ENOTDIR"].includes((e as NodeJS.ErrnoException).code ?? "");

/**
 * A deployed file, opened once and read from that descriptor: the file, nothing there (`{}`), or why
 * what is there cannot be compared: a folder, a symbolic link (never followed: O_NOFOLLOW), a FIFO or
 * device (never opened: lstat first; what was opened is checked again with fstat), or a file that cannot
 * be opened or read (permission denied, a folder on its path that cannot be searched).
 */
function readDeployed(abs: string): { file: DiskFile } | { reason: string } | Record<string, never> {
  let st;
  try {
    st = lstatSync(abs);
  } catch (e) {
    return absent(e) ? {} : { reason: errnoWords(e) };
  }
  const kind = (s: typeof st) =>
    s.isDirectory()
      ? errnoWords(Object.assign(new Error(), { code: "EISDIR" }))
      : s.isSymbolicLink()
        ? "it is a symbolic link, which diff does not follow"
        : s.isFile()
          ? undefined
          : "it is not a regular file";
  const before = kind(st);
  if (before) return { reason: before };
  let fd: number;
  try {
    fd = openSync(abs, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    // Gone, or a link put in its place, since lstat: as if diff had looked then.
    if (absent(e)) return {};
    if ((e as NodeJS.ErrnoException).code === "ELOOP") return { reason: "it is a symbolic link, which diff does not follow" };
    return { reason: errnoWords(e) };
  }
  try {
    const opened = fstatSync(fd);
    const now = kind(opened);
    if (now) return { reason: now };
    const content = readFileSync(fd, "utf8");
    return { file: { content, mode: opened.mode & 0o7777, uid: opened.uid, gid: opened.gid } };
  } catch (e) {
    return { reason: errnoWords(e) };
  } finally {
    closeSync(fd);
  }
}

/** Why --root DIR cannot be compared with (missing, not a folder, not readable), or undefined when it can. */
function unreadableRoot(root: string): string | undefined {
  try {
    if (!statSync(root).isDirectory()) return "it is not a folder";
    accessSync(root, constants.R_OK | constants.X_OK);
    return undefined;
  } catch (e) {
    return errnoWords(e);
  }
}

/**
 * Every file against the distribution's stock file it is built from (`stock/`
 * against `policy/`), for review before the first deploy: a file built from
 * a stock file shows only the lines the policy adds; any other file is new on
 * a stock host and shown whole. Exit 0: this is a review, not a check.
 */
async function stockDiff(ctx: CommandContext, files: { path: string; content: string; mode: number; stock?: string }[]): Promise<number> {
  const changes: Change[] = files
    .filter((f) => !f.path.startsWith(".policyc/"))
    .map((f) =>
      f.stock === undefined
        ? { path: f.path, kind: "add", after: f.content, modeAfter: f.mode }
        : { path: f.path, kind: "modify", before: f.stock, after: f.content, modeBefore: f.mode, modeAfter: f.mode },
    );
  const patches = await renderPatches(changes, { a: "stock", b: "policy" });
  ctx.changes = { rule: "stock", root: "stock", changes: changes.map((c, i) => changeJson(c, patches[i]!)) };
  ctx.out(patches.join(""));
  const stocked = changes.filter((c) => c.kind === "modify").length;
  ctx.say(
    `policyc: ${stocked} file${stocked === 1 ? "" : "s"} built from the distribution's stock files, ${changes.length - stocked} new.`,
  );
  return EXIT_OK;
}
