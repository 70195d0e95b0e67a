/** The one errno-to-words function: every code becomes words without node's code, system call or path. */
import fc from "fast-check";
import { constants } from "node:os";
import { describe, expect, it } from "vitest";
import { errnoWords } from "../../src/diagnostics/errno.js";

const CODES = Object.keys(constants.errno);

/** An error as node makes it: "ECODE: description, syscall 'path'", with code, syscall and path fields. */
function nodeError(code: string, syscall: string, path: string, dest?: string): NodeJS.ErrnoException {
  const e = new Error(`${code}: some description, ${syscall} '${path}'${dest ? ` -> '${dest}'` : ""}`) as NodeJS.ErrnoException;
  e.code = code;
  e.syscall = syscall;
  e.path = path;
  return e;
}

describe("errnoWords", () => {
  it("words the common codes as the README's diagnostics do", () => {
    expect(errnoWords(nodeError("ENOENT", "open", "/x"))).toBe("no such file");
    expect(errnoWords(nodeError("EACCES", "open", "/x"))).toBe("permission denied");
    expect(errnoWords(nodeError("EISDIR", "read", "/x"))).toBe("it is a directory");
    expect(errnoWords(nodeError("ENOTDIR", "lstat", "/x"))).toBe("a folder on its path is a file");
    expect(errnoWords(nodeError("ENOSPC", "write", "/x"))).toBe("no space left on device");
    expect(errnoWords(nodeError("EROFS", "open", "/x"))).toBe("the file system is read-only");
    expect(errnoWords(new Error("ENOSPC: no space left on device"))).toBe("no space left on device");
  });

  it("never shows the code prefix, the system call or the path, for any code, call and path", () => {
    const path = fc.stringMatching(/^\/[a-z0-9/ ._-]{0,20}$/);
    fc.assert(
      fc.property(
        fc.constantFrom(...CODES),
        fc.constantFrom("open", "lstat", "rename", "mkdir", "fsync", "unlink"),
        path,
        fc.option(path),
        (code, syscall, p, dest) => {
          const words = errnoWords(nodeError(code, syscall, p, dest ?? undefined));
          expect(words).not.toMatch(new RegExp(`^${code}:|, ${syscall}\\b|'`));
          expect(words.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 500, seed: 20261125 },
    );
  });
});
