/**
 * fast-check generators of whole policies for the property tests on the real
 * stack (property.e2e.test.ts): platform, named lists of every kind, services
 * with access lists (every item, sense, onerr, apply where legal, quiet,
 * entries of every kind in odd-but-legal spellings) and custom stacks (every
 * type, controls incl. bracket controls, arguments that need brackets, the
 * optional `account acls;` marker), and a mail block (domains, listen
 * sockets with and without blocks, auth mechanisms, options and backend,
 * relay authenticated / domains / networks, accounts, TLS four or none;
 * about a third with no AUTH at all, which must then offer none).
 *
 * A fleet policy ({@link fleetPolicy}, part of {@link policy}) puts a
 * service and a mail block in roles (`role shell`, `role relay`) taken by
 * several hosts, through an Ansible inventory (`inventory "hosts.ini";` or
 * `"hosts.yml"`, written next to the policy) or a host's own `role` line;
 * the roles leave lists open (`$admins`, `$mail_domain`) that each host
 * taking them defines.
 *
 * Most of what is generated is meant to be accepted; a few ingredients are
 * the unsafe configurations the README promises to refuse (an open relay in
 * any spelling: a network of /7 or wider, a whole top-level domain, a trusted
 * ANONYMOUS; an account line that skips the access lists). Those are recorded
 * in {@link GeneratedPolicy.mustRefuse} with the code the compiler must give.
 *
 * Every reference to a named list is written by {@link listRef} (`$name`).
 * Literals are used wherever a reference adds nothing.
 */
import fc from "fast-check";

/** How a policy refers to a named list. The ONE place that spells a reference. */
export function listRef(name: string): string {
  return `$${name}`;
}

export type Kind = "users" | "groups" | "hosts" | "networks" | "ttys" | "shells" | "domains";
type Item = "user" | "ruser" | "group" | "rhost" | "tty" | "shell";
const KIND_OF: Record<Item, Kind> = { user: "users", ruser: "users", group: "groups", rhost: "hosts", tty: "ttys", shell: "shells" };

export interface GeneratedPolicy {
  text: string;
  platform: "debian" | "redhat";
  hasMail: boolean;
  /** Unsafe ingredients the compiler must refuse: [code, what]. Empty: it may accept. */
  mustRefuse: Array<[string, string]>;
  /** Other files the policy reads (its inventory), by path relative to the policy's folder. */
  files: Record<string, string>;
  /** The hosts `build -o OUT` writes a tree for, OUT/HOST; empty: one tree, OUT itself. */
  hosts: string[];
  /** The hosts whose tree has a mail block (empty for a policy without hosts: see hasMail). */
  mailHosts: string[];
}

/** A value as written in a policy: a bare word, or a quoted string when it needs one (or just because). */
type Lit = { text: string; word: boolean };
const q = (s: string): string => `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
const BARE = /^[A-Za-z0-9_./:@+-]+$/;

/** A literal, spelled bare or quoted (both mean the same value). */
function literal(values: readonly string[]): fc.Arbitrary<Lit> {
  return fc.tuple(fc.constantFrom(...values), fc.integer({ min: 0, max: 3 })).map(([v, r]) => ({ text: v, word: BARE.test(v) && r > 0 }));
}
const spell = (l: Lit): string => (l.word ? l.text : q(l.text));

/** Literal values of each kind, in the spellings people use (and some they should not, which are still legal). */
export const VALUES: Record<Kind, readonly string[]> = {
  users: ["alice", "bob", "carol", "root", "dave", "e2e-x1", "Mallory", "j.doe", "user_9", "jürgen", "#hash", "a@b", "svc+mail", "-", "x"],
  groups: ["wheel", "adm", "sudo", "staff", "e2e-grp", "Admins", "users", "mail", "g.dot"],
  hosts: [
    "203.0.113.7",
    "spam.example.net",
    "2001:db8::7",
    "HOST.Example.ORG",
    "gw.example.net.",
    "198.51.100.10",
    "localhost",
    "a-b.c",
    "::1",
  ],
  ttys: ["tty1", "/dev/tty2", "pts/0", "ttyS0", ":0", "/dev/pts/3", "console"],
  shells: ["/bin/bash", "/bin/sh", "/usr/bin/zsh", "/bin/false", "/usr/sbin/nologin", "/bin/rbash"],
  domains: ["partner.example.org", "Partner.Example.COM", "sub.partner.example.net", "example.org.", "x-y.example", "relay.e2e.test"],
  networks: [
    "10.20.0.0/16",
    "192.0.2.0/23",
    "198.51.100.7",
    "198.51.100.0/24",
    "172.16.0.0/12",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "203.0.113.128/25",
    "192.0.2.0/31",
    "198.18.0.0/15",
    "10.1.2.3/32",
  ],
};

/** Open-relay spellings PC4101 must refuse. */
const OPEN_NETWORKS = ["0.0.0.0/0", "0.0.0.0/1", "128.0.0.0/2", "10.0.0.0/7", "64.0.0.0/3", "0.0.0.0/5"];
const OPEN_DOMAINS = ["org", "COM", "net.", "test", "invalid", "example"];

interface ListDef {
  kind: Kind;
  name: string;
  /** Literals and references (already spelled). */
  values: string[];
  /** The literal values it stands for (for the unsafe bookkeeping). */
  resolved: string[];
}

/** Named lists: per kind, 0 to 2, the second may include the first. */
const listDefs: fc.Arbitrary<ListDef[]> = fc
  .array(
    fc.record({
      kind: fc.constantFrom<Kind>("users", "groups", "hosts", "ttys", "shells", "domains", "networks"),
      values: fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 3 }),
      ref: fc.boolean(),
      open: fc.integer({ min: 0, max: 19 }),
    }),
    { maxLength: 5 },
  )
  .map((raw) => {
    const out: ListDef[] = [];
    for (const r of raw) {
      const same = out.filter((d) => d.kind === r.kind);
      if (same.length >= 2) continue;
      const pool = VALUES[r.kind];
      const lits = r.values.map((i) => pool[i % pool.length]!);
      // Rarely, an open-relay value hidden in a named list.
      if (r.open === 0 && r.kind === "networks") lits.push(OPEN_NETWORKS[r.values[0]! % OPEN_NETWORKS.length]!);
      if (r.open === 0 && r.kind === "domains") lits.push(OPEN_DOMAINS[r.values[0]! % OPEN_DOMAINS.length]!);
      const values = lits.map((v, i) => (BARE.test(v) && (r.values[i] ?? 0) % 3 !== 0 ? v : q(v)));
      const resolved = [...lits];
      const prior = same[0];
      if (prior && r.ref) {
        values.push(listRef(prior.name));
        resolved.push(...prior.resolved);
      }
      out.push({ kind: r.kind, name: `${r.kind.slice(0, -1)}_list${same.length + 1}`, values, resolved });
    }
    return out;
  });

/** `entries`-like values of one kind: literals, sometimes a reference to a list of that kind. */
function valuesOf(kind: Kind, lists: readonly ListDef[], min = 1, max = 3): fc.Arbitrary<{ spelled: string[]; resolved: string[] }> {
  const defs = lists.filter((d) => d.kind === kind);
  return fc.tuple(fc.array(literal(VALUES[kind]), { minLength: min, maxLength: max }), fc.integer({ min: 0, max: 5 })).map(([lits, r]) => {
    const spelled = lits.map(spell);
    const resolved = lits.map((l) => l.text);
    const def = defs[r % Math.max(defs.length, 1)];
    if (def && r < 3) {
      spelled.push(listRef(def.name));
      resolved.push(...def.resolved);
    }
    return { spelled: [...new Set(spelled)], resolved };
  });
}

// ---------------------------------------------------------------------------
// Services
// ---------------------------------------------------------------------------

const SERVICE_NAMES = ["imapd", "ftpd", "cupsd", "svc-1", "web.app", "pop3d", "vsftpd", "sshd", "login", "rsyncd"];
const PAM_NAMES = ["imap", "ftp", "svc_x", "pop", "web-app", "samba"];
/** List file paths: plain, deep, with odd-but-legal characters; under /etc, the only folder the PAM sandbox can lay files over. */
const FILES = [
  "/etc/imapd.acl",
  "/etc/policyc-prop/users.allow",
  "/etc/security/e2e-deny",
  "/etc/ftpusers-e2e",
  "/etc/acl/a.b-c_d",
  "/etc/policyc-prop/x@y+z",
  "/etc/e2e/deep/er/list",
  "/etc/policyc-prop/UPPER.acl",
];

interface AclSpec {
  item: Item;
  sense: "allow" | "deny";
  file: string;
  text: string;
  mustRefuse: Array<[string, string]>;
}

function acl(lists: readonly ListDef[], fileIndex: number): fc.Arbitrary<AclSpec> {
  return fc
    .record({
      item: fc.constantFrom<Item>("user", "ruser", "group", "rhost", "tty", "shell"),
      sense: fc.constantFrom<"allow" | "deny">("allow", "deny"),
      onerr: fc.constantFrom("", "onerr fail;", "onerr succeed;", 'onerr "fail";'),
      quiet: fc.boolean(),
      apply: fc.integer({ min: 0, max: 9 }),
      illegalApply: fc.integer({ min: 0, max: 9 }),
      order: fc.boolean(),
    })
    .chain((a) =>
      valuesOf(KIND_OF[a.item], lists).map(({ spelled }) => {
        const file = FILES[fileIndex % FILES.length]!;
        const settings: string[] = [`entries ${spelled.join(", ")};`];
        if (a.onerr) settings.push(a.onerr);
        if (a.quiet) settings.push("quiet;");
        const mustRefuse: Array<[string, string]> = [];
        const legal = a.item === "tty" || a.item === "rhost";
        if (a.apply < 4 && (legal || a.illegalApply === 0)) {
          const target = ["alice", "@wheel", "@e2e-grp", "bob"][a.apply]!;
          settings.push(`apply ${a.apply === 2 ? q(target) : target};`);
          if (!legal) mustRefuse.push(["PC3008", `apply on item ${a.item}`]);
        }
        if (a.order) settings.reverse();
        const fileText = fileIndex % 3 === 0 ? q(file) : file;
        return { item: a.item, sense: a.sense, file, text: `acl ${a.item} ${a.sense} ${fileText} { ${settings.join(" ")} }`, mustRefuse };
      }),
    );
}

/** A non-account stack line: any type, any control (brackets too), real modules, arguments that need brackets. */
const otherLine = fc
  .record({
    type: fc.constantFrom("auth", "password", "session", "-session", "Auth", "SESSION"),
    control: fc.constantFrom(
      "required",
      "requisite",
      "sufficient",
      "optional",
      "Optional",
      "[success=ok default=ignore]",
      "[default=die]",
      "[success=1 default=ignore]",
      "[ignore=ignore success=ok default=bad]",
    ),
    module: fc.constantFrom(
      "pam_env.so",
      "pam_permit.so",
      "pam_unix.so",
      "pam_nologin.so",
      "pam_keyinit.so",
      "pam_warn.so",
      "/lib/x86_64-linux-gnu/security/pam_limits.so",
    ),
    args: fc.array(
      fc.constantFrom(
        "readenv=1",
        "nullok",
        "revoke",
        "debug",
        "user_readenv=0",
        '"conffile=/etc/security/pam env.conf"',
        "quiet",
        '"a]b"',
        '"x=[y]"',
      ),
      { maxLength: 3 },
    ),
  })
  .map((l) => `${l.type} ${l.control} ${l.module}${l.args.map((a) => ` ${a}`).join("")};`);

/** Account lines the oracle models, per platform. */
function accountLine(platform: "debian" | "redhat"): fc.Arbitrary<string> {
  const include = platform === "debian" ? ["common-account"] : ["system-auth", "password-auth"];
  return fc.oneof(
    {
      arbitrary: fc
        .tuple(
          fc.constantFrom("required", "requisite", "Required", "REQUISITE"),
          fc.constantFrom("pam_unix.so", "pam_permit.so", "/lib/x86_64-linux-gnu/security/pam_permit.so", "pam_deny.so"),
        )
        .map(([c, m]) => `account ${c} ${m};`),
      weight: 4,
    },
    {
      arbitrary: fc.tuple(fc.constantFrom("include", "substack"), fc.constantFrom(...include)).map(([c, m]) => `account ${c} ${m};`),
      weight: 2,
    },
    { arbitrary: fc.constant("-account required pam_unix.so;"), weight: 1 },
  );
}

/** Account lines that can end the stack early or jump: before the access lists they skip them (PC4102). */
const BYPASS = [
  "account sufficient pam_permit.so;",
  "account [success=done default=ignore] pam_permit.so;",
  "account [success=1 default=ignore] pam_permit.so;",
  "account [default=done] pam_unix.so;",
  "account sufficient pam_unix.so;",
];

function stack(platform: "debian" | "redhat", hasAcls: boolean): fc.Arbitrary<{ text: string; mustRefuse: Array<[string, string]> }> {
  return fc
    .record({
      others: fc.array(otherLine, { maxLength: 3 }),
      before: fc.array(accountLine(platform), { maxLength: 2 }),
      after: fc.array(accountLine(platform), { maxLength: 2 }),
      marker: fc.integer({ min: 0, max: 2 }),
      bypass: fc.integer({ min: 0, max: 24 }),
      shuffle: fc.array(fc.nat(), { minLength: 4, maxLength: 4 }),
    })
    .map((s) => {
      const mustRefuse: Array<[string, string]> = [];
      const account: string[] = [];
      // marker 0: no `account acls;` (the lists go before the first account line).
      // Red Hat's /etc/pam.d/other (what Linux-PAM runs for a service without account lines) denies
      // everyone and the Debian test host has Debian's: give Red Hat stacks an account line.
      const after = platform === "redhat" && s.before.length + s.after.length === 0 ? ["account include system-auth;"] : s.after;
      if (s.marker === 0) account.push(...s.before, ...after);
      else {
        const before = [...s.before];
        if (hasAcls && s.bypass < BYPASS.length) {
          before.splice(s.bypass % (before.length + 1), 0, BYPASS[s.bypass]!);
          mustRefuse.push(["PC4102", `${BYPASS[s.bypass]} before account acls;`]);
        }
        account.push(...before, "account acls;", ...after);
      }
      // Other types go anywhere between account lines; the account lines keep their order.
      const lines = [...account];
      s.others.forEach((o, i) => lines.splice(s.shuffle[i]! % (lines.length + 1), 0, o));
      return { text: `stack { ${lines.join(" ")} }`, mustRefuse };
    });
}

interface ServiceSpec {
  text: string;
  pam: string;
  mustRefuse: Array<[string, string]>;
}

function service(platform: "debian" | "redhat", lists: readonly ListDef[], index: number): fc.Arbitrary<ServiceSpec> {
  return fc
    .record({
      name: fc.constantFrom(...SERVICE_NAMES),
      pam: fc.option(fc.constantFrom(...PAM_NAMES), { freq: 3 }),
      template: fc.constantFrom("", "template local;", "template service;", 'template "local";'),
      custom: fc.integer({ min: 0, max: 3 }),
      nacl: fc.integer({ min: 0, max: 3 }),
      file0: fc.nat(),
    })
    .chain((s) =>
      fc
        .tuple(fc.tuple(...Array.from({ length: s.nacl }, (_, i) => acl(lists, s.file0 + i))), stack(platform, s.nacl > 0))
        .map(([acls, st]) => {
          const name = `${s.name}${index ? `-${index}` : ""}`;
          const pam = s.pam ? `${s.pam}${index ? index : ""}` : name;
          const items: string[] = [];
          if (s.pam) items.push(`pam ${s.pam}${index ? index : ""};`);
          const mustRefuse = acls.flatMap((a) => a.mustRefuse);
          if (s.custom === 0) {
            items.push(st.text);
            mustRefuse.push(...st.mustRefuse);
          } else if (s.template) items.push(s.template);
          items.push(...acls.map((a) => a.text));
          // Two access lists on one file must have the same entries (PC3011): give each its own file.
          const files = new Set<string>();
          const dupFile = acls.some((a) => (files.has(a.file) ? true : (files.add(a.file), false)));
          if (dupFile) return null;
          return { text: `service ${name} {\n  ${items.join("\n  ")}\n}`, pam, mustRefuse };
        }),
    )
    .filter((s): s is ServiceSpec => s !== null);
}

// ---------------------------------------------------------------------------
// Mail
// ---------------------------------------------------------------------------

const MECHS = ["PLAIN", "LOGIN", "CRAM-MD5", "DIGEST-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256", "GSSAPI", "EXTERNAL", "NTLM", "OTP"];
const OPTIONS = ["noplaintext", "noanonymous", "nodictionary", "noactive", "forwardsecrecy", "mutual"];
const MAIL_DOMAINS = ["mx.example.test", "mx.example.test.", "mail.example.org", "MX.Example.NET", "example.test", "e2e.example"];

const listen = fc.oneof(
  { arbitrary: fc.constantFrom("listen smtp;", "listen submission;", "listen 2525;", 'listen "smtp";'), weight: 3 },
  {
    arbitrary: fc
      .record({
        port: fc.constantFrom("smtp", "submission", "2526", "10025"),
        address: fc.constantFrom(
          "",
          "address 127.0.0.1;",
          "address 0.0.0.0;",
          "address ::1; family inet6;",
          "address 192.0.2.25;",
          "family inet;",
        ),
        name: fc.constantFrom("", "name Local_1;", "name MTA2;", 'name "Sub-2";'),
        modifiers: fc.constantFrom("", "modifiers E;", "modifiers a;", "modifiers E, b;", "modifiers Ea;", "modifiers f;"),
      })
      .map((l) => `listen ${l.port} { ${[l.address, l.name, l.modifiers].filter(Boolean).join(" ")} }`),
    weight: 2,
  },
);

function mail(lists: readonly ListDef[]): fc.Arbitrary<{ text: string; mustRefuse: Array<[string, string]> }> {
  return fc
    .record({
      domainLits: fc.subarray(MAIL_DOMAINS, { minLength: 1, maxLength: 2 }),
      listens: fc.array(listen, { minLength: 1, maxLength: 2 }),
      mechs: fc
        .tuple(fc.subarray(MECHS, { maxLength: 4 }), fc.integer({ min: 0, max: 11 }))
        .map(([ms, a]) => (a === 0 ? [...ms, "ANONYMOUS"] : ms)),
      lower: fc.boolean(),
      options: fc.subarray(OPTIONS, { maxLength: 2 }),
      backend: fc.constantFrom("", "auth backend sasldb;", "auth backend saslauthd;"),
      relayAuth: fc.integer({ min: 0, max: 3 }),
      trustSubset: fc.array(fc.nat(), { maxLength: 3 }),
      relayDomains: fc.option(valuesOf("domains", lists, 1, 2), { freq: 2 }),
      relayNetworks: fc.option(valuesOf("networks", lists, 1, 3), { freq: 2 }),
      openNet: fc.integer({ min: 0, max: 14 }),
      openDomain: fc.integer({ min: 0, max: 14 }),
      accounts: fc.option(valuesOf("users", lists, 1, 2), { freq: 2 }),
      tls: fc.integer({ min: 0, max: 11 }),
      accountNames: fc.subarray(["mailman", "relay-user", "svc.backup", "user_9", "Alice"], { minLength: 1, maxLength: 2 }),
      accountRef: fc.integer({ min: 0, max: 5 }),
      // About a third: no auth setting at all (the block must then offer no AUTH).
      noAuth: fc.integer({ min: 0, max: 2 }),
    })
    .map((m) => (m.noAuth === 0 ? { ...m, mechs: [], options: [], backend: "", relayAuth: 0, accounts: null } : m))
    .map((m) => {
      const mustRefuse: Array<[string, string]> = [];
      // Two sockets on one port would share a default name (PC3017): one socket per port.
      const port = (l: string) => /^listen "?([^ ";{]+)/.exec(l)![1]!.replace("25", "smtp");
      const listens = m.listens.filter((l, i) => m.listens.findIndex((o) => port(o) === port(l)) === i);
      const items: string[] = [`domain ${m.domainLits.join(", ")};`, ...listens];
      const mechs = m.mechs.map((x) => (m.lower ? x.toLowerCase() : x));
      if (mechs.length) items.push(`auth mechanisms ${mechs.join(", ")};`);
      if (m.options.length) items.push(`auth options ${m.options.join(", ")};`);
      if (m.backend) items.push(m.backend);
      let trusted: string[] = [];
      if (mechs.length && m.relayAuth > 0) {
        if (m.relayAuth === 1) {
          items.push("relay authenticated;");
          trusted = m.mechs;
        } else {
          trusted = [...new Set(m.trustSubset.map((i) => m.mechs[i % m.mechs.length]!))];
          if (trusted.length === 0) trusted = [m.mechs[0]!];
          items.push(`relay authenticated ${trusted.join(", ")};`);
        }
      }
      if (trusted.includes("ANONYMOUS")) mustRefuse.push(["PC4101", "relay authenticated trusts ANONYMOUS"]);
      const refusing = (vals: readonly string[], open: readonly string[]) => vals.filter((v) => open.includes(v));
      if (m.relayDomains || m.openDomain === 0) {
        const spelled = [...(m.relayDomains?.spelled ?? [])];
        const resolved = [...(m.relayDomains?.resolved ?? [])];
        if (m.openDomain === 0) {
          const d = OPEN_DOMAINS[m.tls % OPEN_DOMAINS.length]!;
          spelled.push(d);
          resolved.push(d);
        }
        items.push(`relay domains ${[...new Set(spelled)].join(", ")};`);
        for (const d of refusing(resolved, OPEN_DOMAINS)) mustRefuse.push(["PC4101", `relay domain ${d} is a whole top-level domain`]);
      }
      if (m.relayNetworks || m.openNet === 0) {
        const spelled = [...(m.relayNetworks?.spelled ?? [])];
        const resolved = [...(m.relayNetworks?.resolved ?? [])];
        if (m.openNet === 0) {
          const n = OPEN_NETWORKS[m.tls % OPEN_NETWORKS.length]!;
          spelled.push(m.tls % 2 ? q(n) : n);
          resolved.push(n);
        }
        items.push(`relay networks ${[...new Set(spelled)].join(", ")};`);
        for (const n of refusing(resolved, OPEN_NETWORKS)) mustRefuse.push(["PC4101", `relay network ${n} is /7 or wider`]);
      }
      if (m.accounts && mechs.length) {
        // SASL account names are narrower than user names: a users list only sometimes.
        const users = lists.find((d) => d.kind === "users");
        items.push(`accounts ${[...m.accountNames, ...(users && m.accountRef === 0 ? [listRef(users.name)] : [])].join(", ")};`);
      }
      if (m.tls === 1) {
        items.push(
          "tls certificate /etc/ssl/certs/mx.pem;",
          "tls key /etc/ssl/private/mx.key;",
          "tls ca /etc/ssl/certs/ca-certificates.crt;",
          "tls ca-path /etc/ssl/certs;",
        );
      } else if (m.tls === 2 && m.accountRef < 2) {
        items.push("tls certificate /etc/mail/tls/cert.pem;", "tls key /etc/mail/tls/key.pem;");
        mustRefuse.push(["PC3009", "tls certificate and key without ca and ca-path"]);
      }
      return { text: `mail {\n  ${items.join("\n  ")}\n}`, mustRefuse };
    });
}

// ---------------------------------------------------------------------------
// Policies
// ---------------------------------------------------------------------------

/** A whole policy: platform, named lists, 0-2 services, an optional mail block (at least one of the two). */
export const policy: fc.Arbitrary<GeneratedPolicy> = fc
  .record({
    platform: fc.constantFrom<"debian" | "redhat">("debian", "debian", "redhat"),
    lists: listDefs,
    nsvc: fc.constantFrom(0, 1, 1, 1, 2, 2),
    withMail: fc.integer({ min: 0, max: 9 }),
  })
  .chain(({ platform, lists, nsvc, withMail }) => {
    // About half have mail: each costs a run of m4 and sendmail -bt.
    const hasMail = withMail < 4 || nsvc === 0;
    return fc
      .tuple(
        fc.tuple(...Array.from({ length: nsvc }, (_, i) => service(platform, lists, i))),
        hasMail ? mail(lists).map((m) => m as { text: string; mustRefuse: Array<[string, string]> } | null) : fc.constant(null),
        fc.boolean(),
      )
      .map(([services, m, comment]) => {
        const parts = [`${comment ? "# generated by test/e2e/arbitrary-policy.ts\n" : ""}platform ${platform};`];
        for (const d of lists) parts.push(`${d.kind} ${d.name} = ${d.values.join(", ")};`);
        for (const s of services) parts.push(s.text);
        if (m) parts.push(m.text);
        const mustRefuse = [...services.flatMap((s) => s.mustRefuse), ...(m?.mustRefuse ?? [])];
        return { text: parts.join("\n") + "\n", platform, hasMail: m !== null, mustRefuse, files: {}, hosts: [], mailHosts: [] };
      });
  });

// ---------------------------------------------------------------------------
// Fleets: roles taken by several hosts, from an inventory
// ---------------------------------------------------------------------------

const FLEET_HOSTS = ["mx1", "web-1", "bastion"];
type Take = "no" | "inventory" | "line";

/** The inventory in INI or YAML: a group per role, the hosts that take it through the inventory. */
function inventory(yaml: boolean, groups: Record<string, string[]>): string {
  const used = Object.entries(groups).filter(([, hosts]) => hosts.length);
  if (yaml) {
    const lines = ["# generated by test/e2e/arbitrary-policy.ts", "all:", "  children:"];
    for (const [g, hosts] of used) lines.push(`    ${g}:`, "      hosts:", ...hosts.map((h) => `        ${h}:`));
    if (used.length === 0) lines.push("    {}");
    return lines.join("\n") + "\n";
  }
  const lines = ["# generated by test/e2e/arbitrary-policy.ts"];
  for (const [g, hosts] of used) lines.push(`[${g}]`, ...hosts.map((h, i) => (i % 2 ? `${h} ansible_host=192.0.2.${10 + i}` : h)));
  lines.push("", "[all:vars]", "ansible_user=deploy");
  return lines.join("\n") + "\n";
}

/**
 * A fleet: named lists, a top-level service or none, `role shell` (a service
 * whose access list names the open list `$admins`) and `role relay` (a mail
 * block whose domain may be the open list `$mail_domain`), and 2 or 3 hosts
 * that take them through the inventory or a `role` line; each role is taken
 * by at least one host, each host takes at least one role and defines the
 * lists its roles leave open.
 */
export const fleetPolicy: fc.Arbitrary<GeneratedPolicy> = fc
  .record({
    platform: fc.constantFrom<"debian" | "redhat">("debian", "debian", "redhat"),
    lists: listDefs,
    topService: fc.boolean(),
    nhosts: fc.integer({ min: 2, max: 3 }),
    takes: fc.array(fc.tuple(fc.constantFrom<Take>("no", "inventory", "line"), fc.constantFrom<Take>("no", "inventory", "line")), {
      minLength: 3,
      maxLength: 3,
    }),
    yaml: fc.boolean(),
    item: fc.constantFrom("user", "ruser"),
    sense: fc.constantFrom("allow", "deny"),
    onerr: fc.constantFrom("", " onerr succeed;"),
    extra: fc.option(fc.constantFrom("carol", "dave"), { freq: 2 }),
    admins: fc.array(fc.subarray(["root", "alice", "bob", "carol", "e2e-x1"], { minLength: 1, maxLength: 3 }), {
      minLength: 3,
      maxLength: 3,
    }),
    domainRef: fc.integer({ min: 0, max: 3 }),
    mailDomains: fc.array(fc.constantFrom("mx1.example.net", "mail.example.org", "MX.Example.TEST"), { minLength: 3, maxLength: 3 }),
  })
  .chain((f) => {
    const hosts = FLEET_HOSTS.slice(0, f.nhosts);
    const takes = hosts.map((_, i) => [...f.takes[i]!] as [Take, Take]);
    if (!takes.some((t) => t[0] !== "no")) takes[0]![0] = "inventory";
    if (!takes.some((t) => t[1] !== "no")) takes[takes.length - 1]![1] = "inventory";
    takes.forEach((t) => {
      if (t[0] === "no" && t[1] === "no") t[0] = "line";
    });
    return fc
      .tuple(
        f.topService ? service(f.platform, f.lists, 1).map((s) => s as ServiceSpec | null) : fc.constant(null),
        mail(f.lists),
        fc.boolean(),
      )
      .map(([top, m, comment]) => {
        const file = f.yaml ? "hosts.yml" : "hosts.ini";
        const parts = [
          `${comment ? "# generated by test/e2e/arbitrary-policy.ts (fleet)\n" : ""}platform ${f.platform};`,
          `inventory "${file}";`,
        ];
        for (const d of f.lists) parts.push(`${d.kind} ${d.name} = ${d.values.join(", ")};`);
        if (top) parts.push(top.text);
        const entries = [listRef("admins"), ...(f.extra ? [f.extra] : [])].join(", ");
        parts.push(
          `role shell {\n  service rolesvc {\n    acl ${f.item} ${f.sense} "/etc/policyc-prop/role-admins" { entries ${entries};${f.onerr} }\n  }\n}`,
        );
        const mailText = f.domainRef > 0 ? m.text.replace(/^ {2}domain [^;]*;/m, `  domain ${listRef("mail_domain")};`) : m.text;
        parts.push(`role relay {\n  ${mailText.split("\n").join("\n  ")}\n}`);
        const groups: Record<string, string[]> = { shell: [], relay: [] };
        hosts.forEach((h, i) => {
          const [shell, relay] = takes[i]!;
          const items: string[] = [];
          const lineRoles = [...(shell === "line" ? ["shell"] : []), ...(relay === "line" ? ["relay"] : [])];
          if (lineRoles.length) items.push(`role ${lineRoles.join(", ")};`);
          if (shell === "inventory") groups.shell!.push(h);
          if (relay === "inventory") groups.relay!.push(h);
          if (shell !== "no") items.push(`users admins = ${f.admins[i]!.join(", ")};`);
          if (relay !== "no" && f.domainRef > 0) items.push(`domains mail_domain = ${f.mailDomains[i]!};`);
          parts.push(`host ${h} {\n  ${items.join("\n  ")}\n}`);
        });
        const mailHosts = hosts.filter((_, i) => takes[i]![1] !== "no");
        const mustRefuse = [...(top?.mustRefuse ?? []), ...m.mustRefuse];
        return {
          text: parts.join("\n") + "\n",
          platform: f.platform,
          hasMail: true,
          mustRefuse,
          files: { [file]: inventory(f.yaml, groups) },
          hosts,
          mailHosts,
        };
      });
  });

/** What the property tests draw: mostly single-host policies, about one in six a fleet. */
export const anyPolicy: fc.Arbitrary<GeneratedPolicy> = fc.oneof({ arbitrary: policy, weight: 5 }, { arbitrary: fleetPolicy, weight: 1 });
