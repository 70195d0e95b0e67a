/**
 * Lowering: AST -> Model. Resolves list names (lists.ts), reads each block's
 * settings against its schema and validates every value's shape
 * (services.ts, mail.ts, platform.ts). Each block is lowered by an object
 * fixed to the file it is in (block.ts), so every span names its own file.
 * Invariants that span the whole model are the rules in rules/.
 */
import type { DiagnosticBag } from "../../diagnostics/diagnostic.js";
import { Messages } from "../../diagnostics/messages.js";
import type { SourceFile } from "../../diagnostics/source.js";
import type { Program } from "../../syntax/load.js";
import type { AccessListRead, Lowered } from "../lowered.js";
import type { MailModel, Model, PlatformName, ServiceModel, UnsafeOverride } from "../model.js";
import { firstOfEach, hostNameReason, hostNameSpan, reportRoles, type Scope, scopes } from "../scopes.js";
import { ListScope } from "./lists.js";
import { MailLowering } from "./mail.js";
import { PlatformLowering } from "./platform.js";
import { ServiceLowering } from "./services.js";

export { AUTH_OPTIONS, MECHANISMS, tlsPathReason } from "./mail.js";
export { KIND_FOR_ITEM, listFileReason } from "./services.js";

/**
 * Lowers a loaded policy into one model per host: the top level is shared by
 * every host block; without host blocks there is one model, named null.
 * Findings about shared statements are reported once (the bag drops repeats).
 * A host block named like an earlier one is left out (UniqueHostRule reports
 * it); one with an invalid name is reported here and left out.
 */
export function lower(program: Program, diagnostics: DiagnosticBag, models: readonly Scope[] = scopes(program)): Lowered[] {
  for (const { item: h, prior } of firstOfEach(program.hosts, (h) => h.node.name.value)) {
    const reason = prior ? undefined : hostNameReason(h);
    if (reason) diagnostics.report(Messages.InvalidValue, hostNameSpan(h), { value: h.node.name.value, what: "host name", reason });
  }
  reportRoles(program, diagnostics);
  return models.map((scope) => run(scope, program.root, diagnostics));
}

/**
 * Lowers the statements of one model: the shared top level plus, with hosts,
 * one host block. Of lists and services of one name, and of platform
 * statements and mail blocks, only the first is lowered: the rules
 * UniqueListRule, UniqueServiceRule, SinglePlatformRule and SingleMailRule
 * report the others.
 */
function run({ host, items }: Scope, root: SourceFile, diagnostics: DiagnosticBag): Lowered {
  const lists = new ListScope(diagnostics);
  const overrides: UnsafeOverride[] = [];
  let platform: PlatformName | null = null;
  let release = "";
  let platformSeen = false;
  const services: ServiceModel[] = [];
  const accessLists: AccessListRead[] = [];
  const serviceNames = new Set<string>();
  let mail: MailModel | null = null;
  let mailSeen = false;

  for (const { file, node: s } of items) {
    if (s.kind === "ListDef") lists.define(file, s);
  }
  lists.resolveAll();

  for (const { file, node: s } of items) {
    switch (s.kind) {
      case "Platform":
        if (platformSeen) break;
        platformSeen = true;
        {
          const named = new PlatformLowering(file, lists, overrides, diagnostics).platform(s);
          if (named) ({ platform, release } = named);
        }
        break;
      case "Service": {
        if (serviceNames.has(s.name.value)) break;
        serviceNames.add(s.name.value);
        const read = new ServiceLowering(file, lists, overrides, diagnostics).service(s);
        accessLists.push(...read.accessLists);
        if (read.service) services.push(read.service);
        break;
      }
      case "Mail":
        if (mailSeen) break;
        mailSeen = true;
        mail = new MailLowering(file, lists, overrides, diagnostics).mail(s);
        break;
      case "ListDef":
        break;
    }
  }
  if (!platformSeen && (items.length > 0 || host)) {
    diagnostics.report(Messages.MissingPlatform, host ? host.span : { file: root, start: 0, end: 0 });
  }
  const model: Model | null = platform && { source: root, host: host?.name ?? null, platform, release, services, mail, overrides };
  return { host: host?.name ?? null, model, mail, accessLists, overrides };
}
