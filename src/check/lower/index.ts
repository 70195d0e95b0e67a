/**
 * Lowering: AST -> Model. Resolves list names (lists.ts), reads each block's
 * settings against its schema and validates every value's shape
 * (services.ts, mail.ts, platform.ts). Each block is lowered by an object
 * fixed to the file it is in (block.ts), so every span names its own file.
 * Invariants that span the whole model are the rules in rules/.
 */
import type { DiagnosticBag, Span } from "../../diagnostics/diagnostic.js";
import { Messages } from "../../diagnostics/messages.js";
import type { SourceFile } from "../../diagnostics/source.js";
import type { Located, Program } from "../../syntax/load.js";
import type { HostItem, Mail, Service, Word } from "../../syntax/ast.js";
import type { Build, MailModel, Model, PlatformName, ServiceModel, UnsafeOverride } from "../model.js";
import * as v from "../values.js";
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
 */
export function lower(program: Program, diagnostics: DiagnosticBag): Build {
  if (program.hosts.length === 0) {
    const model = run(program.shared, program.root, null, diagnostics);
    return { hosts: model ? [{ name: null, model }] : [] };
  }
  const build: Build = { hosts: [] };
  const seen = new Map<string, Located<{ name: Word }>>();
  for (const h of program.hosts) {
    const name = h.node.name.value;
    const prior = seen.get(name);
    if (prior) {
      diagnostics.report(Messages.DuplicateHost, { file: h.file, ...h.node.name.loc }, { name }, [
        { message: "First defined here.", span: { file: prior.file, ...prior.node.name.loc } },
      ]);
      continue;
    }
    seen.set(name, { file: h.file, node: h.node });
    const reason = v.simpleNameReason(name, "host name");
    if (reason) {
      diagnostics.report(Messages.InvalidValue, { file: h.file, ...h.node.name.loc }, { value: name, what: "host name", reason });
      continue;
    }
    const items = [...program.shared, ...h.node.items.map((node) => ({ file: h.file, node }))];
    const model = run(items, program.root, { name, span: { file: h.file, ...h.node.name.loc } }, diagnostics);
    if (model) build.hosts.push({ name, model });
  }
  return build;
}

/** Lowers the statements of one model: the shared top level plus, with hosts, one host block. */
function run(
  items: Located<HostItem>[],
  root: SourceFile,
  host: { name: string; span: Span } | null,
  diagnostics: DiagnosticBag,
): Model | null {
  const lists = new ListScope(diagnostics);
  const overrides: UnsafeOverride[] = [];
  let platform: PlatformName | null = null;
  let platformSeen: Word | null = null;
  const services: ServiceModel[] = [];
  const serviceNames = new Map<string, Service>();
  let mail: MailModel | null = null;
  let mailSeen: Mail | null = null;

  for (const { file, node: s } of items) {
    if (s.kind !== "ListDef") continue;
    const prior = lists.define(file, s);
    if (prior) {
      diagnostics.report(Messages.DuplicateList, { file, ...s.name.loc }, { name: s.name.value }, [
        { message: "First defined here.", span: { file: prior.file, ...prior.def.name.loc } },
      ]);
    }
  }
  lists.resolveAll();

  const spans = new Map<object, SourceFile>();
  for (const { file, node: s } of items) {
    spans.set(s, file);
    switch (s.kind) {
      case "Platform":
        if (platformSeen) {
          diagnostics.report(Messages.DuplicatePlatform, { file, ...s.loc }, {}, [
            { message: "First set here.", span: { file: spans.get(platformSeen)!, ...platformSeen.loc } },
          ]);
          break;
        }
        platformSeen = s.name;
        spans.set(s.name, file);
        platform = new PlatformLowering(file, lists, overrides, diagnostics).platform(s);
        break;
      case "Service": {
        const prior = serviceNames.get(s.name.value);
        if (prior) {
          diagnostics.report(Messages.DuplicateService, { file, ...s.name.loc }, { name: s.name.value }, [
            { message: "First defined here.", span: { file: spans.get(prior)!, ...prior.name.loc } },
          ]);
          break;
        }
        serviceNames.set(s.name.value, s);
        const svc = new ServiceLowering(file, lists, overrides, diagnostics).service(s);
        if (svc) services.push(svc);
        break;
      }
      case "Mail":
        if (mailSeen) {
          diagnostics.report(Messages.DuplicateMail, { file, start: s.loc.start, end: s.loc.start + 4 }, {}, [
            { message: "First mail block here.", span: { file: spans.get(mailSeen)!, start: mailSeen.loc.start, end: mailSeen.loc.start + 4 } },
          ]);
          break;
        }
        mailSeen = s;
        mail = new MailLowering(file, lists, overrides, diagnostics).mail(s);
        break;
      case "ListDef":
        break;
    }
  }
  if (!platformSeen && (items.length > 0 || host)) {
    diagnostics.report(Messages.MissingPlatform, host ? host.span : { file: root, start: 0, end: 0 });
  }
  if (!platform) return null;
  return { source: root, host: host?.name ?? null, platform, services, mail, overrides };
}
