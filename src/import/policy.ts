/** Writes what import made of a host as policy text (the CLI then formats it with the prettier plugin). */
import { commentText, policyValue } from "./host.js";
import type { AclOut, HostOut } from "./out.js";

const KIND: Record<string, string> = { user: "users", ruser: "users", group: "groups", rhost: "hosts", tty: "ttys", shell: "shells" };

function comment(lines: string[], indent: string, text: string): void {
  for (const l of text.split("\n")) lines.push(`${indent}# ${commentText(l)}`.replace(/\s+$/, ""));
}

export function policyText(h: HostOut): string {
  const lines: string[] = [];
  for (const c of h.comments) comment(lines, "", c);
  lines.push(`platform ${h.platform};`, "");

  // A list file several access lists read becomes one named list.
  const byFile = new Map<string, AclOut[]>();
  for (const s of h.services) for (const a of s.acls) if (a.entries) byFile.set(a.file, [...(byFile.get(a.file) ?? []), a]);
  const listName = new Map<string, string>();
  const values = new Set(h.services.flatMap((s) => s.acls.flatMap((a) => a.entries ?? [])));
  const taken = new Set<string>();
  for (const [file, acls] of byFile) {
    const kinds = new Set(acls.map((a) => KIND[a.item]));
    if (acls.length < 2 || kinds.size !== 1) continue;
    let base =
      file
        .replace(/^.*\//, "")
        .replace(/[^A-Za-z0-9_]/g, "_")
        .replace(/^_+|_+$/g, "") || "list";
    if (/^[0-9]/.test(base)) base = "list_" + base;
    let name = base;
    for (let n = 2; taken.has(name) || values.has(name); n++) name = `${base}_${n}`;
    taken.add(name);
    listName.set(file, name);
    lines.push(
      `${KIND[acls[0]!.item]} ${name} = ${acls[0]!.entries!.map(policyValue).join(", ")}; # ${file}, read by ${acls.length} access lists`,
    );
  }
  if (listName.size) lines.push("");

  for (const s of h.services) {
    lines.push(`service ${s.name} {`);
    for (const c of s.comments) comment(lines, "  ", c);
    if (s.pam !== s.name) lines.push(`  pam ${s.pam};`);
    if (s.template) lines.push(`  template ${s.template};`);
    if (s.stack) {
      lines.push("  stack {");
      for (const e of s.stack) {
        if (e.kind === "comment") comment(lines, "    ", e.text);
        else if (e.kind === "acls") lines.push("    account acls;");
        else lines.push(`    ${e.text};`);
      }
      lines.push("  }");
    }
    for (const a of s.acls) {
      for (const c of a.comments) comment(lines, "  ", c);
      lines.push(`  acl ${a.item} ${a.sense} ${policyValue(a.file)} {`);
      if (a.entries) {
        const named = listName.get(a.file);
        if (named) lines.push(`    entries $${named};`);
        else if (a.entries.length) lines.push(`    entries ${a.entries.map(policyValue).join(", ")};`);
        else lines.push("    # the list file holds no entries");
      }
      if (a.onerr !== "fail") lines.push(`    onerr ${a.onerr};`);
      if (a.apply) lines.push(`    apply ${policyValue(a.apply)};`);
      if (a.quiet) lines.push("    quiet;");
      lines.push("  }");
    }
    lines.push("}", "");
  }

  if (h.mail) {
    lines.push("mail {");
    for (const c of h.mail.comments) comment(lines, "  ", c);
    for (const s of h.mail.settings) {
      for (const c of s.comments) comment(lines, "  ", c);
      lines.push(`  ${s.text}${s.text.endsWith("}") ? "" : ";"}`);
    }
    lines.push("}", "");
  }
  return lines.join("\n");
}
