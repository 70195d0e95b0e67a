import { formatBytes, NotRegularFileError, readFailure, readRegularFile } from "../syntax/read.js";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { DiagnosticBag } from "../diagnostics/diagnostic.js";
import { Messages } from "../diagnostics/messages.js";
import type { PlatformName } from "../check/model.js";

/** The most bytes read of one template. */
const MAX_TEMPLATE_BYTES = 16 * 1024 * 1024;

const BLOCK = /^[ \t]*\{\{(\w+)\}\}[ \t]*$/;

/** How a template's file comments: pam.d and Sendmail.conf with `#`; a .mc with `dnl` and `#`. */
type CommentSyntax = "hash" | "m4";

/**
 * Where a line's comment starts, or -1: at the first `#`, and in a .mc also at the word `dnl`
 * (m4 discards the rest of the line). In a .mc `#` counts everywhere: before sendmail-cf's
 * cf.m4 it is an m4 comment, after it (cf.m4 turns m4 comments off) it reaches sendmail.cf,
 * where it comments out what follows on the line.
 */
export function commentStart(line: string, syntax: CommentSyntax): number {
  let at = line.indexOf("#");
  if (syntax === "m4") {
    const dnl = /(?<![A-Za-z0-9_])dnl(?![A-Za-z0-9_])/.exec(line);
    if (dnl && (at === -1 || dnl.index < at)) at = dnl.index;
  }
  return at;
}
const INLINE = /\{\{(\w+)\}\}/g;

/** Where the template `name` of a platform release is read from: the release's own file, or else the platform's. */
export function templatePath(root: string, platform: string, release: string, name: string): string {
  const own = join(root, platform, release, name);
  return existsSync(own) ? own : join(root, platform, name);
}

/**
 * The boilerplate files of one platform and release: templates/<platform>/<release>/<name>
 * where the release has its own (the distribution's stock files, which differ
 * between releases), else templates/<platform>/<name> (policyc's own
 * templates, the same for every release). A line
 * that is only `{{name}}` becomes the value's lines (none: the line goes);
 * `{{name}}` inside a line becomes the value. Templates hold no logic.
 */
export class TemplateStore {
  /** Every template file read, for dependency files. */
  readonly used = new Set<string>();
  private readonly cache = new Map<string, string | null>();

  constructor(
    readonly root: string,
    readonly platform: PlatformName,
    readonly release: string,
    private readonly diagnostics: DiagnosticBag,
  ) {}

  /** The file a template name is read from: the release's own, or else the platform's. */
  path(name: string): string {
    return templatePath(this.root, this.platform, this.release, name);
  }

  /**
   * Renders the template `name` (see path()), or reports why it cannot and returns
   * undefined. A name in `required` whose value is not empty must appear in
   * the template: a site template that lost {{acls}} must not quietly drop
   * the access lists.
   */
  render(name: string, vars: Record<string, string>, required: readonly string[] = []): string | undefined {
    // The same rendering for another host is the same text (and the same findings, reported once).
    let key = `${name}\0${required.join(" ")}`;
    for (const k in vars) key += `\0${k}\0${vars[k]}`;
    if (this.rendered.has(key)) return this.rendered.get(key);
    const out = this.renderOnce(name, vars, required);
    this.rendered.set(key, out);
    return out;
  }

  private readonly rendered = new Map<string, string | undefined>();
  private readonly paths = new Map<string, string>();

  private renderOnce(name: string, vars: Record<string, string>, required: readonly string[]): string | undefined {
    let path = this.paths.get(name);
    if (path === undefined) this.paths.set(name, (path = this.path(name)));
    let text = this.cache.get(path);
    if (text === undefined) {
      // Only a regular file, and a bounded one: a site's templates folder is input too.
      let reason: string | undefined;
      try {
        const bytes = readRegularFile(path, MAX_TEMPLATE_BYTES);
        if (bytes.length > MAX_TEMPLATE_BYTES) reason = `it is larger than ${formatBytes(MAX_TEMPLATE_BYTES)}`;
        else {
          text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("utf8");
          this.used.add(path);
        }
      } catch (e) {
        reason = e instanceof NotRegularFileError ? `it is ${e.what}, not a regular file` : readFailure(e);
      }
      if (reason !== undefined || text === undefined) {
        text = null;
        this.diagnostics.report(Messages.TemplateMissing, undefined, { path, reason: reason ?? "unreadable" });
      }
      this.cache.set(path, text);
    }
    if (text === null) return undefined;
    const out: string[] = [];
    let ok = true;
    const lines = text.split("\n");
    if (lines[lines.length - 1] === "") lines.pop();
    // Required placeholders count only where they take effect, not in a comment; one in a
    // comment would comment out the lines it stands for, so it is an error of its own.
    const syntax: CommentSyntax = name.endsWith(".mc") ? "m4" : "hash";
    const live = new Set<string>();
    const commented = new Set<string>();
    lines.forEach((line, i) => {
      const from = commentStart(line, syntax);
      for (const m of line.matchAll(INLINE)) {
        const key = m[1]!;
        if (from === -1 || m.index! < from) live.add(key);
        else {
          commented.add(key);
          if (required.includes(key) && vars[key]) {
            this.diagnostics.report(Messages.TemplatePlaceholderInComment, undefined, { path, line: i + 1, name: key });
            ok = false;
          }
        }
      }
    });
    lines.forEach((line, i) => {
      const block = BLOCK.exec(line);
      if (block) {
        const value = vars[block[1]!];
        if (value === undefined) ok = this.unknown(path, i + 1, block[1]!, vars);
        else if (value !== "") out.push(value.replace(/\n$/, ""));
        return;
      }
      out.push(
        line.replace(INLINE, (_, key: string) => {
          const value = vars[key];
          if (value === undefined) {
            ok = this.unknown(path, i + 1, key, vars);
            return "";
          }
          if (value.includes("\n")) {
            // Several lines cannot go inside one; reported once, as PC5020 if it is in a comment.
            if (!(commented.has(key) && required.includes(key))) {
              this.diagnostics.report(Messages.TemplatePlaceholderNotAlone, undefined, { path, line: i + 1, name: key });
            }
            ok = false;
            return "";
          }
          return value;
        }),
      );
    });
    for (const key of required) {
      if (vars[key] && !live.has(key) && !commented.has(key)) {
        this.diagnostics.report(Messages.TemplateMissesPlaceholder, undefined, { path, name: key });
        ok = false;
      }
    }
    return ok ? out.join("\n") + "\n" : undefined;
  }

  private unknown(path: string, line: number, name: string, vars: Record<string, string>): false {
    this.diagnostics.report(Messages.TemplatePlaceholder, undefined, { path, line, name, expected: Object.keys(vars).join(", ") });
    return false;
  }
}
