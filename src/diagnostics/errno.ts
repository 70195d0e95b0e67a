/**
 * The one place a file-system error becomes words for a diagnostic
 * ("Cannot read site.policy: no such file."). Node's own text
 * ("ENOTDIR: not a directory, lstat '/x'") repeats the path, names a system
 * call and shouts the code: it never reaches a user.
 */
const WORDS: Record<string, string> = {
  ENOENT: "no such file",
  EISDIR: "it is a directory",
  EACCES: "permission denied",
  EPERM: "permission denied",
  ENOTDIR: "a folder on its path is a file",
  ENAMETOOLONG: "the path is too long",
  ELOOP: "too many symbolic links",
  // Kept as the C library says it: scripts and tests look for these words.
  ENOSPC: "no space left on device",
  EDQUOT: "the disk quota is exceeded",
  EROFS: "the file system is read-only",
  EMFILE: "too many open files",
  ENFILE: "too many open files on the system",
  EEXIST: "it already exists",
  ENOTEMPTY: "the folder is not empty",
  EBUSY: "it is busy",
  ETXTBSY: "it is a running program",
  EXDEV: "it is on another file system",
  EFBIG: "the file is too large",
  EIO: "an input/output error",
  EINVAL: "an invalid argument",
  ENXIO: "no such device",
  ENODEV: "no such device",
  EAGAIN: "it is busy; try again",
};

/** The errno code of an error: its `code`, or the "ECODE: " its message starts with. */
function codeOf(e: unknown): string | undefined {
  const err = e as NodeJS.ErrnoException | null | undefined;
  if (typeof err?.code === "string") return err.code;
  return /^(E[A-Z0-9]+): /.exec(String(err?.message ?? ""))?.[1];
}

/**
 * Why a file-system call failed, in words, without the path or the system
 * call: "no such file", "permission denied", "no space left on device", ...
 * An unknown code keeps the system's description and adds the code:
 * "operation not supported (EOPNOTSUPP)".
 */
export function errnoWords(e: unknown): string {
  const code = codeOf(e);
  if (code && Object.hasOwn(WORDS, code)) return WORDS[code]!;
  const message = String((e as Error | null | undefined)?.message ?? e);
  const description = message
    .replace(/^E[A-Z0-9]+: /, "")
    .replace(/, [a-z_]+(?: '[^']*'(?: -> '[^']*')?)?$/s, "")
    .replace(/\.$/, "");
  return code ? `${description} (${code})` : description;
}
