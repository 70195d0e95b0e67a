import type { AclModel, ServiceModel } from "../../check/model.js";
import { PLATFORMS } from "../../check/model.js";
import { type EmitContext, FILE_MODE, type OutputFile, type Target } from "../Target.js";

/** The pam_listfile line for one access list. */
export function listfileLine(acl: AclModel): string {
  let line = `account required pam_listfile.so item=${acl.item} sense=${acl.sense} file=${acl.file} onerr=${acl.onerr}`;
  if (acl.apply) line += ` apply=${acl.apply}`;
  if (acl.quiet) line += " quiet";
  return line;
}

/** The lines of a custom stack, with the access lists at `account acls;` or before the first account line. */
function customStack(service: ServiceModel, acls: string[]): string {
  const out: string[] = [];
  let placed = false;
  for (const entry of service.stack!) {
    if (entry.kind === "acls" || (!placed && entry.type.replace(/^-/, "") === "account")) {
      if (!placed) out.push(...acls);
      placed = true;
      if (entry.kind === "acls") continue;
    }
    if (entry.kind === "line") out.push([entry.type, entry.control, entry.module, ...entry.args].join(" "));
  }
  if (!placed) out.push(...acls);
  return out.join("\n");
}

/** /etc/pam.d/SERVICE for every service: the platform template, or the policy's own stack. */
export const PamTarget: Target = {
  name: "pam",
  platforms: PLATFORMS,
  emit(ctx: EmitContext): OutputFile[] {
    const out: OutputFile[] = [];
    for (const service of ctx.model.services) {
      const acls = service.acls.map(listfileLine);
      const vars = {
        header: ctx.header,
        service: service.name,
        pam_service: service.pamService,
        acls: acls.join("\n"),
        stack: "",
      };
      const content = service.stack
        ? ctx.templates.render("pam.d/custom", { ...vars, stack: customStack(service, acls) }, ["stack"])
        : ctx.templates.render(`pam.d/${service.template}`, vars, ["acls"]);
      if (content === undefined) continue;
      out.push({
        path: `etc/pam.d/${service.pamService}`,
        content,
        mode: FILE_MODE,
        producer: `service "${service.name}"`,
        origins: [service.span],
      });
    }
    return out;
  },
};
