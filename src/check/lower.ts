/**
 * Lowering: AST -> Model. Resolves list names, reads each block's settings
 * against its schema, validates every value's shape and reports what is
 * wrong. Invariants that span the whole model are the rules in rules/.
 */
import type { DiagnosticBag, Span } from "../diagnostics/diagnostic.js";
import { Messages } from "../diagnostics/messages.js";
import type { SourceFile } from "../diagnostics/source.js";
import type { Located, Program } from "../syntax/load.js";
import type {
  Acl,
  Bracket,
  HostItem,
  ListDef,
  ListKind,
  Listen,
  Mail,
  Service,
  Setting,
  Stack,
  StackArg,
  Value,
  Word,
} from "../syntax/ast.js";
import { eachRef, eachValue, valueCount } from "../syntax/build.js";
import { describeChar, firstHidden } from "../syntax/chars.js";
import { lookAlike } from "./confusables.js";
import {
  type AclModel,
  type Entry,
  EntryList,
  ITEMS,
  type Item,
  type ListenModel,
  type Build,
  type MailModel,
  type Model,
  OVERRIDABLE,
  type UnsafeOverride,
  type PamStackEntry,
  type PamType,
  PLATFORMS,
  RELEASES,
  type PlatformName,
  type SaslBackend,
  type TlsModel,
  type ServiceModel,
} from "./model.js";
import { readSettings, type ReadSetting, type Schema } from "./settings.js";
import { bracketControlReason, KEYWORD_CONTROLS } from "./pamControl.js";
import { closest, NearNames } from "./suggest.js";
import { repeats } from "./unique.js";
import * as v from "./values.js";

/** The list kind whose values an access list item matches. */
export const KIND_FOR_ITEM: Record<Item, ListKind> = {
  user: "users",
  ruser: "users",
  group: "groups",
  rhost: "hosts",
  tty: "ttys",
  shell: "shells",
};

const KIND_NOUN: Record<ListKind, string> = {
  users: "user name",
  groups: "group name",
  hosts: "host",
  networks: "network",
  ttys: "terminal",
  shells: "login shell",
  domains: "domain",
};

const KIND_REASON: Record<ListKind, (s: string) => string | undefined> = {
  users: v.userReason,
  groups: v.groupReason,
  hosts: v.hostReason,
  networks: v.networkReason,
  ttys: v.ttyReason,
  shells: v.shellReason,
  domains: v.domainReason,
};

/** Files other PAM services include: a policy must never replace them. */
const SHARED_PAM_FILES = new Set([
  "other",
  "common-auth",
  "common-account",
  "common-password",
  "common-session",
  "common-session-noninteractive",
  "system-auth",
  "password-auth",
  "smartcard-auth",
  "fingerprint-auth",
  "postlogin",
  "config-util",
]);

export const MECHANISMS = [
  "PLAIN",
  "LOGIN",
  "CRAM-MD5",
  "DIGEST-MD5",
  "SCRAM-SHA-1",
  "SCRAM-SHA-256",
  "GSSAPI",
  "EXTERNAL",
  "NTLM",
  "OTP",
  "ANONYMOUS",
] as const;

/** confAUTH_OPTIONS flags by their policy names. */
export const AUTH_OPTIONS: Record<string, string> = {
  noplaintext: "p",
  noanonymous: "y",
  nodictionary: "d",
  noactive: "a",
  forwardsecrecy: "f",
  mutual: "m",
};

/** DAEMON_OPTIONS M= modifiers sendmail knows. */
const LISTEN_MODIFIERS = "aAbcCEfhOsSu";

const SERVICE_SCHEMA: Schema = {
  pam: { arity: "one", expected: "the PAM service name, e.g. pam login;" },
  template: { arity: "one", expected: "a template name under templates/<platform>/pam.d, e.g. template local;" },
};
const ACL_SCHEMA: Schema = {
  onerr: { arity: "one", expected: "succeed or fail" },
  apply: { arity: "one", expected: "a user name or @group" },
  entries: { arity: "many", lists: true, expected: "a comma-separated list of values and $list references" },
  quiet: { arity: "none", expected: "no value: quiet;" },
};
/** The longest `greet pause`: 5 minutes, sendmail's own limit for the SMTP greeting (RFC 5321 4.5.3.2.1). */
const GREET_PAUSE_MAX_MS = 300_000;

const MAIL_SCHEMA: Schema = {
  domain: { arity: "many", lists: true, expected: "the mail domains this host receives for" },
  listen: { arity: "one", repeat: true, expected: "a port or service name, e.g. listen smtp;" },
  "auth mechanisms": { arity: "many", expected: "SASL mechanism names" },
  "auth backend": { arity: "one", expected: "sasldb or saslauthd" },
  "auth options": { arity: "many", expected: `option names: ${Object.keys(AUTH_OPTIONS).join(", ")}` },
  "relay authenticated": { arity: "any", expected: "optionally the trusted mechanisms" },
  "relay domains": { arity: "many", lists: true, expected: "domain names or $domains lists" },
  "relay networks": { arity: "many", lists: true, expected: "networks or $networks lists" },
  "tls certificate": { arity: "one", expected: "the PEM certificate's absolute path" },
  "tls key": { arity: "one", expected: "the private key's absolute path" },
  "tls ca": { arity: "one", expected: "the CA certificates file's absolute path" },
  "tls ca-path": { arity: "one", expected: "the CA certificates folder's absolute path" },
  accounts: { arity: "many", lists: true, expected: "SASL account names" },
  "greet pause": { arity: "one", expected: "the milliseconds sendmail waits before its greeting, e.g. 1000" },
};
const LISTEN_SCHEMA: Schema = {
  address: { arity: "one", expected: "an IPv4 or IPv6 address" },
  family: { arity: "one", expected: "inet or inet6" },
  name: { arity: "one", expected: "a socket name such as MTA" },
  modifiers: { arity: "many", expected: `modifier letters from ${LISTEN_MODIFIERS}` },
};

interface ListInfo {
  def: ListDef;
  file: SourceFile;
  resolved: EntryList | null;
  resolving: boolean;
}

/**
 * Lowers a loaded policy into one model per host: the top level is shared by
 * every host block; without host blocks there is one model, named null.
 * Findings about shared statements are reported once (the bag drops repeats).
 */
export function lower(program: Program, diagnostics: DiagnosticBag): Build {
  if (program.hosts.length === 0) {
    const model = new Lowering(program.shared, program.root, null, diagnostics).run();
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
    const model = new Lowering(items, program.root, { name, span: { file: h.file, ...h.node.name.loc } }, diagnostics).run();
    if (model) build.hosts.push({ name, model });
  }
  return build;
}

class Lowering {
  private readonly lists = new Map<string, ListInfo>();
  private readonly overrides: UnsafeOverride[] = [];
  /** The file of the statement being lowered: every span is in it. */
  private file: SourceFile;

  constructor(
    private readonly items: Located<HostItem>[],
    private readonly root: SourceFile,
    private readonly host: { name: string; span: Span } | null,
    private readonly diagnostics: DiagnosticBag,
  ) {
    this.file = root;
  }

  private span(loc: { start: number; end: number }): Span {
    return { file: this.file, start: loc.start, end: loc.end };
  }

  run(): Model | null {
    let platform: PlatformName | null = null;
    let release = "";
    let platformSeen: Word | null = null;
    const services: ServiceModel[] = [];
    const serviceNames = new Map<string, Service>();
    let mail: MailModel | null = null;
    let mailSeen: Mail | null = null;

    for (const { file, node: s } of this.items) {
      if (s.kind !== "ListDef") continue;
      this.file = file;
      const prior = this.lists.get(s.name.value);
      if (prior) {
        this.diagnostics.report(Messages.DuplicateList, this.span(s.name.loc), { name: s.name.value }, [
          { message: "First defined here.", span: { file: prior.file, ...prior.def.name.loc } },
        ]);
        continue;
      }
      this.lists.set(s.name.value, { def: s, file, resolved: null, resolving: false });
    }
    for (const info of this.lists.values()) this.resolveList(info);

    const spans = new Map<object, SourceFile>();
    for (const { file, node: s } of this.items) {
      this.file = file;
      spans.set(s, file);
      switch (s.kind) {
        case "Platform":
          if (platformSeen) {
            this.diagnostics.report(Messages.DuplicatePlatform, this.span(s.loc), {}, [
              { message: "First set here.", span: { file: spans.get(platformSeen)!, ...platformSeen.loc } },
            ]);
            break;
          }
          platformSeen = s.name;
          spans.set(s.name, file);
          if ((PLATFORMS as readonly string[]).includes(s.name.value)) {
            platform = s.name.value as PlatformName;
            release = RELEASES[platform][0]!;
          } else if (/^[a-z]+-/.test(s.name.value) && (PLATFORMS as readonly string[]).includes(s.name.value.replace(/-.*/, ""))) {
            // `debian-12`: the platform and its release, one bare word.
            const name = s.name.value.replace(/-.*/, "") as PlatformName;
            const wanted = s.name.value.slice(name.length + 1);
            if (RELEASES[name].includes(wanted)) {
              platform = name;
              release = wanted;
            } else {
              this.diagnostics.report(Messages.UnknownRelease, this.span(s.name.loc), {
                name,
                release: wanted,
                expected: RELEASES[name].map((r) => `${name}-${r}`).join(", "),
              });
            }
          } else {
            this.diagnostics.report(Messages.UnknownPlatform, this.span(s.name.loc), {
              name: s.name.value,
              expected: PLATFORMS.join(", "),
            });
          }
          break;
        case "Service": {
          const prior = serviceNames.get(s.name.value);
          if (prior) {
            this.diagnostics.report(Messages.DuplicateService, this.span(s.name.loc), { name: s.name.value }, [
              { message: "First defined here.", span: { file: spans.get(prior)!, ...prior.name.loc } },
            ]);
            break;
          }
          serviceNames.set(s.name.value, s);
          const svc = this.service(s);
          if (svc) services.push(svc);
          break;
        }
        case "Mail":
          if (mailSeen) {
            this.diagnostics.report(Messages.DuplicateMail, this.span({ start: s.loc.start, end: s.loc.start + 4 }), {}, [
              { message: "First mail block here.", span: { file: spans.get(mailSeen)!, start: mailSeen.loc.start, end: mailSeen.loc.start + 4 } },
            ]);
            break;
          }
          mailSeen = s;
          mail = this.mail(s);
          break;
        case "ListDef":
          break;
      }
    }
    if (!platformSeen && (this.items.length > 0 || this.host)) {
      this.diagnostics.report(Messages.MissingPlatform, this.host ? this.host.span : { file: this.root, start: 0, end: 0 });
    }
    if (!platform) return null;
    return { source: this.root, host: this.host?.name ?? null, platform, release, services, mail, overrides: this.overrides };
  }

  /**
   * Resolves a list and every list it references, depth first with an
   * explicit stack rather than recursion, so no policy can choose the call
   * depth: a chain of 100,000 lists takes as long as its entries, no more.
   * A list is expanded once all the lists it names are; a reference back into
   * the stack is a cycle (PC2009), reported once and expanded as empty.
   */
  private resolveList(start: ListInfo): EntryList {
    if (start.resolved) return start.resolved;
    const stack: { info: ListInfo; deps: ListInfo[]; next: number }[] = [];
    const depth = new Map<ListInfo, number>();
    const enter = (info: ListInfo): void => {
      info.resolving = true;
      depth.set(info, stack.length);
      const deps: ListInfo[] = [];
      eachRef(info.def, (name) => {
        const dep = this.lists.get(name);
        if (dep && dep.def.listKind === info.def.listKind) deps.push(dep);
      });
      stack.push({ info, deps, next: 0 });
    };
    enter(start);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (top.next < top.deps.length) {
        const dep = top.deps[top.next++]!;
        if (dep.resolved) continue;
        if (dep.resolving) {
          // The path, cut in the middle when long: a policy may make many
          // cycles through a deep chain, and each report must cost O(1).
          const from = depth.get(dep)!;
          const names = (a: number, b: number) => stack.slice(a, b).map((e) => e.info.def.name.value);
          const name = dep.def.name.value;
          const path = stack.length - from <= 8 ? names(from, stack.length) : [...names(from, from + 4), "...", ...names(stack.length - 3, stack.length)];
          this.diagnostics.report(Messages.ListCycle, { file: dep.file, ...dep.def.name.loc }, { name, path: [...path, name].join(" -> ") });
          continue;
        }
        enter(dep);
        continue;
      }
      stack.pop();
      const info = top.info;
      const outer = this.file;
      this.file = info.file;
      info.resolved = this.expand(info.def, info.def.listKind, `list "${info.def.name.value}"`);
      this.file = outer;
      info.resolving = false;
    }
    return start.resolved!;
  }

  /** List names of each kind for suggestions (PC2006, PC2011), made once. */
  private namesByKind: Map<ListKind, NearNames> | null = null;

  private listNames(kind: ListKind): NearNames | null {
    if (!this.namesByKind) {
      const names = new Map<ListKind, string[]>();
      for (const l of this.lists.values()) {
        const list = names.get(l.def.listKind) ?? [];
        list.push(l.def.name.value);
        names.set(l.def.listKind, list);
      }
      this.namesByKind = new Map([...names].map(([k, list]) => [k, new NearNames(list)]));
    }
    return this.namesByKind.get(kind) ?? null;
  }

  /**
   * Turns values into entries of one kind: a `$name` reference is replaced by
   * that list's entries; a bare word or a string is a literal, checked for
   * the kind's shape and written in its canonical form. A bare word that is
   * the name of a list of this kind is refused as ambiguous (PC2012): it is
   * how a policy written before `$` named lists. Duplicates (after
   * canonicalisation) are dropped, keeping the first.
   */
  private expand(source: { values: Value[] }, kind: ListKind, context: string): EntryList {
    // A list taken whole as the first value is shared, not copied, until
    // something is added after it.
    let shared: EntryList | null = null;
    let own: EntryList | null = null;
    const target = (): EntryList => {
      if (!own) {
        own = new EntryList();
        // Room for the shared list and one entry per value (a list reference
        // among them grows it once more).
        own.reserve((shared?.length ?? 0) + valueCount(source));
        if (shared) own.append(shared);
        shared = null;
      }
      return own;
    };
    let listRefs = 0;
    const literals = new Set<string>();
    let literalCount = 0;
    const typoCandidates = this.listNames(kind);
    eachValue(source, (value) => {
      if (value.kind === "Ref") {
        const list = this.lists.get(value.name);
        if (!list) {
          const guess = typoCandidates?.closest(value.name);
          this.diagnostics.report(Messages.UnknownListRef, this.span(value.loc), {
            kind,
            name: value.name,
            suggestion: guess ? ` (did you mean $${guess}?)` : "",
          });
          return;
        }
        if (list.def.listKind !== kind) {
          this.diagnostics.report(Messages.ListKindMismatch, this.span(value.loc), {
            name: value.name,
            kind: list.def.listKind,
            context,
            expected: kind,
          });
          return;
        }
        // Inside a cycle the list is still being resolved: PC2009 said so, and it counts as empty.
        const other = list.resolved ?? (list.resolving ? new EntryList() : this.resolveList(list));
        if (!own && !shared) shared = other;
        else target().append(other);
        listRefs++;
        return;
      }
      if (value.kind === "Word") {
        const list = this.lists.get(value.value);
        if (list && list.def.listKind === kind) {
          this.diagnostics.report(Messages.AmbiguousLiteral, this.span(value.loc), { value: value.value, kind });
          return;
        }
      }
      const canonical = this.literalOk(value, kind);
      if (canonical === null) return;
      if (typoCandidates && value.kind === "Word" && value.value.length >= 4) {
        const guess = typoCandidates.closest(value.value);
        if (guess) {
          this.diagnostics.report(Messages.LikelyTypo, this.span(value.loc), {
            value: value.value,
            what: KIND_NOUN[kind],
            name: guess,
          });
        }
      }
      target().push(this.file, value.loc.start, value.loc.end, value.kind === "Word" && canonical === value.value ? null : canonical);
      if (++literalCount <= 64) literals.add(canonical);
    });
    const entries: EntryList = own ?? shared ?? new EntryList();
    // A list's own entries are already free of repeats: with one list and a
    // few literals, a repeat must involve a literal, so only those are tracked.
    if (listRefs === 1 && literalCount === 0) return entries;
    let drop: Uint8Array | null;
    if (listRefs <= 1 && literalCount <= 64) {
      drop = null;
      const emitted = new Set<string>();
      for (let i = 0; i < entries.length; i++) {
        const v = entries.value(i);
        if (!literals.has(v)) continue;
        if (emitted.has(v)) (drop ??= new Uint8Array(entries.length))[i] = 1;
        else emitted.add(v);
      }
    } else {
      const list = entries;
      drop = repeats(list.length, (i) => list.value(i), (i) => list.hash(i));
    }
    return drop ? entries.without(drop) : entries;
  }

  /**
   * Checks a literal: what any list file line must be, that it does not pass
   * itself off as another name, then the kind's own shape. Returns the entry
   * as it is written to the list file (its canonical form), or null.
   */
  private literalOk(value: Value, kind: ListKind): string | null {
    const s = value.value;
    // Called for every entry of every list: a span is made only for a report.
    // A bare word is ASCII letters, digits and _ . / : @ + - (the lexer saw to
    // it): only strings can be empty, hold white space, hidden or non-ASCII characters.
    if (value.kind === "Word") {
      if (s.length >= 255) {
        this.diagnostics.report(Messages.EntryTooLong, this.span(value.loc), { bytes: s.length });
        return null;
      }
      return this.shapeOk(s, kind, value);
    }
    if (s === "") {
      this.diagnostics.report(Messages.EmptyEntry, this.span(value.loc));
      return null;
    }
    const hidden = firstHidden(s);
    if (hidden) {
      this.diagnostics.report(Messages.EntryControl, this.span(value.loc), { char: describeChar(hidden.char) });
      return null;
    }
    if (s.trim() !== s) {
      this.diagnostics.report(Messages.EntryWhitespace, this.span(value.loc), { value: s });
      return null;
    }
    const bytes = Buffer.byteLength(s);
    if (bytes >= 255) {
      this.diagnostics.report(Messages.EntryTooLong, this.span(value.loc), { bytes });
      return null;
    }
    if (bytes !== s.length) {
      const look = lookAlike(s);
      if (look?.kind === "compatibility") {
        this.diagnostics.report(Messages.CompatibilityForm, this.span(value.loc), {
          value: s,
          char: describeChar(look.char),
          plain: look.plain,
          normal: look.normal,
        });
        return null;
      }
      if (look?.kind === "mixed") {
        this.diagnostics.report(Messages.MixedScript, this.span(value.loc), { value: s, scripts: look.scripts, skeleton: look.skeleton });
        return null;
      }
      if (look?.kind === "whole") {
        this.diagnostics.report(Messages.LookAlike, this.span(value.loc), { value: s, script: look.scripts, skeleton: look.skeleton });
      }
    }
    return this.shapeOk(s, kind, value);
  }

  /** Checks a literal's shape for its kind; returns its canonical form (hosts and domains), or null. */
  private shapeOk(s: string, kind: ListKind, value: Value): string | null {
    const reason = KIND_REASON[kind](s);
    if (reason) {
      this.diagnostics.report(Messages.InvalidValue, this.span(value.loc), { value: s, what: KIND_NOUN[kind], reason });
      return null;
    }
    if (kind !== "hosts" && kind !== "domains") return s;
    const canonical = kind === "hosts" ? v.canonicalHost(s) : v.canonicalDomain(s);
    if (typeof canonical !== "string") {
      this.diagnostics.report(Messages.InvalidValue, this.span(value.loc), { value: s, what: KIND_NOUN[kind], reason: canonical.reason });
      return null;
    }
    return canonical;
  }

  /**
   * Takes `unsafe CODE "reason";` out of a block's settings and records it as
   * an override scoped to the block; returns the other settings.
   */
  private unsafe(settings: Setting[], scope: { start: number; end: number }): Setting[] {
    const rest: Setting[] = [];
    for (const s of settings) {
      if (s.name.value !== "unsafe") {
        rest.push(s);
        continue;
      }
      const reason = s.values[0];
      if (!s.sub || !(OVERRIDABLE as readonly string[]).includes(s.sub.value) || s.values.length !== 1 || reason?.kind !== "String" || reason.value.trim() === "") {
        this.diagnostics.report(Messages.BadUnsafe, this.span(s.loc), { expected: OVERRIDABLE.join(", ") });
        continue;
      }
      this.overrides.push({ code: s.sub.value, reason: reason.value, scope: this.span(scope), span: this.span(s.loc), used: false });
    }
    return rest;
  }

  private service(s: Service): ServiceModel | null {
    const own = this.unsafe(s.items.filter((i): i is Setting => i.kind === "Setting"), s.loc);
    const settings = readSettings(this.file, own, SERVICE_SCHEMA, `service "${s.name.value}"`, this.diagnostics);
    const pamValue = settings.get("pam")?.[0]?.values[0];
    const pamService = pamValue ? pamValue.value : s.name.value;
    const pamSpan = this.span(pamValue ? pamValue.loc : s.name.loc);
    let ok = true;
    const pamReason = v.simpleNameReason(pamService, "PAM service name");
    if (pamReason) {
      this.diagnostics.report(Messages.InvalidValue, pamSpan, { value: pamService, what: "PAM service name", reason: pamReason });
      ok = false;
    } else if (SHARED_PAM_FILES.has(pamService)) {
      this.diagnostics.report(Messages.InvalidValue, pamSpan, {
        value: pamService,
        what: "PAM service name",
        reason: "other services include /etc/pam.d/" + pamService + ", so a policy must not replace it",
      });
      ok = false;
    }
    const templateValue = settings.get("template")?.[0]?.values[0];
    const template = templateValue ? templateValue.value : "service";
    if (templateValue) {
      const reason = v.simpleNameReason(template, "template name");
      if (reason) {
        this.diagnostics.report(Messages.InvalidValue, this.span(templateValue.loc), { value: template, what: "template name", reason });
        ok = false;
      }
    }
    let stack: PamStackEntry[] | null = null;
    const acls: AclModel[] = [];
    for (const item of s.items) {
      if (item.kind === "Stack") {
        if (stack) {
          this.diagnostics.report(Messages.DuplicateSetting, this.span({ start: item.loc.start, end: item.loc.start + 5 }), {
            name: "stack",
            block: `service "${s.name.value}"`,
          });
          continue;
        }
        stack = this.stack(item);
      } else if (item.kind === "Acl") {
        const acl = this.acl(item, s.name.value);
        if (acl) acls.push(acl);
      }
    }
    if (!ok) return null;
    return { name: s.name.value, pamService, template, templateSet: templateValue !== undefined, stack, acls, span: this.span(s.name.loc) };
  }

  private stack(st: Stack): PamStackEntry[] {
    const out: PamStackEntry[] = [];
    for (const line of st.lines) {
      if (line.kind === "StackAcls") {
        if (line.type.value !== "account" || line.marker.value !== "acls") {
          this.diagnostics.report(Messages.StackMarker, this.span(line.loc));
          continue;
        }
        if (out.some((e) => e.kind === "acls")) {
          // The lists go at one place only: a second marker would be silently ignored.
          this.diagnostics.report(Messages.DuplicateSetting, this.span(line.loc), { name: "account acls", block: "the stack" });
          continue;
        }
        out.push({ kind: "acls", span: this.span(line.loc) });
        continue;
      }
      const type = line.type.value.replace(/^-/, "").toLowerCase();
      if (!["auth", "account", "password", "session"].includes(type)) {
        this.diagnostics.report(Messages.UnknownPamType, this.span(line.type.loc), { value: line.type.value });
        continue;
      }
      const control = this.control(line.control);
      if (control === undefined) continue;
      const args: string[] = [];
      let ok = true;
      for (const arg of line.args) {
        const text = this.pamArg(arg);
        if (text === undefined) ok = false;
        else args.push(text);
      }
      if (line.module.value.includes("#")) ok = false;
      if (!ok) continue;
      out.push({
        kind: "line",
        type: (line.type.value.startsWith("-") ? "-" + type : type) as PamType,
        control,
        module: line.module.value,
        args,
        span: this.span(line.loc),
      });
    }
    return out;
  }

  private control(c: Word | Bracket): string | undefined {
    if (c.kind === "Word") {
      const value = c.value.toLowerCase();
      if ((KEYWORD_CONTROLS as readonly string[]).includes(value)) return value;
      const guess = closest(value, KEYWORD_CONTROLS);
      this.diagnostics.report(Messages.InvalidPamControl, this.span(c.loc), {
        value: c.value,
        reason: `expected required, requisite, sufficient, optional, include, substack or [value=action ...]${guess ? ` (did you mean "${guess}"?)` : ""}`,
      });
      return undefined;
    }
    const inner = c.raw.slice(1, -1).trim();
    const reason = bracketControlReason(inner);
    if (reason !== undefined) {
      this.diagnostics.report(Messages.InvalidPamControl, this.span(c.loc), { value: c.raw, reason });
      return undefined;
    }
    const pairs = inner.split(/\s+/);
    return "[" + pairs.join(" ") + "]";
  }

  /** A module argument as pam.d needs it: one token, `[...]` around white space, never '#'. */
  private pamArg(arg: StackArg): string | undefined {
    let text: string;
    if (arg.kind === "Bracket") text = arg.raw;
    else if (arg.kind === "KeyValue") text = `${arg.key.value}=${arg.value.value}`;
    else text = arg.value;
    const span = this.span(arg.loc);
    if (text === "") {
      // pam.d splits arguments at blanks: an empty one would silently vanish.
      this.diagnostics.report(Messages.InvalidValue, span, { value: text, what: "PAM module argument", reason: "pam.d has no way to write an empty argument" });
      return undefined;
    }
    if (text.includes("#")) {
      this.diagnostics.report(Messages.InvalidValue, span, {
        value: text,
        what: "PAM module argument",
        reason: "pam.d ends the line at '#', even inside an argument",
      });
      return undefined;
    }
    const hidden = firstHidden(text);
    if (hidden) {
      this.diagnostics.report(Messages.EntryControl, span, { char: describeChar(hidden.char) });
      return undefined;
    }
    // pam.d continues a line that ends in a backslash (and "\]" would not
    // close a bracketed argument): refused wherever the argument stands.
    if ((arg.kind === "Bracket" ? text.slice(1, -1) : text).endsWith("\\")) {
      this.diagnostics.report(Messages.PamArgBackslash, span, { value: text });
      return undefined;
    }
    if (arg.kind !== "Bracket" && /[\s\]\[]/.test(text)) {
      text = "[" + text.replace(/\]/g, "\\]") + "]";
    }
    return text;
  }

  private acl(a: Acl, service: string): AclModel | null {
    let ok = true;
    const item = a.item.value as Item;
    if (!(ITEMS as readonly string[]).includes(item)) {
      const guess = closest(a.item.value, ITEMS);
      this.diagnostics.report(Messages.UnknownItem, this.span(a.item.loc), {
        value: a.item.value,
        expected: ITEMS.join(", ") + (guess ? ` (did you mean "${guess}"?)` : ""),
      });
      ok = false;
    }
    const sense = a.sense.value;
    if (sense !== "allow" && sense !== "deny") {
      this.diagnostics.report(Messages.UnknownSense, this.span(a.sense.loc), { value: sense });
      ok = false;
    }
    const file = a.file.value;
    const fileReason = listFileReason(file);
    if (fileReason) {
      this.diagnostics.report(Messages.BadListFilePath, this.span(a.file.loc), { value: file, reason: fileReason });
      ok = false;
    }
    const settings = readSettings(this.file, this.unsafe(a.items, a.loc), ACL_SCHEMA, `the access list for ${file}`, this.diagnostics);
    let onerr: "succeed" | "fail" = "fail";
    const onerrSetting = settings.get("onerr")?.[0];
    if (onerrSetting) {
      const value = onerrSetting.values[0]!.value;
      if (value === "succeed" || value === "fail") onerr = value;
      else {
        this.diagnostics.report(Messages.UnknownOnerr, this.span(onerrSetting.values[0]!.loc), { value });
        ok = false;
      }
    }
    let apply: string | null = null;
    const applySetting = settings.get("apply")?.[0];
    if (applySetting) {
      const value = applySetting.values[0]!;
      // pam_listfile drops apply= whenever the item it reads is PAM_USER, and
      // item=shell reads PAM_USER too (seen on the real module, Linux-PAM 1.5.2).
      if (ok && (item === "user" || item === "ruser" || item === "group" || item === "shell")) {
        this.diagnostics.report(Messages.ApplyIgnored, this.span(applySetting.setting.loc), { item });
        ok = false;
      }
      const name = value.value.startsWith("@") ? value.value.slice(1) : value.value;
      const reason = v.simpleNameReason(name, value.value.startsWith("@") ? "group name" : "user name");
      if (reason) {
        this.diagnostics.report(Messages.InvalidValue, this.span(value.loc), { value: value.value, what: "apply target", reason });
        ok = false;
      }
      apply = value.value;
    }
    const entriesSetting: ReadSetting | undefined = settings.get("entries")?.[0];
    const kind = KIND_FOR_ITEM[item] ?? "users";
    const entries = entriesSetting && ok ? this.expand(entriesSetting.source, kind, `item=${item}`) : new EntryList();
    if (!entriesSetting) {
      if (sense === "allow") this.diagnostics.report(Messages.EmptyAllowList, this.span(a.loc.start === a.loc.end ? a.loc : { start: a.loc.start, end: a.loc.start + 3 }));
      else this.diagnostics.report(Messages.MissingSetting, this.span({ start: a.loc.start, end: a.loc.start + 3 }), { block: `The access list for ${file}`, name: "entries" });
      ok = false;
    }
    if (!ok) return null;
    return {
      service,
      item,
      sense: sense as "allow" | "deny",
      file,
      onerr,
      apply,
      quiet: settings.has("quiet"),
      entries,
      span: this.span({ start: a.loc.start, end: a.file.loc.end }),
      fileSpan: this.span(a.file.loc),
      onerrSpan: onerrSetting ? this.span(onerrSetting.setting.loc) : null,
    };
  }

  private mail(m: Mail): MailModel {
    const own = this.unsafe(m.items.filter((i): i is Setting => i.kind === "Setting"), m.loc);
    const settings = readSettings(this.file, own, MAIL_SCHEMA, "the mail block", this.diagnostics);
    const get = (key: string) => settings.get(key)?.[0];
    const domainSetting = get("domain");
    const localDomains = domainSetting ? canonicalDomains(this.expand(domainSetting.source, "domains", "domain").toArray()) : [];
    if (!domainSetting) {
      this.diagnostics.report(Messages.MissingSetting, this.span({ start: m.loc.start, end: m.loc.start + 4 }), {
        block: "The mail block",
        name: "domain",
      });
    }

    const listen: ListenModel[] = [];
    for (const item of m.items) {
      if (item.kind === "Listen") {
        const l = this.listen(item.port, item);
        if (l) listen.push(l);
      } else if (item.name.value === "listen" && settings.get("listen")?.some((r) => r.setting === item)) {
        const l = this.listen(item.values[0]!, null);
        if (l) listen.push(l);
      }
    }
    if (listen.length === 0) {
      this.diagnostics.report(Messages.MissingListen, this.span({ start: m.loc.start, end: m.loc.start + 4 }));
    }
    const names = new Map<string, ListenModel>();
    for (const l of listen) {
      const prior = names.get(l.name);
      if (prior) {
        this.diagnostics.report(Messages.DuplicateListen, l.span, { name: l.name }, [{ message: "The other socket.", span: prior.span }]);
      } else names.set(l.name, l);
    }

    const mechanisms = this.mechanisms(get("auth mechanisms"));
    const offered = new Set(mechanisms.map((e) => e.value));
    const relayAuth = get("relay authenticated");
    let trusted: Entry[] = [];
    if (relayAuth) {
      if (mechanisms.length === 0) {
        this.diagnostics.report(Messages.RelayAuthWithoutMechanisms, this.span(relayAuth.setting.loc));
      }
      if (relayAuth.values.length === 0) trusted = mechanisms;
      else {
        trusted = this.mechanisms(relayAuth);
        for (const t of trusted) {
          if (!offered.has(t.value)) this.diagnostics.report(Messages.TrustNotOffered, t, { value: t.value });
        }
      }
    }
    let authOptions = "";
    for (const o of get("auth options")?.values ?? []) {
      const letter = AUTH_OPTIONS[o.value];
      if (!letter) {
        this.diagnostics.report(Messages.UnknownAuthOption, this.span(o.loc), {
          value: o.value,
          expected: Object.keys(AUTH_OPTIONS).join(", "),
        });
      } else if (!authOptions.includes(letter)) authOptions += letter;
    }
    let backend: SaslBackend = "sasldb";
    const backendSetting = get("auth backend");
    if (backendSetting) {
      const value = backendSetting.values[0]!;
      if (value.value === "sasldb" || value.value === "saslauthd") backend = value.value;
      else {
        this.diagnostics.report(Messages.InvalidValue, this.span(value.loc), {
          value: value.value,
          what: "SASL backend",
          reason: "expected sasldb (saslpasswd2 accounts) or saslauthd (system passwords)",
        });
      }
    }
    const relayDomainsSetting = get("relay domains");
    const relayDomains = relayDomainsSetting ? canonicalDomains(this.expand(relayDomainsSetting.source, "domains", "relay domains").toArray()) : [];
    const relayNetworks: MailModel["relayNetworks"] = [];
    const networksSetting = get("relay networks");
    if (networksSetting) {
      for (const e of this.expand(networksSetting.source, "networks", "relay networks").toArray()) {
        const net = v.parseIpv4Network(e.value);
        if (typeof net === "string") {
          this.diagnostics.report(Messages.InvalidValue, e, { value: e.value, what: "relay network", reason: net });
          continue;
        }
        for (const prefix of v.octetPrefixes(net)) relayNetworks.push({ prefix, network: e.value, span: e });
      }
    }
    const accountsSetting = get("accounts");
    const accounts = accountsSetting ? this.expand(accountsSetting.source, "users", "accounts").toArray() : [];
    for (const a of accounts) {
      const reason = v.simpleNameReason(a.value, "SASL account name");
      if (reason) this.diagnostics.report(Messages.InvalidValue, a, { value: a.value, what: "SASL account name", reason });
    }
    if (accounts.length > 0 && mechanisms.length === 0 && accountsSetting) {
      this.diagnostics.report(Messages.AccountsWithoutAuth, this.span(accountsSetting.setting.loc));
    }
    const tls = this.tls(get, m);
    const greetPause = this.greetPause(get);
    for (const l of listen) {
      if (l.modifiers.includes("s") && !tls) this.diagnostics.report(Messages.SmtpsWithoutTls, l.span, { name: l.name });
    }
    return {
      localDomains,
      listen,
      mechanisms,
      trusted,
      authOptions,
      backend,
      relayDomains,
      relayNetworks,
      accounts,
      span: this.span({ start: m.loc.start, end: m.loc.start + 4 }),
      relayAuthenticatedSpan: relayAuth ? this.span(relayAuth.setting.loc) : null,
      tls,
      greetPause,
    };
  }

  /** `greet pause MS;`: FEATURE(`greet_pause', MS), a whole number of milliseconds (it reaches m4). */
  private greetPause(get: (key: string) => ReadSetting | undefined): MailModel["greetPause"] {
    const value = get("greet pause")?.values[0];
    if (!value) return null;
    if (!/^(0|[1-9][0-9]{0,5})$/.test(value.value) || Number(value.value) > GREET_PAUSE_MAX_MS) {
      this.diagnostics.report(Messages.BadGreetPause, this.span(value.loc), { value: value.value, max: GREET_PAUSE_MAX_MS });
      return null;
    }
    return { ms: Number(value.value), span: this.span(value.loc) };
  }

  /** `tls certificate/key/ca/ca-path PATH;`: certificate and key go together. */
  private tls(get: (key: string) => ReadSetting | undefined, m: Mail): TlsModel | null {
    const path = (key: string): string | null => {
      const value = get(key)?.values[0];
      if (!value) return null;
      const reason = tlsPathReason(value.value);
      if (reason) {
        this.diagnostics.report(Messages.InvalidValue, this.span(value.loc), { value: value.value, what: `${key} path`, reason });
        return null;
      }
      return value.value;
    };
    const certificate = path("tls certificate");
    const key = path("tls key");
    const ca = path("tls ca");
    const caPath = path("tls ca-path");
    const any = ["tls certificate", "tls key", "tls ca", "tls ca-path"].map(get).find(Boolean);
    if (!any) return null;
    // sendmail starts server TLS only with all four (syslog: "STARTTLS:
    // CACertPath missing", then "CACertFile missing"; seen on 8.17).
    for (const [name, v] of [["tls certificate", certificate], ["tls key", key], ["tls ca", ca], ["tls ca-path", caPath]] as const) {
      if (v === null && !get(name)) {
        this.diagnostics.report(Messages.MissingSetting, this.span(any.setting.loc), { block: "STARTTLS", name });
      }
    }
    if (certificate === null || key === null || ca === null || caPath === null) return null;
    return { certificate, key, ca, caPath, span: this.span({ start: m.loc.start, end: m.loc.start + 4 }) };
  }

  private mechanisms(setting: ReadSetting | undefined): Entry[] {
    const out: Entry[] = [];
    for (const value of setting?.values ?? []) {
      const name = value.value.toUpperCase();
      if (!(MECHANISMS as readonly string[]).includes(name)) {
        this.diagnostics.report(Messages.UnknownMechanism, this.span(value.loc), { value: value.value, expected: MECHANISMS.join(", ") });
        continue;
      }
      if (!out.some((e) => e.value === name)) out.push({ value: name, ...this.span(value.loc) });
    }
    return out;
  }

  private listen(port: Value, block: Listen | null): ListenModel | null {
    let ok = true;
    const p = port.value;
    const portOk = /^[0-9]+$/.test(p) ? Number(p) >= 1 && Number(p) <= 65535 : /^[a-z][a-z0-9-]{0,31}$/.test(p);
    if (!portOk) {
      this.diagnostics.report(Messages.InvalidValue, this.span(port.loc), {
        value: p,
        what: "port",
        reason: "expected a number from 1 to 65535 or a service name such as smtp or submission",
      });
      ok = false;
    }
    const settings = block ? readSettings(this.file, block.items, LISTEN_SCHEMA, `listen ${p}`, this.diagnostics) : new Map<string, ReadSetting[]>();
    const one = (key: string) => settings.get(key)?.[0]?.values[0];
    let address: string | null = null;
    let family: "inet" | "inet6" | null = null;
    const addr = one("address");
    if (addr) {
      if (v.isIpv4(addr.value)) family = "inet";
      else if (v.isIpv6(addr.value)) family = "inet6";
      else {
        this.diagnostics.report(Messages.InvalidValue, this.span(addr.loc), { value: addr.value, what: "listen address", reason: "expected an IPv4 or IPv6 address" });
        ok = false;
      }
      address = addr.value;
    }
    const fam = one("family");
    if (fam) {
      if (fam.value !== "inet" && fam.value !== "inet6") {
        this.diagnostics.report(Messages.InvalidValue, this.span(fam.loc), { value: fam.value, what: "address family", reason: "expected inet or inet6" });
        ok = false;
      } else if (family && family !== fam.value) {
        this.diagnostics.report(Messages.InvalidValue, this.span(fam.loc), { value: fam.value, what: "address family", reason: `the address ${address} is ${family}` });
        ok = false;
      } else family = fam.value;
    }
    const nameValue = one("name");
    let name = nameValue ? nameValue.value : defaultListenName(p);
    if (nameValue && !/^[A-Za-z][A-Za-z0-9_-]{0,31}$/.test(name)) {
      this.diagnostics.report(Messages.InvalidValue, this.span(nameValue.loc), { value: name, what: "socket name", reason: "expected letters, digits, '_' and '-'" });
      ok = false;
    }
    let modifiers = "";
    const modifiersSetting = settings.get("modifiers")?.[0];
    for (const m of modifiersSetting?.values ?? []) {
      const bad = [...m.value].find((c) => !LISTEN_MODIFIERS.includes(c));
      if (bad !== undefined || m.kind !== "Word") {
        this.diagnostics.report(Messages.InvalidValue, this.span(m.loc), {
          value: m.value,
          what: "listen modifier",
          reason: `modifiers are letters from ${LISTEN_MODIFIERS}`,
        });
        ok = false;
        continue;
      }
      for (const c of m.value) if (!modifiers.includes(c)) modifiers += c;
    }
    // Port 465 is SMTPS (RFC 8314): clients start TLS at once. Without sendmail's
    // modifier s the socket speaks plain text there, so s is the default and
    // explicit modifiers without it are refused.
    if (SMTPS_PORTS.has(p) && !modifiers.includes("s")) {
      if (modifiersSetting) {
        // Reported, but the socket is kept: "no listen" (PC3018) would be noise.
        this.diagnostics.report(Messages.SmtpsWithoutModifier, this.span(modifiersSetting.setting.loc), { port: p });
      } else modifiers += "s";
    }
    if (!ok) return null;
    return { port: p, address, family, name, modifiers, span: this.span(block ? { start: block.loc.start, end: port.loc.end } : port.loc) };
  }
}

/** Port 465 by number and by its names in /etc/services (submissions, with aliases smtps, ssmtp, urd). */
const SMTPS_PORTS = new Set(["465", "smtps", "submissions", "ssmtp", "urd"]);

function defaultListenName(port: string): string {
  if (port === "smtp" || port === "25") return "MTA";
  if (port === "submission" || port === "587") return "MSA";
  if (SMTPS_PORTS.has(port)) return "SMTPS";
  return `MTA-${port}`;
}

/**
 * Domains as sendmail compares them: without a trailing dot (sendmail never
 * matches "example.com." in local-host-names or the access map) and in lower
 * case (it compares without case; the SASL realm is the first one); the
 * first of two that are then equal is kept.
 */
function canonicalDomains(entries: Entry[]): Entry[] {
  const seen = new Set<string>();
  const out: Entry[] = [];
  for (const e of entries) {
    const value = e.value.replace(/\.$/, "").toLowerCase();
    if (seen.has(value)) continue;
    seen.add(value);
    out.push(value === e.value ? e : { ...e, value });
  }
  return out;
}

/** Why a TLS file path is unusable: it goes into the .mc, so only plain path characters. */
export function tlsPathReason(path: string): string | undefined {
  if (!path.startsWith("/")) return "it is not an absolute path";
  if (path.split("/").some((p) => p === ".." || p === ".")) return 'it must not contain "." or ".." components';
  if (!/^[A-Za-z0-9_.\/-]+$/.test(path)) return "it may hold only letters, digits, '_', '.', '-' and '/'";
  return undefined;
}

/** Why a list file path is unusable, or undefined. */
export function listFileReason(path: string): string | undefined {
  if (!path.startsWith("/")) return "is not an absolute path";
  if (path.split("/").some((p) => p === ".." || p === ".")) return 'must not contain "." or ".." components';
  if (path.endsWith("/")) return "names a directory";
  if (/[\s#\]\[]/.test(path)) return "has white space, '#' or brackets, which a pam.d argument cannot carry";
  const hidden = firstHidden(path);
  if (hidden) return `has ${hidden.cls.description}`;
  if (path.includes("//")) return 'has an empty component ("//")';
  if (path.startsWith("/etc/pam.d/")) return "is inside /etc/pam.d, where PAM would read it as a service file";
  return undefined;
}
