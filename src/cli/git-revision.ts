import { existsSync, realpathSync } from "node:fs";
import { dirname, isAbsolute, posix, relative, resolve, sep } from "node:path";
import { MAX_FILE_BYTES, NotRegularFileError, type ReadFile, safeRealpath } from "../syntax/load.js";

/** Why the old version cannot be read from git (a usage error, PC6010). */
export class GitError extends Error {}

/** A file of a revision as `git ls-tree -l` lists it. */
interface Entry {
  mode: string;
  type: string;
  oid: string;
  size: number;
}

/**
 * A policy as of a git revision, read with git itself (`git ls-tree`, `git cat-file`): no
 * checkout, nothing in the working tree changes. Paths are the working tree's paths; the
 * loader resolves includes through `realpath` and `read` inside the revision.
 */
export interface GitRevisionSource {
  /** The root policy's path as shown in diagnostics: `REV:./path`, which `git show` accepts. */
  shown: string;
  /** The root policy's bytes at the revision. */
  bytes: Uint8Array;
  /** The root's absolute path (in the working tree's terms). */
  rootPath: string;
  realpath: (path: string) => string | undefined;
  read: ReadFile;
}

function git(cwd: string, args: string[], maxBuffer = 256 * 1024 * 1024): { ok: boolean; out: Buffer; err: string } {
  // Loaded here, not at the top: node:child_process brings net, dgram and the
  // streams with it, several milliseconds of every command's start-up.
  const { spawnSync } = process.getBuiltinModule("node:child_process");
  const r = spawnSync("git", args, { cwd, maxBuffer, env: { ...process.env, GIT_OPTIONAL_LOCKS: "0" } });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    throw new GitError(code === "ENOENT" ? "git is not installed (no git command on PATH)" : `git failed: ${r.error.message}`);
  }
  return { ok: r.status === 0, out: r.stdout, err: r.stderr.toString("utf8").trim() };
}

/** The nearest folder of `path` (or above) that exists, and the rest of the path below it. */
function existing(path: string): { dir: string; rest: string } {
  let dir = dirname(path);
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  return { dir: realpathSync.native(dir), rest: relative(dir, path) };
}

/** Reads POLICY (given as on the command line) at git revision REV; throws GitError for a usage error. */
export function gitRevisionSource(rev: string, policy: string): GitRevisionSource {
  if (rev === "" || rev.startsWith("-")) throw new GitError(`"${rev}" is not a git revision`);
  const abs = resolve(policy);
  const { dir, rest } = existing(abs);
  const top = git(dir, ["rev-parse", "--show-toplevel"]);
  if (!top.ok) throw new GitError(`${policy} is not in a git repository`);
  const topDir = realpathSync.native(top.out.toString("utf8").trim());
  const commit = git(topDir, ["rev-parse", "--verify", "--quiet", `${rev}^{commit}`]);
  if (!commit.ok) throw new GitError(`"${rev}" is not a revision of the repository ${topDir}`);
  const oid = commit.out.toString("utf8").trim();
  const rootAbs = resolve(dir, rest);
  const rootRel = relative(topDir, rootAbs).split(sep).join("/");
  const shownRel = isAbsolute(policy) ? policy : /^\.\.?\//.test(policy) ? policy : `./${policy}`;
  const shown = `${rev}:${posix.normalize(shownRel.split(sep).join("/")).replace(/^(?!\.\.?\/|\/)/, "./")}`;

  // One listing of the root's folder at the revision: includes must stay inside it.
  const folder = posix.dirname(rootRel);
  const listing = git(topDir, ["--literal-pathspecs", "ls-tree", "-r", "-t", "-l", "-z", oid, "--", ...(folder === "." ? [] : [folder])]);
  if (!listing.ok) throw new GitError(`git ls-tree failed: ${listing.err}`);
  const entries = new Map<string, Entry>();
  if (folder !== ".") entries.set(folder, { mode: "040000", type: "tree", oid: "", size: 0 });
  for (const line of listing.out.toString("utf8").split("\0")) {
    const m = /^(\d+) (\w+) ([0-9a-f]+) +(-|\d+)\t(.*)$/s.exec(line);
    if (m) entries.set(m[5]!, { mode: m[1]!, type: m[2]!, oid: m[3]!, size: m[4] === "-" ? 0 : Number(m[4]) });
  }
  const blob = (e: Entry, max: number): Buffer => git(topDir, ["cat-file", "blob", e.oid], max + 1).out;

  const outsideFolder = new Map<string, Entry | undefined>();
  /**
   * A path's entry in the revision. The root's folder is listed at once; a path outside it (a
   * link leading out of the folder) is looked up alone, so that it resolves as on disk and the
   * loader says it is outside the folder, not that it is missing.
   */
  const entryAt = (rel: string): Entry | undefined => {
    const listed = entries.get(rel);
    if (listed || folder === "." || rel === folder || rel.startsWith(folder + "/")) return listed;
    if (outsideFolder.has(rel)) return outsideFolder.get(rel);
    const one = git(topDir, ["--literal-pathspecs", "ls-tree", "-l", "-z", oid, "--", rel]);
    const m = /^(\d+) (\w+) ([0-9a-f]+) +(-|\d+)\t(.*)$/s.exec(one.out.toString("utf8").split("\0")[0] ?? "");
    const e = one.ok && m && m[5] === rel ? { mode: m[1]!, type: m[2]!, oid: m[3]!, size: m[4] === "-" ? 0 : Number(m[4]) } : undefined;
    outsideFolder.set(rel, e);
    return e;
  };

  /**
   * The path with every symbolic link of the revision resolved, or undefined when absent there.
   * A path that leaves the repository (a link to an absolute path elsewhere, or up past its top)
   * is not in the revision: it is what the disk makes of it, as a checkout of REV here would see.
   */
  const real = (path: string): string | undefined => {
    const rel = relative(topDir, path);
    if (rel.startsWith(".." + sep) || rel === ".." || isAbsolute(rel)) return safeRealpath(path);
    const todo = rel === "" ? [] : rel.split(sep);
    const done: string[] = [];
    let hops = 0;
    while (todo.length) {
      const part = todo.shift()!;
      if (part === "." || part === "") continue;
      if (part === "..") {
        if (!done.length) return safeRealpath([topDir, "..", ...todo].join("/"));
        done.pop();
        continue;
      }
      const e = entryAt([...done, part].join("/"));
      if (!e) return undefined;
      if (e.mode === "120000") {
        if (++hops > 40) return undefined;
        const target = blob(e, 4096).toString("utf8");
        if (target.startsWith("/")) {
          if (target !== topDir && !target.startsWith(topDir + "/")) return safeRealpath([target, ...todo].join("/"));
          done.length = 0; // a link to an absolute path in the repository: on from its top
          todo.unshift(...target.slice(topDir.length).split("/"));
          continue;
        }
        todo.unshift(...target.split("/"));
        continue;
      }
      done.push(part);
    }
    return resolve(topDir, ...done);
  };

  const read: ReadFile = (path, maxBytes) => {
    const rel = relative(topDir, path).split(sep).join("/");
    const e = entries.get(rel);
    if (!e) throw Object.assign(new Error("no such file"), { code: "ENOENT" });
    if (e.type === "tree") throw new NotRegularFileError("a folder");
    if (e.type !== "blob" || e.mode === "120000") throw new NotRegularFileError(e.type === "commit" ? "a submodule" : "a symbolic link");
    if (e.size > maxBytes) return new Uint8Array(maxBytes + 1); // too large: the caller reports it
    return new Uint8Array(blob(e, maxBytes));
  };

  const rootReal = real(rootAbs);
  if (rootReal === undefined) throw new GitError(`${policy} does not exist in revision ${rev} (${shown})`);
  const rootEntry = entries.get(relative(topDir, rootReal).split(sep).join("/"));
  if (!rootEntry || rootEntry.type !== "blob") throw new GitError(`${shown} is not a file in revision ${rev}`);
  // The loader resolves the root's shown path too: that is the root's real path in the revision.
  const shownAbs = resolve(shown);
  return { shown, bytes: read(rootReal, MAX_FILE_BYTES), rootPath: rootAbs, realpath: (p) => (p === shownAbs ? rootReal : real(p)), read };
}
