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
 * The text of a head's entries (EntryList.sharedHead), made once: in a
 * fleet, every host's `$staff, $admins` begins with the one `$staff`, whose
 * lines were otherwise sliced and joined again for each host's file.
 */
const headTexts = new WeakMap<EntryList, { n: number; text: string }>();

/** The entries, one a line, each line ending in LF. */
function listContent(entries: EntryList): string {
  const head = entries.sharedHead;
  const h = entries.headLength;
  if (!head || h === 0) return lines(entries, 0, entries.length);
  let known = headTexts.get(head);
  if (!known || known.n !== h) headTexts.set(head, (known = { n: h, text: lines(head, 0, h) }));
  return known.text + lines(entries, h, entries.length);
}

/**
 * Entries [from, to), one a line, each line ending in LF. Joined in chunks:
 * the strings of one chunk die young, where an array of a million lines would
 * outlive the young generation and its strings be copied by the collector
 * (the join of a million entries took twice as long).
 */
function lines(entries: EntryList, from: number, to: number): string {
  if (from >= to) return "";
  const chunks: string[] = [];
  const lines: string[] = [];
  for (let start = from; start < to; start += CHUNK) {
    const end = Math.min(to, start + CHUNK);
    lines.length = 0;
    entries.valuesInto(lines, start, end);
    lines.push("");
    chunks.push(lines.join("\n"));
  }
  return chunks.join("");
}
