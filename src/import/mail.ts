/**
 * sendmail import: the .mc (read as m4 text by m4.ts, never run), the
 * access map, local-host-names and the SASL config become the mail block.
 * The generated .mc is the platform's stock .mc plus the policy's lines, so
 * every other line of the host's .mc is compared with the stock .mc: the
 * same is fine, anything else is a warning (PC7004) and a comment.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { AUTH_OPTIONS, MECHANISMS } from "../check/lower/mail.js";
import type { PlatformName } from "../check/model.js";
import { STOCK_GREET_PAUSE_MS } from "../check/rules/GreetPauseRule.js";
import { canonicalDomain, domainReason, isIpv4, isIpv6 } from "../check/values.js";
import type { DiagnosticBag, Span } from "../diagnostics/diagnostic.js";
import { Messages } from "../diagnostics/messages.js";
import { M4_MACROS } from "../targets/sendmail/m4names.js";
import { templatePath } from "../targets/templates.js";
import { STOCK_AUTH_OPTIONS } from "../targets/sendmail/SendmailTarget.js";
import { commentText, type HostFiles, type HostText, isWord, lineSpan } from "./host.js";
import { type M4Call, readM4 } from "./m4.js";
import type { MailOut } from "./out.js";

/** The SASL application config of sendmail, where each platform's Cyrus SASL looks first. */
const SASL_CONFIGS: Record<PlatformName, string[]> = {
  debian: ["etc/mail/sasl/Sendmail.conf.2", "etc/mail/sasl/Sendmail.conf", "usr/lib/sasl2/Sendmail.conf", "etc/sasl2/Sendmail.conf"],
  redhat: ["etc/sasl2/Sendmail.conf", "usr/lib/sasl2/Sendmail.conf", "usr/lib64/sasl2/Sendmail.conf", "etc/mail/sasl/Sendmail.conf"],
};

/** sendmail's AuthMechanisms when the .mc sets none (cf/README, confAUTH_MECHANISMS). */
const SENDMAIL_DEFAULT_MECHANISMS = ["GSSAPI", "KERBEROS_V4", "DIGEST-MD5", "CRAM-MD5"];

/** sendmail's whole default AuthMechanisms, EXTERNAL too (cf/README: "EXTERNAL GSSAPI KERBEROS_V4 DIGEST-MD5 CRAM-MD5"). */
const SENDMAIL_DEFAULT_OFFERED = ["EXTERNAL", ...SENDMAIL_DEFAULT_MECHANISMS];

/** Defines the mail block sets; the generated .mc writes them from the policy. */
const POLICY_DEFINES = new Set([
  "confAUTH_MECHANISMS",
  "confAUTH_OPTIONS",
  "confAUTH_REALM",
  "confSERVER_CERT",
  "confSERVER_KEY",
  "confCLIENT_CERT",
  "confCLIENT_KEY",
  "confCACERT",
  "confCACERT_PATH",
]);

/** The host files of the .mc that the stock .mc reads and policyc's leaves out (README, "What the generated sendmail.mc keeps"). */
const HOST_M4 = ["/etc/mail/m4/dialup.m4", "/etc/mail/m4/provider.m4"];

const norm = (s: string) => s.trim().replace(/[ \t\n]+/g, " ");
const callKey = (c: Pick<M4Call, "name" | "args">) => (c.args ? `${c.name}(${c.args.map(norm).join(",")})` : c.name);

export interface MailImportOptions {
  files: HostFiles;
  platform: PlatformName;
  release: string;
  templates: string;
  diagnostics: DiagnosticBag;
}

export function importMail(o: MailImportOptions): MailOut | undefined {
  const mc = o.files.read("etc/mail/sendmail.mc");
  if (!mc) return undefined;
  const out: MailOut = { settings: [], comments: [] };
  const d = o.diagnostics;
  const at = (offset: number): Span => ({ file: mc.file, start: offset, end: offset + 1 });
  const lineOf = (offset: number) => mc.file.position(offset).line;
  const lossy = (offset: number, why: string) => {
    d.report(Messages.ImportMcSetting, at(offset), { why });
    out.comments.push(`${mc.file.path}:${lineOf(offset)}: ${commentText(mc.file.lineText(lineOf(offset)))}: not imported (${why})`);
  };

  // The stock .mc's calls, as a multiset.
  const stock = new Map<string, number>();
  let stockText = "";
  try {
    stockText = readFileSync(templatePath(o.templates, o.platform, o.release, join("mail", "sendmail.mc")), "utf8");
  } catch {
    // No stock .mc: every line of the host's .mc is compared with nothing.
  }
  const stockCalls = readM4(
    stockText
      .split("\n")
      .filter((l) => !l.includes("{{"))
      .join("\n"),
  ).calls.filter((c) => c.name !== "divert");
  for (const c of stockCalls) stock.set(callKey(c), (stock.get(callKey(c)) ?? 0) + 1);

  const m4 = readM4(mc.file.text);
  const listen: string[] = [];
  const defines = new Map<string, { value: string; offset: number }>();
  let trusted: { mechs: string[]; offset: number } | undefined;
  let greet: { ms: string; offset: number } | undefined;
  for (const c of m4.calls) {
    const a = c.args ?? [];
    if (c.name === "divert" || c.name === "dnl") continue;
    if (c.name === "DAEMON_OPTIONS" && a.length === 1) {
      const l = listenSetting(a[0]!);
      if (typeof l === "string") lossy(c.start, l);
      else listen.push(l.setting);
      continue;
    }
    if (c.name === "define" && a.length >= 1 && POLICY_DEFINES.has(norm(a[0]!))) {
      // The stock .mc's own define (Red Hat's confAUTH_OPTIONS `A') stays in the generated .mc.
      if ((stock.get(callKey(c)) ?? 0) > 0 && !defines.has(norm(a[0]!))) {
        stock.set(callKey(c), stock.get(callKey(c))! - 1);
        continue;
      }
      defines.set(norm(a[0]!), { value: norm(a[1] ?? ""), offset: c.start });
      continue;
    }
    if (c.name === "TRUST_AUTH_MECH" && a.length === 1) {
      trusted = { mechs: norm(a[0]!).split(" ").filter(Boolean), offset: c.start };
      continue;
    }
    if (c.name === "FEATURE" && norm(a[0] ?? "") === "greet_pause") {
      greet = { ms: norm(a[1] ?? ""), offset: c.start };
      continue;
    }
    if (c.name === "include" && a.length === 1 && HOST_M4.includes(norm(a[0]!))) {
      const inc = o.files.read(norm(a[0]!).slice(1), { where: at(c.start) });
      const r = inc ? readM4(inc.file.text) : undefined;
      if (r && (r.calls.length > 0 || r.text.length > 0 || r.stopped))
        lossy(c.start, `${norm(a[0]!)} holds m4 lines, and the generated .mc reads no host file`);
      else
        out.comments.push(
          `${mc.file.path}:${lineOf(c.start)}: include of ${norm(a[0]!)} left out: it holds ${inc ? "only comments" : "nothing here"}.`,
        );
      continue;
    }
    const key = callKey(c);
    const left = stock.get(key) ?? 0;
    if (left > 0) {
      stock.set(key, left - 1);
      continue;
    }
    if (!M4_MACROS.has(c.name)) {
      if (!c.args) continue; // a word of plain text, judged with the text below
      d.report(Messages.ImportMcUnknownMacro, at(c.start), { name: c.name });
      out.comments.push(
        `${mc.file.path}:${lineOf(c.start)}: ${commentText(mc.file.lineText(lineOf(c.start)))}: not imported (unknown macro ${c.name})`,
      );
      continue;
    }
    if (
      (c.name === "define" || c.name === "undefine") &&
      a[0] !== undefined &&
      M4_MACROS.has(norm(a[0])) &&
      !/^(conf|_)/.test(norm(a[0]))
    ) {
      lossy(c.start, `it ${c.name}s the macro ${norm(a[0])}, which the generated .mc uses as sendmail-cf defines it`);
      continue;
    }
    lossy(
      c.start,
      `the generated .mc is the ${o.platform} stock .mc plus the policy's lines, and the stock .mc has no ${key.length > 120 ? key.slice(0, 120) + "..." : key}`,
    );
  }
  for (const t of m4.text) lossy(t.start, "it is text that m4 copies into sendmail.cf, which a policy cannot hold");
  if (m4.stopped) lossy(m4.stopped.at, `${m4.stopped.why}; the rest of the file is not imported`);
  for (const [key, n] of stock) {
    // policyc's own addition to the stock .mc: no build date in the .cf, nothing sendmail does differently.
    if (key === "define(_NO_MAKEINFO_)") continue;
    if (n > 0) {
      d.report(Messages.ImportMcSetting, at(0), {
        why: `the stock .mc has ${key.length > 120 ? key.slice(0, 120) + "..." : key} and this one does not; the generated .mc has it`,
      });
      out.comments.push(`${mc.file.path}: the stock .mc's ${commentText(key)} is not in this .mc; the generated .mc has it.`);
    }
  }

  // local-host-names: the domains.
  const domains: string[] = [];
  const lhn = o.files.read("etc/mail/local-host-names");
  if (lhn)
    dataLines(lhn, (value, i) => {
      const why = domainReason(value) ?? (canonicalDomain(value) !== value ? `policyc writes it ${canonicalDomain(value)}` : undefined);
      if (why) return mailLine(o, out, lhn, i, `the domain ${value} cannot be written as it is: ${why}`);
      domains.push(value);
    });
  if (domains.length === 0) {
    d.report(Messages.ImportMailFile, undefined, {
      path: "etc/mail/local-host-names",
      why: "it is missing or names no domain, and the mail block needs one; the policy names localhost",
    });
    out.comments.push("etc/mail/local-host-names names no domain: give the host's mail domains here.");
    domains.push("localhost");
  }
  out.settings.push({ text: `domain ${domains.join(", ")}`, comments: [] });
  if (listen.length === 0) {
    d.report(Messages.ImportMcSetting, at(0), {
      why: "it has no DAEMON_OPTIONS, and a mail block needs a listen setting; the policy listens on smtp",
    });
    listen.push("listen smtp");
  }
  for (const l of listen) out.settings.push({ text: l, comments: [] });

  // SMTP AUTH: the mechanisms, the SASL config, the options.
  const sasl = saslConfig(o, out);
  let mechs: string[] = [];
  const mechDefine = defines.get("confAUTH_MECHANISMS");
  if (mechDefine) mechs = mechDefine.value.split(" ").filter(Boolean);
  else if (sasl.mechList) {
    // sendmail offers only the mechanisms both in its default list and in Cyrus SASL's mech_list.
    const mechList = sasl.mechList;
    mechs = SENDMAIL_DEFAULT_OFFERED.filter((m) => mechList.includes(m));
    const dropped = mechList.filter((m) => !mechs.includes(m));
    out.comments.push(
      `${mc.file.path}: no confAUTH_MECHANISMS: sendmail offers those of its default ${SENDMAIL_DEFAULT_OFFERED.join(" ")} that the mech_list of ${sasl.path} names: ${mechs.length ? mechs.join(" ") : "none, so no AUTH"}` +
        (dropped.length ? `; ${dropped.join(" ")} of mech_list ${dropped.length === 1 ? "is" : "are"} not offered.` : "."),
    );
  } else if (trusted) {
    mechs = SENDMAIL_DEFAULT_MECHANISMS.filter((m) => sasl.mechList === undefined || sasl.mechList.includes(m));
    out.comments.push(
      `${mc.file.path}: no confAUTH_MECHANISMS: sendmail offers its default ${SENDMAIL_DEFAULT_MECHANISMS.join(" ")}, those Cyrus SASL has.`,
    );
  } else
    // A policy without `auth` writes an empty confAUTH_MECHANISMS (no AUTH at all): say what changes.
    out.comments.push(
      `${mc.file.path}: no confAUTH_MECHANISMS: sendmail offers its default EXTERNAL GSSAPI KERBEROS_V4 DIGEST-MD5 CRAM-MD5, those Cyrus SASL has, and no TRUST_AUTH_MECH lets them relay; this policy offers no AUTH (add auth mechanisms to offer some).`,
    );
  if (sasl.mechList && mechDefine && sasl.mechList.join(" ") !== mechs.join(" ")) {
    d.report(Messages.ImportMailFile, undefined, {
      path: sasl.path!,
      why: `its mech_list (${sasl.mechList.join(" ")}) differs from confAUTH_MECHANISMS (${mechs.join(" ")}), and a policy has one list for both`,
    });
  }
  const known = mechs.filter((m) => (MECHANISMS as readonly string[]).includes(m.toUpperCase()));
  const unknown = mechs.filter((m) => !known.includes(m));
  if (unknown.length) lossy(mechDefine?.offset ?? 0, `the mechanisms ${unknown.join(" ")} are not ones a policy offers`);
  if (known.length) {
    out.settings.push({ text: `auth mechanisms ${known.join(", ")}`, comments: [] });
    if (sasl.backend) out.settings.push({ text: `auth backend ${sasl.backend}`, comments: [] });
  }
  const opts = defines.get("confAUTH_OPTIONS");
  if (opts) {
    const stockLetters = STOCK_AUTH_OPTIONS[o.platform];
    const names: string[] = [];
    for (const letter of opts.value.replace(/[ ,]/g, "")) {
      const name = Object.keys(AUTH_OPTIONS).find((k) => AUTH_OPTIONS[k] === letter);
      if (name) names.push(name);
      else if (!stockLetters.includes(letter))
        lossy(
          opts.offset,
          `confAUTH_OPTIONS letter ${letter} is not one of the policy's auth options (${Object.values(AUTH_OPTIONS).join("")})`,
        );
    }
    if (names.length) out.settings.push({ text: `auth options ${names.join(", ")}`, comments: [] });
  }
  const realm = defines.get("confAUTH_REALM");
  if (realm && (known.length === 0 || realm.value !== domains[0])) {
    lossy(realm.offset, `the SASL realm is always the first domain (${domains[0]}) in a policy with mechanisms`);
  }

  // STARTTLS.
  const tlsKeys = ["confSERVER_CERT", "confSERVER_KEY", "confCACERT", "confCACERT_PATH"] as const;
  const tls = tlsKeys.map((k) => defines.get(k));
  if (tls.some(Boolean)) {
    const missing = tlsKeys.filter((_, i) => !tls[i]);
    const client = [defines.get("confCLIENT_CERT"), defines.get("confCLIENT_KEY")];
    const first = tls.find(Boolean)!.offset;
    if (missing.length)
      lossy(first, `a policy sets STARTTLS with all four of certificate, key, CA file and CA folder; this .mc lacks ${missing.join(", ")}`);
    else if (client[0]?.value !== tls[0]!.value || client[1]?.value !== tls[1]!.value)
      lossy(first, "a policy uses the server's certificate and key as the client's (confCLIENT_CERT, confCLIENT_KEY) too");
    if (!missing.length) {
      const bad = tls.find((t) => !/^\/[A-Za-z0-9._\/-]*$/.test(t!.value));
      if (bad) lossy(bad.offset, "a TLS path must be absolute and of plain characters");
      else
        out.settings.push(
          { text: `tls certificate ${tls[0]!.value}`, comments: [] },
          { text: `tls key ${tls[1]!.value}`, comments: [] },
          { text: `tls ca ${tls[2]!.value}`, comments: [] },
          { text: `tls ca-path ${tls[3]!.value}`, comments: [] },
        );
    }
  } else if (defines.get("confCLIENT_CERT") || defines.get("confCLIENT_KEY")) {
    lossy(
      (defines.get("confCLIENT_CERT") ?? defines.get("confCLIENT_KEY"))!.offset,
      "a client certificate without a server one is not something a policy can say",
    );
  }

  if (trusted) {
    const t = trusted.mechs.map((m) => m.toUpperCase());
    const notOffered = t.filter((m) => !known.includes(m));
    if (notOffered.length) lossy(trusted.offset, `TRUST_AUTH_MECH names ${notOffered.join(" ")}, which this host does not offer`);
    const kept = t.filter((m) => known.includes(m));
    if (kept.length)
      out.settings.push({
        text: kept.join(" ") === known.join(" ") ? "relay authenticated" : `relay authenticated ${kept.join(", ")}`,
        comments: [],
      });
  }

  // The access map: relaying by recipient domain and client network.
  const relay = accessMap(o, out);
  if (relay.domains.length) out.settings.push({ text: `relay domains ${relay.domains.join(", ")}`, comments: [] });
  if (relay.networks.length) out.settings.push({ text: `relay networks ${relay.networks.join(", ")}`, comments: [] });

  const rd = o.files.read("etc/mail/relay-domains");
  if (rd)
    dataLines(rd, (value, i) =>
      mailLine(
        o,
        out,
        rd,
        i,
        `${value} in relay-domains may relay, and a policy grants relaying only in the access map (write it as relay domains)`,
      ),
    );

  if (greet) {
    const stockMs = STOCK_GREET_PAUSE_MS[o.platform];
    const line = mc.file.lineText(lineOf(greet.offset));
    const isStockLine = stockMs !== null && line === `FEATURE(\`greet_pause', \`${stockMs}')dnl ${stockMs / 1000} seconds`;
    if (!/^[0-9]+$/.test(greet.ms)) lossy(greet.offset, "the greet pause is not a number of milliseconds");
    else if (!isStockLine) out.settings.push({ text: `greet pause ${Number(greet.ms)}`, comments: [] });
  } else if (STOCK_GREET_PAUSE_MS[o.platform] !== null) {
    out.settings.push({
      text: "greet pause 0",
      comments: [`${mc.file.path} has no FEATURE(greet_pause): no pause, as with greet pause 0.`],
    });
  }
  if (sasl.accounts.length && known.length) out.settings.push({ text: `accounts ${sasl.accounts.join(", ")}`, comments: [] });
  return out;
}

/** One DAEMON_OPTIONS argument as a listen setting, or why it cannot be one. */
function listenSetting(arg: string): { setting: string } | string {
  const fields = new Map<string, string>();
  for (const part of arg.split(",")) {
    const p = part.trim();
    if (p === "") continue;
    const m = /^([A-Za-z]+)=(.*)$/.exec(p);
    if (!m) return `"${p}" is not a Key=value DAEMON_OPTIONS field`;
    const key = m[1]!.toLowerCase();
    if (fields.has(key)) return `${m[1]} is given twice`;
    fields.set(key, m[2]!.trim());
  }
  const port = fields.get("port") ?? "smtp";
  const addr = fields.get("addr") ?? fields.get("address");
  const family = fields.get("family");
  const name = fields.get("name");
  const mods = fields.get("m") ?? fields.get("modifiers");
  for (const k of fields.keys())
    if (!["port", "addr", "address", "family", "name", "m", "modifiers"].includes(k))
      return `DAEMON_OPTIONS field ${k} is not one a policy sets`;
  if (!/^([0-9]{1,5}|[a-z][a-z0-9-]{0,31})$/.test(port)) return `the port ${port} is not one a policy can write`;
  const settings: string[] = [];
  if (addr !== undefined) {
    if (addr === "") return "an empty Addr= (the recipe's before-and-after) is not an address";
    if (!isIpv4(addr) && !isIpv6(addr)) return `the address ${addr} is not an IPv4 or IPv6 address`;
    settings.push(`address ${addr}`);
  }
  if (family !== undefined) {
    if (family !== "inet" && family !== "inet6") return `the family ${family} is not inet or inet6`;
    const implied = addr === undefined ? undefined : isIpv4(addr) ? "inet" : "inet6";
    if (implied && implied !== family) return `the address ${addr} is not ${family}`;
    if (!implied) settings.push(`family ${family}`);
  }
  const defaultName =
    port === "smtp" || port === "25"
      ? "MTA"
      : port === "submission" || port === "587"
        ? "MSA"
        : /^(465|smtps|submissions|ssmtp|urd)$/.test(port)
          ? "SMTPS"
          : undefined;
  if (name !== undefined && name !== defaultName) {
    if (!/^[A-Za-z][A-Za-z0-9_-]{0,31}$/.test(name)) return `the socket name ${name} is not one a policy can write`;
    settings.push(`name ${name}`);
  } else if (name === undefined && defaultName !== undefined) {
    return `a socket without Name= gets sendmail's own name, and a policy always names it (${defaultName} here)`;
  }
  if (mods !== undefined && mods !== "") {
    if (!/^[aAbcCEfhOsSu]+$/.test(mods)) return `the modifiers ${mods} are not sendmail's letters aAbcCEfhOsSu`;
    const smtps = /^(465|smtps|submissions|ssmtp|urd)$/.test(port);
    if (!(smtps && mods === "s")) settings.push(`modifiers ${[...mods].join(", ")}`);
  }
  return { setting: settings.length ? `listen ${port} { ${settings.map((s) => s + ";").join(" ")} }` : `listen ${port}` };
}

/** Calls fn for each line that is not blank or a # comment. */
function dataLines(t: HostText, fn: (value: string, i: number) => void): void {
  t.lines.forEach((line, i) => {
    const v = line.trim();
    if (v === "" || v.startsWith("#")) return;
    fn(v, i);
  });
}

function mailLine(o: { diagnostics: DiagnosticBag }, out: MailOut, t: HostText, i: number, why: string): void {
  o.diagnostics.report(Messages.ImportMailFile, lineSpan(t, i), { path: t.file.path, why });
  out.comments.push(`${t.file.path}:${i + 1}: ${commentText(t.lines[i]!)}: not imported (${why})`);
}

function accessMap(o: MailImportOptions, out: MailOut): { domains: string[]; networks: string[] } {
  const domains: string[] = [];
  const networks: string[] = [];
  const t = o.files.read("etc/mail/access");
  if (!t) return { domains, networks };
  dataLines(t, (line, i) => {
    const m = /^(\S+)\s+(.*)$/.exec(line);
    if (!m) return mailLine(o, out, t, i, "an access map line is a key and a value");
    const [, key, value] = m;
    if (value!.trim() !== "RELAY") return mailLine(o, out, t, i, `a policy writes only RELAY entries, not ${value!.trim().slice(0, 40)}`);
    const tagged = /^(To|Connect):(.*)$/i.exec(key!);
    if (!tagged)
      return mailLine(
        o,
        out,
        t,
        i,
        "an untagged entry relays for a client name and to a domain at once; a policy writes To: and Connect: entries",
      );
    const tag = tagged[1]!.toLowerCase();
    const v = tagged[2]!;
    if (tag === "to") {
      const why = domainReason(v) ?? (canonicalDomain(v) !== v ? `policyc writes it ${canonicalDomain(v)}` : undefined);
      if (why) return mailLine(o, out, t, i, `${v} cannot be a relay domain: ${why}`);
      domains.push(v);
      return;
    }
    // `Connect:` with nothing after it is every client (a /0 network: policyc writes it so).
    const octets = v === "" ? [] : v.split(".");
    if (octets.length > 4 || !octets.every((x) => /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/.test(x))) {
      return mailLine(o, out, t, i, `Connect:${v} is not an IPv4 octet prefix; a policy's relay networks are IPv4 networks`);
    }
    const bits = octets.length * 8;
    networks.push(`${[...octets, "0", "0", "0", "0"].slice(0, 4).join(".")}/${bits}`);
  });
  return { domains, networks };
}

function saslConfig(o: MailImportOptions, out: MailOut): { path?: string; mechList?: string[]; backend?: string; accounts: string[] } {
  const path = SASL_CONFIGS[o.platform].find((p) => o.files.exists(p));
  const r: { path?: string; mechList?: string[]; backend?: string; accounts: string[] } = { accounts: [] };
  if (!path) return r;
  const t = o.files.read(path);
  if (!t) return r;
  r.path = path;
  const values = new Map<string, { value: string; i: number }>();
  let inAccounts = false;
  t.lines.forEach((line, i) => {
    const v = line.trim();
    if (v.startsWith("#")) {
      // policyc's header lists the accounts the policy expects: "#   alice".
      if (/SASL accounts the policy expects/.test(v)) inAccounts = true;
      else if (inAccounts && /^#   \S+$/.test(line) && isWord(line.slice(4))) r.accounts.push(line.slice(4));
      return;
    }
    if (v === "") return;
    const m = /^([A-Za-z_]+)\s*:\s*(.*)$/.exec(v);
    if (!m) return mailLine(o, out, t, i, "a SASL config line is key: value");
    values.set(m[1]!, { value: m[2]!.trim(), i });
  });
  const method = values.get("pwcheck_method");
  const plugin = values.get("auxprop_plugin");
  if (!method || method.value === "auxprop") {
    if (plugin && plugin.value !== "sasldb") mailLine(o, out, t, plugin.i, `the auxprop plugin ${plugin.value} is not sasldb`);
    r.backend = "sasldb";
  } else if (method.value === "saslauthd") r.backend = "saslauthd";
  else mailLine(o, out, t, method.i, `pwcheck_method ${method.value} is not auxprop (sasldb) or saslauthd`);
  const mech = values.get("mech_list");
  if (mech)
    r.mechList = mech.value
      .split(/[\s,]+/)
      .filter(Boolean)
      .map((m) => m.toUpperCase());
  for (const [key, v] of values) {
    if (!["pwcheck_method", "auxprop_plugin", "mech_list"].includes(key))
      mailLine(o, out, t, v.i, `the SASL setting ${key} is not one a policy writes`);
  }
  return r;
}
