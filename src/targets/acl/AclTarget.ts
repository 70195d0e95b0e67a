import { PLATFORMS } from "../../check/model.js";
import { type EmitContext, FILE_MODE, type OutputFile, type Target } from "../Target.js";

/**
 * The list file of every access list: the header, then one entry per line in
 * policy order. pam_listfile has no comment syntax: it reads the header as an
 * entry, which no user, group, host, terminal or shell can equal (it holds
 * spaces and starts with "#").
 */
export const AclTarget: Target = {
  name: "acl",
  platforms: PLATFORMS,
  emit(ctx: EmitContext): OutputFile[] {
    const out: OutputFile[] = [];
    for (const service of ctx.model.services) {
      for (const acl of service.acls) {
        const lines = new Array<string>(acl.entries.length + 2);
        lines[0] = `# ${ctx.header}`;
        for (let i = 0; i < acl.entries.length; i++) lines[i + 1] = acl.entries.value(i);
        lines[lines.length - 1] = "";
        const content = lines.join("\n");
        out.push({
          path: acl.file.slice(1),
          content,
          mode: FILE_MODE,
          producer: `the access list of service "${service.name}"`,
          origins: [acl.fileSpan],
        });
      }
    }
    return out;
  },
};
