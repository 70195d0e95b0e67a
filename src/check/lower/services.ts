/**
 * Lowering of services: their settings, the PAM stack and access lists,
 * methods of a lowering fixed to the file the service is in.
 */
import { Messages } from "../../diagnostics/messages.js";
import type { Acl, Bracket, ListKind, Service, Setting, Stack, StackArg, Word } from "../../syntax/ast.js";
import { describeChar, firstHidden } from "../../syntax/chars.js";
import type { AccessListRead } from "../lowered.js";
import { type AclModel, EntryList, ITEMS, type Item, type PamStackEntry, type PamType, type ServiceModel } from "../model.js";
import { bracketControlReason, KEYWORD_CONTROLS } from "../pamControl.js";
import { readSettings, type ReadSetting, type Schema } from "../settings.js";
import { closest } from "../suggest.js";
import * as v from "../values.js";
import { BlockLowering } from "./block.js";

/** The list kind whose values an access list item matches. */
export const KIND_FOR_ITEM: Record<Item, ListKind> = {
  user: "users",
  ruser: "users",
  group: "groups",
  rhost: "hosts",
  tty: "ttys",
  shell: "shells",
};

/** Files other PAM services include: a policy must never replace them. */
export const SHARED_PAM_FILES: ReadonlySet<string> = new Set([
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

/** Lowers one service; every span is in the file it was written in. */
export class ServiceLowering extends BlockLowering {
  /** The service (null when it cannot be made) and every access list read in it. */
  service(s: Service): { service: ServiceModel | null; accessLists: AccessListRead[] } {
    const own = this.unsafe(
      s.items.filter((i): i is Setting => i.kind === "Setting"),
      s.loc,
    );
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
    const accessLists: AccessListRead[] = [];
    for (const item of s.items) {
      if (item.kind === "Stack") {
        if (stack) {
          this.diagnostics.report(Messages.DuplicateSetting, this.span(item.loc.keyword), {
            name: "stack",
            block: `service "${s.name.value}"`,
          });
          continue;
        }
        stack = this.stack(item);
      } else if (item.kind === "Acl") {
        const { acl, read } = this.acl(item, s.name.value);
        accessLists.push(read);
        if (acl) acls.push(acl);
      }
    }
    if (!ok) return { service: null, accessLists };
    return {
      service: {
        name: s.name.value,
        pamService,
        template,
        templateSet: templateValue !== undefined,
        stack,
        acls,
        span: this.span(s.name.loc),
      },
      accessLists,
    };
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
      this.diagnostics.report(Messages.InvalidValue, span, {
        value: text,
        what: "PAM module argument",
        reason: "pam.d has no way to write an empty argument",
      });
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

  private acl(a: Acl, service: string): { acl: AclModel | null; read: AccessListRead } {
    let ok = true;
    const item = a.item.value as Item;
    if (!(ITEMS as readonly string[]).includes(item)) {
      const guess = closest(a.item.value, ITEMS, { transpositions: true });
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
    // An allow list without entries is AllowListEntriesRule's (PC4001); it is left out of the model too.
    const read: AccessListRead = {
      sense,
      hasEntries: entriesSetting !== undefined,
      span: this.span(a.loc.keyword),
    };
    if (!entriesSetting) {
      if (sense !== "allow")
        this.diagnostics.report(Messages.MissingSetting, this.span(a.loc.keyword), {
          block: `The access list for ${file}`,
          name: "entries",
        });
      ok = false;
    }
    if (!ok) return { acl: null, read };
    const acl: AclModel = {
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
    return { acl, read };
  }
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
