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
import type { ListDef } from "../../syntax/ast.js";
import type { Program } from "../../syntax/load.js";
import type { AccessListRead, Lowered } from "../lowered.js";
import type { MailModel, Model, PlatformName, ServiceModel, UnsafeOverride } from "../model.js";
import { firstOfEach, hostNameReason, hostNameSpan, reportRoles, type Scope, scopes } from "../scopes.js";
import { type ListSharing, ListScope } from "./lists.js";
import { MailLowering } from "./mail.js";
import { PlatformLowering } from "./platform.js";
import { ServiceLowering } from "./services.js";
import { SharedLowering } from "./shared.js";

export { AUTH_OPTIONS, MECHANISMS, tlsPathReason } from "./mail.js";
export { KIND_FOR_ITEM, listFileReason } from "./services.js";

/**
 * Lowers a loaded policy into one model per host: the top level is shared by
 * every host block; without host blocks there is one model, named null.
 * A statement of the top level or of a role is lowered once per distinct
 * resolution of the lists it names and its result shared by the hosts
 * (shared.ts); findings about shared statements are reported once. A host block named like an earlier one is left out (UniqueHostRule reports
 * it); one with an invalid name is reported here and left out.
 */
export function lower(program: Program, diagnostics: DiagnosticBag, models: readonly Scope[] = scopes(program)): Lowered[] {
  return [...lowerEach(program, diagnostics, models)];
}

export interface LowerEachOptions {
  /** Told of each service and access list a second host is given (see lowerEach). */
  shared?: (object: object) => void;
  /** false: leave the checks of host names and roles out (the main thread makes them once for a worker's share of the hosts). */
  programChecks?: boolean;
  /** How many models the program has, when `models` is a share of them (sharing is on when more than one). */
  hosts?: number;
}

/**
 * lower() host by host: each host's Lowered is made when asked for, so a
 * caller that is done with a host before asking for the next holds one
 * host's model at a time (`check`). `shared`, when given, is told of every
 * model object handed to a second host (a shared lowering's result taken
 * from the cache): the only objects a later host will hold again.
 */
export function* lowerEach(
  program: Program,
  diagnostics: DiagnosticBag,
  models: readonly Scope[] = scopes(program),
  options: LowerEachOptions = {},
): Generator<Lowered> {
  const { shared, programChecks = true, hosts = models.length } = options;
  if (programChecks) {
    for (const { item: h, prior } of firstOfEach(program.hosts, (h) => h.node.name.value)) {
      const reason = prior ? undefined : hostNameReason(h);
      if (reason) diagnostics.report(Messages.InvalidValue, hostNameSpan(h), { value: h.node.name.value, what: "host name", reason });
    }
    reportRoles(program, diagnostics);
  }
  const statements = new Set<object>();
  for (const { node } of program.shared) statements.add(node);
  for (const { node } of program.roles) for (const item of node.items) statements.add(item);
  // One model shares with no other: no keys to make.
  const sharing = new SharedLowering(hosts > 1 ? statements : null, shared);
  for (const scope of models) yield run(scope, program.root, diagnostics, sharing);
}

/**
 * Lowers the statements of one model: the shared top level plus, with hosts,
 * one host block. Of lists and services of one name, and of platform
 * statements and mail blocks, only the first is lowered: the rules
 * UniqueListRule, UniqueServiceRule, SinglePlatformRule and SingleMailRule
 * report the others.
 */
function run({ host, items }: Scope, root: SourceFile, diagnostics: DiagnosticBag, sharing: SharedLowering): Lowered {
  let listSharing: ListSharing | undefined;
  if (sharing.enabled) {
    const defs: ListDef[] = [];
    const defined = new Set<string>();
    for (const { node: s } of items) {
      if (s.kind === "ListDef" && !defined.has(s.name.value)) (defined.add(s.name.value), defs.push(s));
    }
    listSharing = sharing.scope(defs);
  }
  const lists = new ListScope(diagnostics, listSharing);
  const keyOf = (s: Parameters<SharedLowering["key"]>[0]) =>
    listSharing ? sharing.key(s, listSharing.names, (name) => lists.resolutionOf(name)) : null;
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
          const key = keyOf(s);
          let done = sharing.get(key);
          if (done?.kind !== "Platform") {
            const named = new PlatformLowering(file, lists, overrides, diagnostics).platform(s);
            sharing.set(key, (done = { kind: "Platform", named, overrides: [] }));
          }
          if (done.named) ({ platform, release } = done.named);
        }
        break;
      case "Service": {
        if (serviceNames.has(s.name.value)) break;
        serviceNames.add(s.name.value);
        const key = keyOf(s);
        let read = sharing.get(key);
        if (read?.kind !== "Service") {
          const own: UnsafeOverride[] = [];
          read = { kind: "Service", ...new ServiceLowering(file, lists, own, diagnostics).service(s), overrides: own };
          sharing.set(key, read);
        }
        overrides.push(...read.overrides);
        accessLists.push(...read.accessLists);
        if (read.service) services.push(read.service);
        break;
      }
      case "Mail":
        if (mailSeen) break;
        mailSeen = true;
        {
          const key = keyOf(s);
          let read = sharing.get(key);
          if (read?.kind !== "Mail") {
            const own: UnsafeOverride[] = [];
            read = { kind: "Mail", mail: new MailLowering(file, lists, own, diagnostics).mail(s), overrides: own };
            sharing.set(key, read);
          }
          overrides.push(...read.overrides);
          mail = read.mail;
        }
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
