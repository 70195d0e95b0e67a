import type { Change } from "./tree.js";

/**
 * A unified diff of changes, git style: `a/` is what is on disk, `b/` what
 * the policy produces. The diff library is loaded only here, so commands
 * that print no diff never load it.
 */
export async function renderPatch(changes: Change[], names: { a: string; b: string } = { a: "a", b: "b" }): Promise<string> {
  return (await renderPatches(changes, names)).join("");
}

/** The patch of each change on its own (the `patch` field of a change in the JSON report). */
export async function renderPatches(changes: Change[], names: { a: string; b: string } = { a: "a", b: "b" }): Promise<string[]> {
  const { createTwoFilesPatch } = await import("diff");
  const patches: string[] = [];
  for (const c of changes) {
    let out = "";
    const a = `${names.a}/${c.path}`;
    const b = `${names.b}/${c.path}`;
    out += `diff ${a} ${b}\n`;
    if (c.kind === "add") out += `new file mode 100${c.modeAfter!.toString(8)}\n`;
    if (c.kind === "remove") out += `deleted file mode 100${c.modeBefore!.toString(8)}\n`;
    if (c.modeBefore !== undefined && c.modeAfter !== undefined && c.modeBefore !== c.modeAfter) {
      out += `old mode 100${c.modeBefore.toString(8)}\nnew mode 100${c.modeAfter.toString(8)}\n`;
    }
    if (c.ownerBefore !== undefined) out += `old owner ${c.ownerBefore}\nnew owner ${c.ownerAfter}\n`;
    if (c.kind === "mode" || c.kind === "owner") {
      patches.push(out);
      continue;
    }
    const patch = createTwoFilesPatch(
      c.kind === "add" ? "/dev/null" : a,
      c.kind === "remove" ? "/dev/null" : b,
      c.before ?? "",
      c.after ?? "",
      "",
      "",
      {
        context: 3,
      },
    );
    // Drop the library's "Index:" and "====" lines: git's format starts at ---.
    out += patch.slice(patch.indexOf("---"));
    patches.push(out);
  }
  return patches;
}
