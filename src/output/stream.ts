import * as nodeFs from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { OutputFile } from "../targets/Target.js";
import { errnoWords } from "../diagnostics/errno.js";
import { describeLeftovers, findLeftovers, hasLeftovers, JOURNAL_PATH, type Leftovers, removeStage, removeTemporaries } from "./journal.js";
import { acquireLock } from "./lock.js";
import { MANIFEST_PATH } from "./manifest.js";
import { sha256 } from "./sha256.js";
import { PARALLEL_MIN_FILES, type StageJob, stageInWorkers } from "./stage.js";
import { STATE_DIR } from "../targets/reserved.js";
import { readManifest, staleFiles } from "./tree.js";
import {
  checkDirs,
  CREATE_NEW,
  type ExtraFile,
  type Fs,
  joiner,
  lstatOrNull,
  makeDirs,
  onlyRemoved,
  OutputError,
  removeQuietly,
  tempName,
  TEMP_PREFIX,
  writeTemp,
} from "./write.js";

/** With --jobs, the workers are handed this many temporaries at a time: the texts wait for them only this long. */
export const STREAM_BATCH = 4096;

export interface BuildReport {
  /** Files renamed into place: new, or their bytes or mode changed. */
  written: string[];
  /** Files whose bytes and mode were already right: left alone (their mtime stays, so make rebuilds nothing). */
  unchanged: string[];
  /** Stale files of an earlier build, removed. */
  removed: string[];
  /** Files the policy no longer produces that were edited since: left in place. */
  modified: string[];
  /** Why OUT's previous manifest could not be read (so nothing it listed was removed as stale), or null. */
  manifestProblem: string | null;
  /** What an interrupted earlier build had left, when there was something ("2 temporary files"). */
  recovered: string | null;
}

export interface StreamOptions {
  /** The file system calls (the fault-injection tests pass a copy that fails); node:fs by default. */
  fs?: Fs;
  /** Test hook: called before each temporary is written (a staged file's path under root, or an extra file's path). */
  faultBeforeWrite?: (path: string) => void;
  /** Test hook: called before each rename of the commit. */
  faultBeforeRename?: (path: string) => void;
  /**
   * Threads that write the temporaries (README "Performance"): above 1, and
   * with at least PARALLEL_MIN_FILES changed files in a batch, worker threads
   * write them; the checks, the journal and the commit stay on this thread.
   * Only with node:fs and without faultBeforeWrite.
   */
  jobs?: number;
  /** Test hook: how much of the manifest's entries waits in memory (BODY_IN_MEMORY); 0 puts them in the staging folder at once. */
  bodyInMemory?: number;
  /** Test hooks: the worker script (tests run from source), and a target whose staging fails in a worker. */
  stageWorker?: string;
  faultInWorker?: string;
}

/** How much of the manifest's entries (UTF-16 code units) waits in memory before they go to the staging folder. */
const BODY_IN_MEMORY = 1 << 20;

/** Temporaries per folder of the staging folder (the --jobs workers share the folders out). */
const PER_FOLDER = 256;

/**
 * A build that writes a fleet host by host (README "Architecture"): `add`
 * takes each host's files as compile emits them, compares each with OUT and
 * writes a changed one to a temporary in a staging folder of its own under
 * OUT/.policyc, then gives up its text; `commit`, once the whole policy
 * is known good, removes the stale files and renames everything into place
 * after writing a journal of it, and `abort` undoes everything when it is
 * not. This is the only writer of OUT: every command that writes a tree
 * goes through it. What is kept per file is its path and its
 * sha256 (32 bytes); its manifest entry waits in memory while the entries are
 * small, then in the staging folder, and a
 * staged file's temporary is named from its rank.
 *
 * Nothing is touched before the first `add`: a policy whose error is found
 * before its first host is emitted leaves OUT as it was, not even created.
 * The first `add` takes the lock; until the commit, the only folder of OUT
 * that changes is OUT/.policyc (or, when it is made now, the folder it is
 * made in), and `abort` puts that folder's times back as they were: target
 * folders are made only when the commit renames into them.
 *
 * A reader sees each file either old or new; the tree as a whole is mixed
 * only while the commit renames, and a manifest always describes a complete
 * tree (it is renamed last). A failure during the commit leaves the journal,
 * and the next build repairs the tree.
 *
 * Nothing is fsync'd: renames give readers old-or-new and a killed build
 * leaves its journal in the page cache, which outlives the process; only a
 * power cut needs the disk, and making the tree durable is the deploy's job
 * (`sync`, or the copy to the hosts), as for any compiler's output. A
 * per-file fsync made build 1.4-1.9x slower than writing the files plainly.
 */
export class BuildStream {
  /** Every file's path, in the build's order (a Set keeps it). */
  readonly paths = new Set<string>();
  /** Each file's sha256, 32 bytes each, in the same order. */
  private digests = new Uint8Array(32 * 1024);
  /** The indexes (in `paths`) of the files staged, in order: the k-th is in stagedTemp(k). */
  private stagedIndexes = new Int32Array(1024);
  private stagedCount = 0;
  /** The manifest's file entries, written as each host comes to a temporary in the staging folder (never one string). */
  private body = -1;
  private bodyPath = "";
  private bodyBytes = 0;
  /** The first failure (a LockBusy, an OutputError): the stream is aborted then, and takes no more files. */
  failure: unknown = undefined;
  private readonly fs: Fs;
  private readonly under: (rel: string) => string;
  private opened = false;
  private done = false;
  private release: () => void = () => {};
  private created: string[] = [];
  /** The folder whose times the first write changes, and its times before (restored by abort). */
  private touched: { path: string; atimeNs: bigint; mtimeNs: bigint } | null = null;
  private leftovers: Leftovers = { journal: null, temporaries: [], stages: [] };
  private stage = "";
  /** Staged temporaries' names: 96 random bits, then 32 more (random) plus the file's rank (see stagedTemp). */
  private nameHigh = "";
  private nameLow = 0;
  private stageDev = -1;
  /** Whether the staging folder exists yet: made for the first temporary or when the manifest's entries outgrow memory. */
  private staged = false;
  /** The manifest's file entries while they are small (BODY_IN_MEMORY): a small build makes no staging folder when nothing changed. */
  private bodyText = "";
  private readonly checked = new Set<string>();
  private readonly missing = new Set<string>();
  /** Folders found writable (or below one): checked once each. */
  private readonly writable = new Set<string>();
  /** Jobs waiting for the workers (--jobs). */
  private pending: StageJob[] = [];
  private previous: Map<string, Set<string>> | null = null;
  private readonly removable = new Map<string, boolean>();

  constructor(
    readonly root: string,
    private readonly options: StreamOptions = {},
  ) {
    this.fs = options.fs ?? nodeFs;
    this.under = joiner(root);
  }

  private get parallel(): boolean {
    return (this.options.jobs ?? 1) > 1 && !this.options.fs && !this.options.faultBeforeWrite;
  }

  /**
   * Takes one host's files (paths under root), in the build's order, and the
   * host's name (null: a policy without host blocks). Never throws: a
   * failure aborts the stream and is kept in `failure`.
   */
  add(files: readonly OutputFile[], host: string | null): void {
    if (this.failure !== undefined || this.done) return;
    try {
      if (!this.opened) this.open();
      let entries = "";
      for (const file of files) {
        const index = this.paths.size;
        this.paths.add(file.path);
        if (this.paths.size === index) throw new Error(`policyc bug: ${file.path} produced twice`);
        const hash = sha256(file.content);
        if (this.digests.length < (index + 1) * 32) this.digests = grow(this.digests);
        this.digests.set(Buffer.from(hash, "hex"), index * 32);
        entries += (index === 0 ? "" : ",\n") + manifestEntry(file, host, hash);
        if (this.isUnchanged(file)) continue;
        const k = this.stagedCount++;
        if (this.stagedIndexes.length <= k) this.stagedIndexes = grow(this.stagedIndexes);
        this.stagedIndexes[k] = index;
        if (k % PER_FOLDER === 0) {
          this.ensureStage();
          const folder = this.stageFolder(k);
          at(folder, () => this.fs.mkdirSync(folder, { mode: 0o700 }));
        }
        const tmp = this.stagedTemp(k);
        if (this.parallel) {
          this.pending.push({ tmp, target: this.under(file.path), content: file.content, mode: file.mode });
          if (this.pending.length >= STREAM_BATCH) this.flush();
          continue;
        }
        try {
          this.options.faultBeforeWrite?.(file.path);
          writeTemp(this.fs, tmp, file.content, file.mode);
        } catch (e) {
          throw e instanceof OutputError
            ? new OutputError(this.under(file.path), e.reason)
            : new OutputError(this.under(file.path), errnoWords(e));
        }
      }
      this.appendBody(entries);
    } catch (e) {
      this.failure = e;
      this.abort();
    }
  }

  private stageFolder(k: number): string {
    return join(this.stage, Math.floor(k / PER_FOLDER).toString(16));
  }

  /**
   * The k-th staged file's temporary: `.policyc-tmp-` and 32 hex digits as
   * every temporary, drawn from one random name and k (no name is kept per
   * file). The staging folder's name is random too and its folders are this
   * build's own (0700), created exclusively like the files.
   */
  private stagedTemp(k: number): string {
    return `${this.stageFolder(k)}/${TEMP_PREFIX}${this.nameHigh}${((this.nameLow + k) >>> 0).toString(16).padStart(8, "0")}`;
  }

  private appendBody(text: string): void {
    if (!text) return;
    if (this.body < 0 && this.bodyText.length + text.length <= (this.options.bodyInMemory ?? BODY_IN_MEMORY)) {
      this.bodyText += text;
      return;
    }
    if (this.body < 0) {
      // Outgrew memory: from here on the entries go to a file in the staging folder, those so far first.
      this.ensureStage();
      this.bodyPath = join(this.stage, tempName());
      try {
        this.body = this.fs.openSync(this.bodyPath, CREATE_NEW, 0o600);
      } catch (e) {
        throw new OutputError(this.bodyPath, errnoWords(e));
      }
      text = this.bodyText + text;
      this.bodyText = "";
    }
    const buf = Buffer.from(text, "utf8");
    for (let off = 0; off < buf.length;) {
      const n = at(this.bodyPath, () => this.fs.writeSync(this.body, buf, off));
      if (!(n > 0)) throw new OutputError(this.bodyPath, "short write");
      off += n;
    }
    this.bodyBytes += buf.length;
  }

  /** The k-th staged file's index in `paths`, and its path. */
  private *stagedFiles(): Generator<{ k: number; path: string }> {
    let k = 0;
    let index = 0;
    for (const path of this.paths) {
      if (k < this.stagedCount && this.stagedIndexes[k] === index) yield { k: k++, path };
      index++;
    }
  }

  private hexOf(index: number): string {
    return Buffer.from(this.digests.buffer, this.digests.byteOffset + index * 32, 32).toString("hex");
  }

  /** Creates root and root/.policyc (0755), takes the lock, reads what an interrupted build left and names the staging folder (made when first needed). */
  private open(): void {
    this.opened = true;
    this.touched = this.firstExisting(join(this.root, STATE_DIR));
    this.created = makeDirs(this.fs, this.root, STATE_DIR);
    this.release = acquireLock(this.root);
    // Before the staging folder exists: only an earlier build's leftovers. They are removed at the commit.
    this.leftovers = findLeftovers(this.root);
    // The commit renames its journal into place, which it cannot over a folder: found at the commit, that failed every build,
    // all staged, with a message that the tree was incomplete; said now, before anything is written.
    const journal = join(this.root, JOURNAL_PATH);
    if (lstatOrNull(this.fs, journal)?.isDirectory())
      throw new OutputError(journal, "it is a folder where build keeps its journal; remove it (nothing was written)");
    this.stage = join(this.root, STATE_DIR, tempName());
    // Every temporary's name is as unpredictable as tempName()'s (README "Temporaries and links"), yet no name is kept per file:
    // one random name, the k-th file's adds k to its last 32 bits (a build stages far fewer than 2^32 files).
    const random = tempName().slice(TEMP_PREFIX.length);
    this.nameHigh = random.slice(0, 24);
    this.nameLow = Number.parseInt(random.slice(24), 16);
    // The staging folder will be made in OUT/.policyc: its file system is the one every rename must stay on.
    const state = join(this.root, STATE_DIR);
    this.stageDev = at(state, () => this.fs.lstatSync(state).dev);
  }

  /** Makes the staging folder, once. */
  private ensureStage(): void {
    if (this.staged) return;
    makeDirs(this.fs, this.stage, "");
    this.staged = true;
  }

  /** The nearest folder of path (or path itself) that exists, with its times. */
  private firstExisting(path: string): BuildStream["touched"] {
    for (let p = resolve(path); ; p = dirname(p)) {
      try {
        const st = nodeFs.statSync(p, { bigint: true });
        return { path: p, atimeNs: st.atimeNs, mtimeNs: st.mtimeNs };
      } catch {
        if (dirname(p) === p) return null;
      }
    }
  }

  /**
   * Whether a file on disk is already this one (bytes and mode), after
   * checking the way to it: no symbolic link below root, no file where a
   * folder must be, no folder where the file goes (unless it holds only
   * stale files this build removes). A changed file's
   * target folder must be one the commit can rename into.
   */
  private isUnchanged(file: OutputFile): boolean {
    const { fs, root } = this;
    const removing = { has: (p: string) => this.isRemovable(p) };
    const folders = checkDirs(fs, root, file.path, this.checked, removing, this.missing);
    const abs = this.under(file.path);
    const st = folders === "exist" ? lstatOrNull(fs, abs) : null;
    if (st?.isSymbolicLink()) throw new OutputError(abs, "symbolic link", true);
    if (st?.isDirectory() && onlyRemoved(fs, abs, file.path, removing)) {
      this.checkWritable(abs);
      return false;
    }
    if (st && !st.isFile()) throw new OutputError(abs, "exists and is not a regular file");
    if (
      st &&
      (st.mode & 0o7777) === file.mode &&
      st.size === Buffer.byteLength(file.content) &&
      at(abs, () => fs.readFileSync(abs, "utf8")) === file.content
    )
      return true;
    this.checkWritable(dirname(abs));
    return false;
  }

  /**
   * The commit renames from the staging folder into the target's folder,
   * making what is missing: the nearest existing folder must be writable
   * and on the staging folder's file system, or the commit would stop half
   * way; found here, before anything is renamed.
   */
  private checkWritable(dir: string): void {
    if (this.writable.has(dir)) return;
    let d = dir;
    for (let st = lstatOrNull(this.fs, d); !st?.isDirectory() && dirname(d) !== d; st = lstatOrNull(this.fs, d)) {
      d = dirname(d);
      if (this.writable.has(d)) {
        this.writable.add(dir);
        return;
      }
    }
    const st = at(d, () => nodeFs.statSync(d));
    if (st.dev !== this.stageDev) throw new OutputError(d, `is on another file system than ${join(this.root, STATE_DIR)}`);
    try {
      nodeFs.accessSync(d, nodeFs.constants.W_OK | nodeFs.constants.X_OK);
    } catch (e) {
      throw new OutputError(d, errnoWords(e));
    }
    this.writable.add(d);
    this.writable.add(dir);
  }

  /**
   * Whether a file in the way of this build's (where it needs a folder, or
   * in a folder where it puts a file) is one this build removes: an earlier
   * build's (its manifest, or an interrupted build's journal) and unchanged
   * since. Such a path is never one this build produces: emit refuses a
   * file and a folder under one name, and a host's files are in its folder.
   */
  private isRemovable(path: string): boolean {
    const known = this.removable.get(path);
    if (known !== undefined) return known;
    if (!this.previous) {
      this.previous = new Map();
      // A manifest that cannot be read lists nothing here; the commit's staleFiles says so.
      const listed = readManifest(this.root).files;
      for (const p of [...listed, ...(this.leftovers.journal?.files ?? [])]) {
        if (!this.previous.has(p.path)) this.previous.set(p.path, new Set());
        this.previous.get(p.path)!.add(p.sha256);
      }
    }
    let answer = false;
    const shas = this.previous.get(path);
    if (shas) {
      try {
        const abs = join(this.root, path);
        answer = this.fs.lstatSync(abs).isFile() && shas.has(sha256(this.fs.readFileSync(abs, "utf8")));
      } catch {
        answer = false;
      }
    }
    this.removable.set(path, answer);
    return answer;
  }

  /** Hands the waiting temporaries to the workers (or writes them here when too few to pay for threads). */
  private flush(): void {
    const jobs = this.pending;
    this.pending = [];
    if (jobs.length === 0) return;
    if (jobs.length >= PARALLEL_MIN_FILES) {
      stageInWorkers(jobs, this.options.jobs!, { script: this.options.stageWorker, failAt: this.options.faultInWorker });
      return;
    }
    for (const j of jobs) {
      try {
        if (this.options.faultInWorker === j.target) throw new Error("injected failure (test)");
        writeTemp(this.fs, j.tmp, j.content, j.mode);
      } catch (e) {
        throw e instanceof OutputError ? new OutputError(j.target, e.reason) : new OutputError(j.target, errnoWords(e));
      }
    }
  }

  /**
   * The policy is good: removes what an interrupted build left, works out
   * the stale files, stages the extra files (the manifest last, made now),
   * writes the journal and renames everything into place: the stale files
   * removed first (one may stand where a new file needs a folder), then the
   * staged files, the extra files, the manifest last, and the journal removed. Throws the stream's failure, LockBusy or OutputError; on a failure
   * before the first rename, OUT is as it was.
   */
  commit(options: { policy: string; hosts: string[] | null; extra?: ExtraFile[] }): BuildReport {
    if (this.failure !== undefined) throw this.failure;
    if (this.done) throw new Error("policyc bug: a build stream committed twice");
    const { fs, root } = this;
    const extras: { tmp: string; abs: string }[] = [];
    const journal = join(root, JOURNAL_PATH);
    let journalWritten = false;
    let stale: ReturnType<typeof staleFiles>;
    let recovered: string | null;
    const keepJournal = () => this.leftovers.journal !== null;
    try {
      // A policy without a file still writes its manifest (and takes the lock).
      if (!this.opened) this.open();
      this.flush();
      this.closeBody();
      recovered = hasLeftovers(this.leftovers) ? describeLeftovers(this.leftovers) : null;
      stale = staleFiles(root, this.paths, this.leftovers.journal?.files);
      const checked = new Set<string>();
      for (const p of stale.removable) checkDirs(fs, root, p, checked, new Set());
      const all: ExtraFile[] = [
        ...(options.extra ?? []),
        { path: join(root, MANIFEST_PATH), content: () => this.manifest(options.policy, options.hosts) },
      ];
      for (const x of all) {
        const st = lstatOrNull(fs, x.path);
        if (st && !st.isFile() && !st.isSymbolicLink()) throw new OutputError(x.path, "exists and is not a regular file");
      }
      for (const x of all) {
        const dir = dirname(x.path);
        makeDirs(fs, dir, "", this.created);
        const tmp = join(dir, tempName());
        extras.push({ tmp, abs: x.path });
        try {
          this.options.faultBeforeWrite?.(x.path);
          writeTemp(fs, tmp, typeof x.content === "string" ? x.content : x.content(), 0o644);
        } catch (e) {
          throw e instanceof OutputError ? new OutputError(x.path, e.reason) : new OutputError(x.path, errnoWords(e));
        }
      }
      // What an interrupted build left: its temporaries go now; its journal stays until this build's commit.
      removeTemporaries(this.leftovers);
      if (this.stagedCount > 0 || stale.removable.length > 0) {
        const tmp = join(dirname(journal), tempName());
        extras.push({ tmp, abs: journal });
        try {
          this.options.faultBeforeWrite?.(JOURNAL_PATH);
          writeTemp(fs, tmp, this.journal(extras.slice(0, -1).map((x) => x.tmp)), 0o644);
          fs.renameSync(tmp, journal);
          extras.pop();
          journalWritten = true;
        } catch (e) {
          throw new OutputError(journal, errnoWords(e));
        }
      }
    } catch (e) {
      for (const x of extras) removeQuietly(fs, x.tmp);
      if (journalWritten && !keepJournal()) removeQuietly(fs, journal);
      this.failure = e;
      this.abort();
      throw e;
    }

    // Commit. From here a failure leaves a mixed tree and the journal that says so.
    this.done = true;
    const report: BuildReport = {
      written: [],
      unchanged: [],
      removed: [],
      modified: stale.modified,
      manifestProblem: stale.manifestProblem,
      recovered,
    };
    let current = "";
    try {
      for (const p of stale.removable) {
        const abs = join(root, p);
        current = abs;
        fs.unlinkSync(abs);
        report.removed.push(p);
        for (let dir = dirname(abs); dir.length > root.length && dir.startsWith(root + "/"); dir = dirname(dir)) {
          try {
            fs.rmdirSync(dir);
          } catch {
            break; // not empty: it stays
          }
        }
      }
      let made = "";
      for (const { k, path } of this.stagedFiles()) {
        const abs = this.under(path);
        current = abs;
        this.options.faultBeforeRename?.(path);
        const dir = dirname(path);
        if (dir !== made && dir !== ".") {
          makeDirs(fs, root, dir);
          made = dir;
        }
        fs.renameSync(this.stagedTemp(k), abs);
        report.written.push(path);
      }
      for (const x of extras) {
        current = x.abs;
        this.options.faultBeforeRename?.(x.abs);
        fs.renameSync(x.tmp, x.abs);
      }
      if (journalWritten || keepJournal()) {
        current = journal;
        fs.unlinkSync(journal);
      }
      current = this.stage;
      removeStage(this.stage);
    } catch (e) {
      for (const x of extras) if (lstatOrNull(fs, x.tmp)) removeQuietly(fs, x.tmp);
      removeStage(this.stage);
      this.release();
      throw new OutputError(current, `${errnoWords(e)}; the tree is incomplete until the next build repairs it`);
    }
    this.release();
    if (report.written.length < this.paths.size) {
      const written = new Set(report.written);
      for (const p of this.paths) if (!written.has(p)) report.unchanged.push(p);
    }
    return report;
  }

  private closeBody(): void {
    if (this.body < 0) return;
    const fd = this.body;
    this.body = -1;
    at(this.bodyPath, () => this.fs.closeSync(fd));
  }

  /**
   * The manifest, byte for byte what JSON.stringify(makeManifest(...), null, 2)
   * makes, in pieces: its head, the file entries written as the hosts came
   * (read back from the staging folder a megabyte at a time), its tail.
   */
  private *manifest(policy: string, hosts: string[] | null): Generator<string | Uint8Array> {
    const whole = (files: unknown[]) => JSON.stringify({ format: "policyc-manifest", version: 1, policy, hosts, files }, null, 2);
    if (this.paths.size === 0) {
      yield whole([]) + "\n";
      return;
    }
    const marked = whole([0]);
    const end = "\n    0\n  ]\n}";
    if (!marked.endsWith(end)) throw new Error("policyc bug: the manifest's head is not where it was");
    yield marked.slice(0, -end.length) + "\n";
    if (!this.bodyPath) {
      yield this.bodyText;
      yield "\n  ]\n}\n";
      return;
    }
    const fd = this.fs.openSync(this.bodyPath, nodeFs.constants.O_RDONLY | nodeFs.constants.O_NOFOLLOW);
    try {
      const size = this.bodyBytes;
      for (let at = 0; at < size;) {
        const buf = Buffer.alloc(Math.min(1 << 20, size - at));
        let got = 0;
        while (got < buf.length) {
          const n = nodeFs.readSync(fd, buf, got, buf.length - got, at + got);
          if (!(n > 0)) throw new OutputError(this.bodyPath, "shorter than this build wrote it");
          got += n;
        }
        at += got;
        yield buf;
      }
    } finally {
      this.fs.closeSync(fd);
    }
    yield "\n  ]\n}\n";
  }

  /** The journal's text (every temporary, then each staged file's path and sha256), in pieces. */
  private *journal(extraTemporaries: string[]): Generator<string> {
    const earlier = this.leftovers.journal?.files ?? [];
    yield `{"format":"policyc-journal","version":1,"pid":${process.pid},"temporaries":[`;
    let piece = "";
    let first = true;
    const item = (text: string) => {
      piece += (first ? "" : ",") + text;
      first = false;
    };
    for (const { k } of this.stagedFiles()) {
      item(JSON.stringify(resolve(this.stagedTemp(k))));
      if (piece.length > 1 << 16) (yield piece, (piece = ""));
    }
    for (const t of extraTemporaries) item(JSON.stringify(resolve(t)));
    yield piece + '],"files":[';
    piece = "";
    first = true;
    for (const { k, path } of this.stagedFiles()) {
      item(JSON.stringify({ path, sha256: this.hexOf(this.stagedIndexes[k]!) }));
      if (piece.length > 1 << 16) (yield piece, (piece = ""));
    }
    for (const f of earlier) item(JSON.stringify({ path: f.path, sha256: f.sha256 }));
    yield piece + "]}\n";
  }

  /**
   * Undoes whatever the stream did: the staging folder and its temporaries,
   * the lock, the folders it made, and the times of the one folder of OUT
   * (or above it) that changed. Safe to call more than once.
   */
  abort(): void {
    if (this.done) return;
    this.done = true;
    this.pending = [];
    if (!this.opened) return;
    try {
      this.closeBody();
    } catch {
      // gone with the folder below
    }
    if (this.stage) removeStage(this.stage);
    this.release();
    this.release = () => {};
    for (const d of [...this.created].reverse()) {
      try {
        this.fs.rmdirSync(d);
      } catch {
        break;
      }
    }
    if (this.touched) restoreTimes(this.touched.path, this.touched.atimeNs, this.touched.mtimeNs);
  }
}

/**
 * Puts a folder's access and modification times back. utimes takes them
 * to the microsecond only (libuv); `touch -d @SECONDS.NANOSECONDS` sets the
 * modification time to the nanosecond where the file system keeps them.
 * Best effort: the folder's entries are already as they were.
 */
function restoreTimes(path: string, atimeNs: bigint, mtimeNs: bigint): void {
  const seconds = (ns: bigint) => Number(ns / 1_000_000_000n) + Number(ns % 1_000_000_000n) / 1e9;
  try {
    nodeFs.utimesSync(path, seconds(atimeNs), seconds(mtimeNs));
    if (nodeFs.statSync(path, { bigint: true }).mtimeNs === mtimeNs) return;
    const stamp = `@${mtimeNs / 1_000_000_000n}.${String(mtimeNs % 1_000_000_000n).padStart(9, "0")}`;
    // Loaded here, on this failure path only: a build that succeeds never loads child_process (cold start).
    const { spawnSync } = process.getBuiltinModule("node:child_process") as typeof import("node:child_process");
    spawnSync("touch", ["-m", "-d", stamp, "--", path], { stdio: "ignore" });
  } catch {
    // the times stay as the kernel left them
  }
}

/**
 * One file's entry in the manifest, as JSON.stringify(makeManifest(...), null, 2)
 * writes it inside "files" (a ManifestEntry, fields in its order), put
 * together here: one JSON.stringify per entry took a third of a second more
 * for 56,000 files. Strings go through JSON.stringify, so they are escaped
 * alike; line and column are whole numbers. test/build-stream.test.ts holds
 * it to makeManifest's bytes.
 */
function manifestEntry(file: OutputFile, host: string | null, hash: string): string {
  const q = JSON.stringify;
  let sources = "[]";
  if (file.origins.length > 0) {
    sources = "[";
    for (const [i, s] of file.origins.entries()) {
      const { line, column } = s.file.position(s.start);
      sources += `${i === 0 ? "" : ","}\n        {\n          "file": ${q(s.file.path)},\n          "line": ${line},\n          "column": ${column}\n        }`;
    }
    sources += "\n      ]";
  }
  const target = "/" + (host !== null ? file.path.slice(host.length + 1) : file.path);
  return (
    `    {\n      "path": ${q(file.path)},\n      "host": ${host === null ? "null" : q(host)},\n      "target": ${q(target)},` +
    `\n      "mode": "0${file.mode.toString(8)}",\n      "owner": "root",\n      "group": "root",\n      "sha256": "${hash}",` +
    `\n      "producer": ${q(file.producer)},\n      "sources": ${sources}\n    }`
  );
}

/**
 * f(), with a failing system call's error (ENOSPC, EIO, ...) made an
 * OutputError naming path: build reports it as PC code with the path, and
 * the fault tests hold every failure of the writer to that.
 */
function at<T>(path: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof OutputError || typeof (e as NodeJS.ErrnoException).code !== "string") throw e;
    throw new OutputError(path, errnoWords(e));
  }
}

/** A typed array twice as long, holding the same values. */
function grow<T extends Uint8Array | Int32Array>(a: T): T {
  const b = new (a.constructor as new (n: number) => T)(a.length * 2);
  b.set(a);
  return b;
}
