import { type AclModel, type EntryList, PLATFORMS } from "../../check/model.js";
import { type EmitContext, FILE_MODE, type OutputFile, type Target } from "../Target.js";

/**
 * The list file of every access list: one entry per line in policy order,
 * newline-terminated, and nothing else. pam_listfile has no comment syntax:
 * a header line would be one more entry (a client can send any string as
 * PAM_RUSER). Where the list comes from is in the comment above its
 * pam_listfile line and in the manifest.
 */
/** The file of each access list made so far: hosts sharing a statement share its lists (nothing changes a file object). */
const files = new WeakMap<AclModel, OutputFile>();

export const AclTarget: Target = {
  name: "acl",
  platforms: PLATFORMS,
  emit(ctx: EmitContext): OutputFile[] {
    const out: OutputFile[] = [];
    for (const service of ctx.model.services) {
      for (const acl of service.acls) {
        const known = files.get(acl);
        if (known) {
          out.push(known);
          continue;
        }
        const content = listContent(acl.entries);
        const file: OutputFile = {
          path: acl.file.slice(1),
          content,
          mode: FILE_MODE,
          producer: `the access list of service "${service.name}"`,
          origins: [acl.fileSpan],
        };
        if (ctx.reused?.(acl) !== false) files.set(acl, file);
        out.push(file);
      }
    }
    return out;
  },
};

/** Lines joined a chunk at a time. */
const CHUNK = 4096;

/**
 * The entries, one a line, each line ending in LF. Joined in chunks: the
 * strings of one chunk die young, where an array of a million lines would
 * outlive the young generation and its strings be copied by the collector
 * (the join of a million entries took twice as long).
 */
function listContent(entries: EntryList): string {
  const n = entries.length;
  const chunks: string[] = [];
  const lines: string[] = [];
  for (let from = 0; from < n; from += CHUNK) {
    const to = Math.min(n, from + CHUNK);
    lines.length = 0;
    entries.valuesInto(lines, from, to);
    lines.push("");
    chunks.push(lines.join("\n"));
  }
  return chunks.join("");
}
