import type { MailModel, PlatformName } from "../../check/model.js";
import { PLATFORMS } from "../../check/model.js";
import type { Span } from "../../diagnostics/diagnostic.js";
import { Messages } from "../../diagnostics/messages.js";
import { type EmitContext, FILE_MODE, type OutputFile, type Target } from "../Target.js";
import { STOCK_GREET_PAUSE_MS } from "../../check/rules/GreetPauseRule.js";
import { m4MacroIn } from "./m4names.js";

/** Where each platform's sendmail reads its SASL application config. */
const SASL_CONFIG: Record<PlatformName, string> = {
  debian: "etc/mail/sasl/Sendmail.conf.2",
  redhat: "etc/sasl2/Sendmail.conf",
};

/**
 * The confAUTH_OPTIONS letters each platform's stock sendmail.mc sets (Red Hat:
 * `A`, AUTH= on MAIL FROM only after a successful AUTH). The policy's options
 * are added to them, never put in their place: the generated .mc keeps what
 * the distribution's .mc sets unless the policy says otherwise.
 */
export const STOCK_AUTH_OPTIONS: Record<PlatformName, string> = {
  debian: "",
  redhat: "A",
};

/**
 * Only these tokens may reach m4 text: everything in the model that lands in
 * the .mc was validated against narrower shapes; this is the last guard. m4
 * expands macros inside quotes and comments, so data (domains, networks,
 * accounts) never goes into the .mc at all: it goes to the access map and
 * local-host-names, which sendmail reads as data.
 */
const M4_SAFE = /^[A-Za-z0-9.:_\/-]+$/;

function m4Token(s: string): string {
  if (!M4_SAFE.test(s) || m4MacroIn(s)) throw new Error(`policyc bug: unchecked text "${s}" would reach m4`);
  return s;
}

/** Every value of the model that lands in m4 text, with what it is and where it came from. */
function m4Values(mail: MailModel): { what: string; value: string; span: Span }[] {
  const out: { what: string; value: string; span: Span }[] = [];
  for (const l of mail.listen) {
    out.push({ what: "Port", value: l.port, span: l.span });
    if (l.address) out.push({ what: "Address", value: l.address, span: l.span });
    out.push({ what: "Socket name", value: l.name, span: l.span });
    if (l.modifiers) out.push({ what: "Modifiers", value: l.modifiers, span: l.span });
  }
  for (const m of [...mail.mechanisms, ...mail.trusted]) out.push({ what: "Mechanism", value: m.value, span: m });
  const realm = saslRealm(mail);
  if (realm) out.push({ what: "SASL realm (the first domain)", value: realm.value, span: realm });
  if (mail.authOptions) out.push({ what: "Auth options", value: mail.authOptions, span: mail.span });
  if (mail.tls) {
    for (const [what, value] of [
      ["TLS certificate", mail.tls.certificate],
      ["TLS key", mail.tls.key],
      ["TLS CA file", mail.tls.ca],
      ["TLS CA folder", mail.tls.caPath],
    ] as const) {
      if (value) out.push({ what, value, span: mail.tls.span });
    }
  }
  return out;
}

/** One DAEMON_OPTIONS line per listening socket. */
function daemonOptions(mail: MailModel): string {
  return mail.listen
    .map((l) => {
      const parts = [`Port=${m4Token(l.port)}`];
      if (l.address) parts.push(`Addr=${m4Token(l.address)}`);
      if (l.family) parts.push(`Family=${m4Token(l.family)}`);
      parts.push(`Name=${m4Token(l.name)}`);
      if (l.modifiers) parts.push(`M=${m4Token(l.modifiers)}`);
      return `DAEMON_OPTIONS(\`${parts.join(", ")}')dnl`;
    })
    .join("\n");
}

/**
 * The SASL realm: the first mail domain. Without confAUTH_REALM sendmail uses
 * its host name, so a bare login ("alice") would look for alice in a realm
 * named after whatever the host is called, and accounts made for the mail
 * domain would fail (seen on 8.17 with Cyrus SASL 2.1.28).
 */
function saslRealm(mail: MailModel): MailModel["localDomains"][number] | undefined {
  return mail.mechanisms.length > 0 ? mail.localDomains[0] : undefined;
}

/**
 * confAUTH_MECHANISMS is always written. Left undefined, sendmail offers its
 * default list (EXTERNAL GSSAPI KERBEROS_V4 DIGEST-MD5 CRAM-MD5), those the
 * host's Cyrus SASL has: on Debian with sasl2-bin EHLO showed
 * `AUTH DIGEST-MD5 CRAM-MD5` for a mail block without `auth`. Defined empty,
 * the .cf says `O AuthMechanisms` with no value and sendmail 8.17 offers no
 * AUTH at all, after STARTTLS too, and answers every AUTH with 504 5.3.3
 * (test/e2e/mail-noauth.e2e.test.ts). One define, not modifier A on each
 * socket, so that the sockets stay the policy's `listen` lines.
 */
function authDefines(mail: MailModel, platform: PlatformName): string {
  const lines: string[] = [];
  if (mail.mechanisms.length > 0) {
    lines.push(`define(\`confAUTH_MECHANISMS', \`${mail.mechanisms.map((m) => m4Token(m.value)).join(" ")}')dnl`);
  } else {
    lines.push("dnl # No SMTP AUTH: an empty list (left undefined, sendmail offers its default mechanisms)");
    lines.push("define(`confAUTH_MECHANISMS', `')dnl");
  }
  if (mail.authOptions) {
    const stock = STOCK_AUTH_OPTIONS[platform];
    const letters = stock + [...mail.authOptions].filter((l) => !stock.includes(l)).join("");
    lines.push(`define(\`confAUTH_OPTIONS', \`${m4Token(letters)}')dnl`);
  }
  const realm = saslRealm(mail);
  if (realm) lines.push(`define(\`confAUTH_REALM', \`${m4Token(realm.value)}')dnl`);
  return lines.join("\n");
}

/** STARTTLS: the server's and (for relaying onward) the client's certificate and key. */
function tlsDefines(mail: MailModel): string {
  const tls = mail.tls;
  if (!tls) return "";
  const lines = [
    `define(\`confSERVER_CERT', \`${m4Token(tls.certificate)}')dnl`,
    `define(\`confSERVER_KEY', \`${m4Token(tls.key)}')dnl`,
    `define(\`confCLIENT_CERT', \`${m4Token(tls.certificate)}')dnl`,
    `define(\`confCLIENT_KEY', \`${m4Token(tls.key)}')dnl`,
  ];
  lines.push(`define(\`confCACERT', \`${m4Token(tls.ca)}')dnl`);
  lines.push(`define(\`confCACERT_PATH', \`${m4Token(tls.caPath)}')dnl`);
  return lines.join("\n");
}

/**
 * FEATURE(`greet_pause'): the policy's `greet pause`, or else the stock .mc's
 * own line as Debian writes it (Red Hat's stock .mc has none).
 */
function greetPauseLine(mail: MailModel, platform: PlatformName): string {
  if (mail.greetPause) return `FEATURE(\`greet_pause', \`${m4Token(String(mail.greetPause.ms))}')dnl`;
  const stock = STOCK_GREET_PAUSE_MS[platform];
  return stock === null ? "" : `FEATURE(\`greet_pause', \`${stock}')dnl ${stock / 1000} seconds`;
}

function trustLine(mail: MailModel): string {
  if (mail.trusted.length === 0) return "";
  return `TRUST_AUTH_MECH(\`${mail.trusted.map((m) => m4Token(m.value)).join(" ")}')dnl`;
}

/** The access map source: relaying by recipient domain and by client network. */
function accessMap(header: string, mail: MailModel): string {
  const lines = [`# ${header}`];
  lines.push("# Build the map with: makemap hash /etc/mail/access < /etc/mail/access");
  for (const d of mail.relayDomains) lines.push(`To:${d.value}\tRELAY`);
  for (const n of mail.relayNetworks) lines.push(`Connect:${n.prefix}\tRELAY`);
  return lines.join("\n") + "\n";
}

/** sendmail.mc and the data and SASL files it refers to. */
export const SendmailTarget: Target = {
  name: "sendmail",
  platforms: PLATFORMS,
  /** m4 rescans macro arguments: a value holding a macro's name (a socket named "dnl") would be expanded. */
  check(ctx: EmitContext): void {
    const mail = ctx.model.mail;
    if (!mail) return;
    const reported = new Set<string>();
    for (const v of m4Values(mail)) {
      const token = m4MacroIn(v.value);
      const key = `${v.span.start}:${token}`;
      if (!token || reported.has(key)) continue; // a default socket name repeats the port's word
      reported.add(key);
      ctx.diagnostics.report(Messages.M4Reserved, v.span, { what: v.what, value: v.value, token });
    }
  },
  emit(ctx: EmitContext): OutputFile[] {
    const mail = ctx.model.mail;
    if (!mail) return [];
    const producer = "the mail block";
    const origins = [mail.span];
    const out: OutputFile[] = [];
    const mc = ctx.templates.render(
      "mail/sendmail.mc",
      {
        header: ctx.header,
        auth: authDefines(mail, ctx.model.platform),
        tls: tlsDefines(mail),
        daemon_options: daemonOptions(mail),
        trust: trustLine(mail),
        greet_pause: greetPauseLine(mail, ctx.model.platform),
      },
      [
        "auth",
        "tls",
        "daemon_options",
        "trust",
        ...(mail.greetPause || STOCK_GREET_PAUSE_MS[ctx.model.platform] !== null ? ["greet_pause"] : []),
      ],
    );
    if (mc !== undefined) out.push({ path: "etc/mail/sendmail.mc", content: mc, mode: FILE_MODE, producer, origins });
    out.push({
      path: "etc/mail/local-host-names",
      content: `# ${ctx.header}\n` + mail.localDomains.map((d) => d.value + "\n").join(""),
      mode: FILE_MODE,
      producer,
      origins,
    });
    out.push({ path: "etc/mail/access", content: accessMap(ctx.header, mail), mode: FILE_MODE, producer, origins });
    // sendmail.cf always reads class R from relay-domains, and every host listed
    // there may relay: the policy owns the file, so a stale one cannot open the relay.
    out.push({
      path: "etc/mail/relay-domains",
      content: `# ${ctx.header}\n# Relaying is granted only in /etc/mail/access (see the policy); keep this file empty.\n`,
      mode: FILE_MODE,
      producer,
      origins,
    });
    if (mail.mechanisms.length > 0) {
      const realm = saslRealm(mail)?.value ?? "DOMAIN";
      const how =
        mail.backend === "sasldb"
          ? [
              `# SASL accounts the policy expects, in the realm ${realm} (confAUTH_REALM in sendmail.mc);`,
              `# clients log in as NAME or NAME@${realm}. Create each with: saslpasswd2 -c -u ${realm} NAME`,
            ]
          : [`# SASL accounts the policy expects: system accounts, whose passwords saslauthd checks:`];
      const accounts = mail.accounts.length ? [...how, ...mail.accounts.map((a) => `#   ${a.value}`)].join("\n") : "";
      const backend = mail.backend === "sasldb" ? "pwcheck_method: auxprop\nauxprop_plugin: sasldb" : "pwcheck_method: saslauthd";
      const conf = ctx.templates.render(
        "mail/Sendmail.conf",
        {
          header: ctx.header,
          accounts,
          backend,
          mech_list: mail.mechanisms.map((m) => m.value).join(" "),
        },
        ["backend", "mech_list"],
      );
      if (conf !== undefined) {
        out.push({ path: SASL_CONFIG[ctx.model.platform], content: conf, mode: FILE_MODE, producer, origins });
      }
    }
    return out;
  },
};
