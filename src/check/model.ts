import { Messages } from "../diagnostics/messages.js";
/**
 * The checked model: what the policy means, with every name resolved and
 * every value validated. Targets read only this, never the AST. Each object
 * keeps the span it came from, for later diagnostics and the manifest.
 */
import type { Span } from "../diagnostics/diagnostic.js";
import type { SourceFile } from "../diagnostics/source.js";
import { fnv1a } from "./unique.js";

export const PLATFORMS = ["debian", "redhat"] as const;
export type PlatformName = (typeof PLATFORMS)[number];

/**
 * The releases of each platform whose stock files policyc ships, the default
 * first: `platform debian;` is `platform debian-12;`. A release is named
 * where the distribution's files differ between releases.
 */
export const RELEASES: Record<PlatformName, readonly string[]> = {
  debian: ["12"],
  redhat: ["9"],
};

export const ITEMS = ["user", "tty", "rhost", "ruser", "group", "shell"] as const;
export type Item = (typeof ITEMS)[number];

/** What one policy builds: one model per host, or a single one named null without host blocks. */
export interface Build {
  hosts: { name: string | null; model: Model }[];
}

export interface Model {
  /** The policy file given on the command line; its path is named in every header. */
  source: SourceFile;
  /** The host block this model is for, or null for a policy without hosts. */
  host: string | null;
  platform: PlatformName;
  /** The platform's release, e.g. "12" for `platform debian;` or `platform debian-12;`. */
  release: string;
  services: ServiceModel[];
  mail: MailModel | null;
  /** `unsafe CODE "reason";` settings: each turns one safety error in its block into a warning. */
  overrides: UnsafeOverride[];
}

/** Safety checks a policy may override, visibly, with `unsafe CODE "reason";`. */
export const OVERRIDABLE = ["PC4101", "PC4102", "PC4105", "PC4115"] as const;

/**
 * Warnings a policy may acknowledge with `unsafe CODE "reason";` (README
 * "Safety checks"): every warning of the catalogue but those about unsafe
 * itself and about policyc (PC4100, PC4103, PC9001).
 */
export const ACKNOWLEDGEABLE: readonly string[] = Object.values(Messages)
  .filter((d) => d.severity === "warning" && !["PC4100", "PC4103", "PC9001"].includes(d.code))
  .map((d) => d.code);

export interface UnsafeOverride {
  code: string;
  reason: string;
  /** The block it sits in: it covers diagnostics inside this span. */
  scope: Span;
  span: Span;
}

/** One PAM-using daemon and its access lists. */
export interface ServiceModel {
  name: string;
  /** The PAM service name, i.e. the file name under /etc/pam.d. */
  pamService: string;
  /** templates/<platform>/pam.d/<template>, used when there is no custom stack. */
  template: string;
  /** Whether the policy named the template (`template NAME;`); otherwise the platform's stock file for pamService is used where it ships one. */
  templateSet: boolean;
  /** A custom stack replacing the template, or null. */
  stack: PamStackEntry[] | null;
  acls: AclModel[];
  span: Span;
}

/** A line of a custom PAM stack, or the place of the access lists. */
export type PamStackEntry =
  { kind: "line"; type: PamType; control: string; module: string; args: string[]; span: Span } | { kind: "acls"; span: Span };

export type PamType = "auth" | "account" | "password" | "session";

/** One pam_listfile line and the list file it reads. */
export interface AclModel {
  service: string;
  item: Item;
  sense: "allow" | "deny";
  /** Absolute path on the target host. */
  file: string;
  onerr: "succeed" | "fail";
  /** `user` or `@group`, only for tty, rhost and shell. */
  apply: string | null;
  quiet: boolean;
  /** In the order written, named lists expanded in place, duplicates dropped. */
  entries: EntryList;
  span: Span;
  fileSpan: Span;
  onerrSpan: Span | null;
}

/**
 * A value with the span it was written at. An Entry is its own span (one
 * object per entry: lists of a million entries are the norm at some sites).
 */
export interface Entry extends Span {
  value: string;
}

/**
 * Entries held compactly: where each was written, its text made on demand.
 * A site's list of a million user names would otherwise be a million
 * objects and a million strings alive at once; here it is three arrays of
 * small integers over the source text the compiler holds anyway.
 *
 * A list may begin with another, finished list that it references instead
 * of copying (its head): `$staff, $admins` in every host of a fleet is the
 * one `$staff` followed by each host's few admins. A head has no head of
 * its own, so reading an entry is one step whatever the policy's shape.
 */
const EMPTY_I32 = new Int32Array(0);

export class EntryList {
  private readonly files: SourceFile[] = [];
  /** The list whose first headN entries are this one's first, shared, never changed; null: none. */
  private head: EntryList | null = null;
  private headN = 0;
  // Entry headN + i is data[3i] (its file's index in files), data[3i+1] and
  // data[3i+2] (start and end): one typed array, empty until the first
  // reserve. A typed array costs an allocation outside the heap (and counts
  // towards garbage collection), and a fleet makes hundreds of thousands of
  // short lists.
  private data: Int32Array = EMPTY_I32;
  /** Entries held in data (after the head). */
  private n = 0;
  /** Values that are not their source text (quoted strings), by index in data. */
  private decoded: Map<number, string> | null = null;

  get length(): number {
    return this.headN + this.n;
  }

  /** The list this one's first headLength entries are (shared, never changed), or null. */
  get sharedHead(): EntryList | null {
    return this.head;
  }

  get headLength(): number {
    return this.headN;
  }

  /** Makes room for `extra` more entries (exactly, when told the size ahead). */
  reserve(extra: number): void {
    const need = this.n + extra;
    const capacity = this.data.length / 3;
    if (need <= capacity) return;
    const size = Math.max(need, Math.floor(capacity * 1.5));
    const data = new Int32Array(size * 3);
    data.set(this.data.subarray(0, this.n * 3));
    this.data = data;
  }

  private fileIndex(file: SourceFile): number {
    const last = this.files.length - 1;
    if (last >= 0 && this.files[last] === file) return last;
    const f = this.files.indexOf(file);
    return f === -1 ? this.files.push(file) - 1 : f;
  }

  /** Adds an entry; `value` is null when it is exactly the source text between start and end. */
  push(file: SourceFile, start: number, end: number, value: string | null): void {
    if (this.n * 3 >= this.data.length) this.reserve(1);
    const i = this.n++;
    if (value !== null) (this.decoded ??= new Map()).set(i, value);
    this.data[3 * i] = this.fileIndex(file);
    this.data[3 * i + 1] = start;
    this.data[3 * i + 2] = end;
  }

  /**
   * Adds every entry of another list, in order. Into an empty list, a list
   * that will not change again (a resolved list) is referenced, not copied:
   * `shared` says it will not.
   */
  append(other: EntryList, shared = false): void {
    if (shared && this.length === 0 && other.length > 0) {
      if (other.head) {
        this.head = other.head;
        this.headN = other.headN;
        this.copyData(other);
      } else {
        this.head = other;
        this.headN = other.n;
      }
      return;
    }
    if (other.head) {
      this.reserve(other.length);
      this.copyData(other.head, other.headN);
    }
    this.copyData(other);
  }

  /** Adds the first `count` entries held in another list's data (all by default), in order. */
  private copyData(other: EntryList, count = other.n): void {
    this.reserve(count);
    const map = other.files.map((f) => this.fileIndex(f));
    const base = this.n;
    this.data.set(other.data.subarray(0, count * 3), base * 3);
    if (map.some((to, from) => to !== from)) for (let i = 0; i < count; i++) this.data[3 * (base + i)] = map[other.data[3 * i]!]!;
    if (other.decoded) for (const [i, v] of other.decoded) if (i < count) (this.decoded ??= new Map()).set(base + i, v);
    this.n += count;
  }

  /** A copy without the entries whose index is set in drop; it keeps the head when drop spares it. */
  without(drop: Uint8Array): EntryList {
    let headKept = this.head !== null;
    for (let i = 0; headKept && i < this.headN; i++) if (drop[i]) headKept = false;
    const out = new EntryList();
    let kept = 0;
    for (let i = headKept ? this.headN : 0; i < this.length; i++) if (!drop[i]) kept++;
    out.reserve(kept);
    let from = 0;
    if (headKept) {
      out.head = this.head;
      out.headN = this.headN;
      from = this.headN;
    }
    let k = 0;
    for (let i = from; i < this.length; i++) {
      if (drop[i]) continue;
      // The list (this one, or its head) holding entry i in its data, and where.
      const inHead = i < this.headN;
      const src: EntryList = inHead ? this.head! : this;
      const j = inHead ? i : i - this.headN;
      const d = src.decoded?.get(j);
      if (d !== undefined) (out.decoded ??= new Map()).set(k, d);
      out.data[3 * k] = out.fileIndex(src.files[src.data[3 * j]!]!);
      out.data[3 * k + 1] = src.data[3 * j + 1]!;
      out.data[3 * k + 2] = src.data[3 * j + 2]!;
      k++;
    }
    out.n = k;
    return out;
  }

  /** FNV-1a of value(i), read from the source text without making the string. */
  hash(i: number): number {
    if (i < this.headN) return this.head!.hash(i);
    i -= this.headN;
    const d = this.decoded?.get(i);
    return d !== undefined ? fnv1a(d) : fnv1a(this.files[this.data[3 * i]!]!.text, this.data[3 * i + 1], this.data[3 * i + 2]);
  }

  /** The length of value(i), without making it. */
  valueLength(i: number): number {
    if (i < this.headN) return this.head!.valueLength(i);
    i -= this.headN;
    const d = this.decoded === null ? undefined : this.decoded.get(i);
    return d !== undefined ? d.length : this.data[3 * i + 2]! - this.data[3 * i + 1]!;
  }

  value(i: number): string {
    if (i < this.headN) return this.head!.value(i);
    i -= this.headN;
    const d = this.decoded?.get(i);
    return d ?? this.files[this.data[3 * i]!]!.text.slice(this.data[3 * i + 1], this.data[3 * i + 2]);
  }

  at(i: number): Entry {
    if (i < this.headN) return this.head!.at(i);
    const value = this.value(i);
    i -= this.headN;
    return { value, file: this.files[this.data[3 * i]!]!, start: this.data[3 * i + 1]!, end: this.data[3 * i + 2]! };
  }

  /** Every entry as an object: for the short lists of the mail block and for tests. */
  toArray(): Entry[] {
    return Array.from({ length: this.length }, (_, i) => this.at(i));
  }

  /** Appends the values of entries [from, to) to out, in order: value() without its steps per entry. */
  valuesInto(out: string[], from: number, to: number): void {
    if (from < this.headN) {
      this.head!.valuesInto(out, from, Math.min(to, this.headN));
      from = this.headN;
    }
    const files = this.files;
    const data = this.data;
    const decoded = this.decoded;
    for (let i = from - this.headN, end = to - this.headN; i < end; i++) {
      const d = decoded === null ? undefined : decoded.get(i);
      out.push(d ?? files[data[3 * i]!]!.text.slice(data[3 * i + 1], data[3 * i + 2]));
    }
  }

  /** Every value, in order. */
  values(): string[] {
    const out = new Array<string>(this.length);
    for (let i = 0; i < this.length; i++) out[i] = this.value(i);
    return out;
  }

  /** Entries held in this list's own data, not referenced from a head (for tests and measurements). */
  get ownLength(): number {
    return this.n;
  }
}

/** A sendmail listening socket: one DAEMON_OPTIONS line. */
export interface ListenModel {
  port: string;
  address: string | null;
  family: "inet" | "inet6" | null;
  name: string;
  modifiers: string;
  span: Span;
}

export type SaslBackend = "sasldb" | "saslauthd";

/** Paths on the target host; they reach the .mc, so they are checked against m4 too. */
export interface TlsModel {
  certificate: string;
  key: string;
  ca: string;
  caPath: string;
  span: Span;
}

/** The mail relay: everything that goes into sendmail.mc and its data files. */
export interface MailModel {
  /** Names this host accepts mail for (local-host-names, class w). */
  localDomains: Entry[];
  listen: ListenModel[];
  /** SMTP AUTH mechanisms offered (confAUTH_MECHANISMS, mech_list). */
  mechanisms: Entry[];
  /** Mechanisms whose successful use permits relaying (TRUST_AUTH_MECH); empty: none. */
  trusted: Entry[];
  /** confAUTH_OPTIONS letters. */
  authOptions: string;
  /** STARTTLS certificate, key and CAs (paths on the host), or null: no STARTTLS. */
  tls: TlsModel | null;
  backend: SaslBackend;
  /** Recipient domains relayed for anyone (access map To:DOMAIN RELAY). */
  relayDomains: Entry[];
  /** Client networks allowed to relay, as sendmail octet prefixes (access map Connect:PREFIX RELAY). */
  relayNetworks: { prefix: string; network: string; span: Span }[];
  /** SASL accounts expected in the password database (names only). */
  accounts: Entry[];
  /** The `accounts` setting, when there is one. */
  accountsSpan: Span | null;
  span: Span;
  relayAuthenticatedSpan: Span | null;
  /** `greet pause MS;` (FEATURE greet_pause), or null: the platform's stock .mc decides. */
  greetPause: { ms: number; span: Span } | null;
}
