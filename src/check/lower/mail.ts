/**
 * Lowering of the pieces of a mail block: the block's settings, its
 * sockets, STARTTLS and SMTP AUTH. `mail`, `tls`, `mechanisms` and `listen`
 * are methods of a lowering fixed to the file the mail block is in.
 */
import { Messages } from "../../diagnostics/messages.js";
import type { Listen, Mail, Setting, Value } from "../../syntax/ast.js";
import type { Entry, ListenModel, MailModel, SaslBackend, TlsModel } from "../model.js";
import { readSettings, type ReadSetting, type Schema } from "../settings.js";
import * as v from "../values.js";
import { BlockLowering } from "./block.js";

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

/** Lowers one mail block; every span is in the file it was written in. */
export class MailLowering extends BlockLowering {
  mail(m: Mail): MailModel {
    const own = this.unsafe(
      m.items.filter((i): i is Setting => i.kind === "Setting"),
      m.loc,
    );
    const settings = readSettings(this.file, own, MAIL_SCHEMA, "the mail block", this.diagnostics);
    const get = (key: string) => settings.get(key)?.[0];
    const domainSetting = get("domain");
    const localDomains = domainSetting ? canonicalDomains(this.expand(domainSetting.source, "domains", "domain").toArray()) : [];
    if (!domainSetting) {
      this.diagnostics.report(Messages.MissingSetting, this.span(m.loc.keyword), {
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
      this.diagnostics.report(Messages.MissingListen, this.span(m.loc.keyword));
    }
    const mechanisms = this.mechanisms(get("auth mechanisms"));
    const relayAuth = get("relay authenticated");
    let trusted: Entry[] = [];
    if (relayAuth) {
      if (relayAuth.values.length === 0) trusted = mechanisms;
      else trusted = this.mechanisms(relayAuth);
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
    const relayDomains = relayDomainsSetting
      ? canonicalDomains(this.expand(relayDomainsSetting.source, "domains", "relay domains").toArray())
      : [];
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
    const tls = this.tls(get, m);
    const greetPause = this.greetPause(get);
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
      accountsSpan: accountsSetting ? this.span(accountsSetting.setting.loc) : null,
      span: this.span(m.loc.keyword),
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
    for (const [name, v] of [
      ["tls certificate", certificate],
      ["tls key", key],
      ["tls ca", ca],
      ["tls ca-path", caPath],
    ] as const) {
      if (v === null && !get(name)) {
        this.diagnostics.report(Messages.MissingSetting, this.span(any.setting.loc), { block: "STARTTLS", name });
      }
    }
    if (certificate === null || key === null || ca === null || caPath === null) return null;
    return { certificate, key, ca, caPath, span: this.span(m.loc.keyword) };
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
    const settings = block
      ? readSettings(this.file, block.items, LISTEN_SCHEMA, `listen ${p}`, this.diagnostics)
      : new Map<string, ReadSetting[]>();
    const one = (key: string) => settings.get(key)?.[0]?.values[0];
    let address: string | null = null;
    let family: "inet" | "inet6" | null = null;
    const addr = one("address");
    if (addr) {
      if (v.isIpv4(addr.value)) family = "inet";
      else if (v.isIpv6(addr.value)) family = "inet6";
      else {
        this.diagnostics.report(Messages.InvalidValue, this.span(addr.loc), {
          value: addr.value,
          what: "listen address",
          reason: "expected an IPv4 or IPv6 address",
        });
        ok = false;
      }
      address = addr.value;
    }
    const fam = one("family");
    if (fam) {
      if (fam.value !== "inet" && fam.value !== "inet6") {
        this.diagnostics.report(Messages.InvalidValue, this.span(fam.loc), {
          value: fam.value,
          what: "address family",
          reason: "expected inet or inet6",
        });
        ok = false;
      } else if (family && family !== fam.value) {
        this.diagnostics.report(Messages.InvalidValue, this.span(fam.loc), {
          value: fam.value,
          what: "address family",
          reason: `the address ${address} is ${family}`,
        });
        ok = false;
      } else family = fam.value;
    }
    const nameValue = one("name");
    let name = nameValue ? nameValue.value : defaultListenName(p);
    if (nameValue && !/^[A-Za-z][A-Za-z0-9_-]{0,31}$/.test(name)) {
      this.diagnostics.report(Messages.InvalidValue, this.span(nameValue.loc), {
        value: name,
        what: "socket name",
        reason: "expected letters, digits, '_' and '-'",
      });
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
