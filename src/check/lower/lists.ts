/**
 * The lists of one lowering (the shared top level plus one host block):
 * their definitions, resolution (cycles included) and the expansion of
 * values into entries, the hot path of a large policy.
 */
import type { DiagnosticBag, Span } from "../../diagnostics/diagnostic.js";
import { Messages } from "../../diagnostics/messages.js";
import type { SourceFile } from "../../diagnostics/source.js";
import type { ListDef, ListKind, Value, Word } from "../../syntax/ast.js";
import { eachRef, eachValueSpan, valueCount } from "../../syntax/build.js";
import { describeChar, firstHidden } from "../../syntax/chars.js";
import { lookAlike } from "../confusables.js";
import { EntryList } from "../model.js";
import { NearNames, rangeHashes } from "../suggest.js";
import { repeats } from "../unique.js";
import * as v from "../values.js";

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

interface ListInfo {
  def: ListDef;
  file: SourceFile;
  resolved: EntryList | null;
  resolving: boolean;
  /**
   * Which entries the list has, as a number: equal for two scopes when the
   * list is the same definition and every list it names (transitively) is
   * too; a fresh one inside a cycle. Set when the list is resolved.
   */
  resolution: number;
}

/**
 * What the scopes of one policy share (see lower/shared.ts): the names of
 * the lists a scope defines, as a number (`names`), and a cache of
 * resolved lists by resolution and names. Without it, nothing is shared.
 */
export interface ListSharing {
  /** The names of the scope's lists with their kinds, as a number (equal scopes, equal numbers). */
  readonly names: number;
  /** The number of a definition's resolution, from its node and the resolutions of the lists it names; fresh (below -1, never shared) when one of those is negative (-1: in a cycle) or the definition is a host's own. */
  resolution(def: ListDef, deps: readonly number[]): number;
  /** A list already resolved with these names. */
  get(resolution: number): EntryList | undefined;
  set(resolution: number, list: EntryList): void;
  /** The suggestion indexes of this scope's names, made once for every scope with the same names. */
  nearNames(make: () => Map<ListKind, NearNames>): Map<ListKind, NearNames>;
}

export class ListScope {
  private readonly lists = new Map<string, ListInfo>();

  constructor(
    private readonly diagnostics: DiagnosticBag,
    private readonly sharing?: ListSharing,
  ) {}

  /** The resolution number of the list of this name (see ListInfo.resolution), or -1: none, or not resolved. */
  resolutionOf(name: string): number {
    const info = this.lists.get(name);
    return info?.resolved ? info.resolution : -1;
  }

  /** Defines a list unless one of that name is defined already: the first wins (UniqueListRule reports the others). */
  define(file: SourceFile, def: ListDef): void {
    if (!this.lists.has(def.name.value)) this.lists.set(def.name.value, { def, file, resolved: null, resolving: false, resolution: -1 });
  }

  /** Resolves every defined list (reporting cycles and bad entries once). */
  resolveAll(): void {
    for (const info of this.lists.values()) this.resolveList(info);
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
    // cyclic: a list of the frame was found resolving (a cycle), so its entries are not shared.
    const stack: { info: ListInfo; deps: ListInfo[]; next: number; cyclic: boolean }[] = [];
    const depth = new Map<ListInfo, number>();
    const enter = (info: ListInfo): void => {
      info.resolving = true;
      depth.set(info, stack.length);
      const deps: ListInfo[] = [];
      eachRef(info.def, (name) => {
        const dep = this.lists.get(name);
        if (dep && dep.def.listKind === info.def.listKind) deps.push(dep);
      });
      stack.push({ info, deps, next: 0, cyclic: false });
    };
    enter(start);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (top.next < top.deps.length) {
        const dep = top.deps[top.next++]!;
        if (dep.resolved) continue;
        if (dep.resolving) {
          top.cyclic = true;
          // The path, cut in the middle when long: a policy may make many
          // cycles through a deep chain, and each report must cost O(1).
          const from = depth.get(dep)!;
          const names = (a: number, b: number) => stack.slice(a, b).map((e) => e.info.def.name.value);
          const name = dep.def.name.value;
          const path =
            stack.length - from <= 8
              ? names(from, stack.length)
              : [...names(from, from + 4), "...", ...names(stack.length - 3, stack.length)];
          this.diagnostics.report(
            Messages.ListCycle,
            { file: dep.file, ...dep.def.name.loc },
            { name, path: [...path, name].join(" -> ") },
          );
          continue;
        }
        enter(dep);
        continue;
      }
      stack.pop();
      const info = top.info;
      const sharing = this.sharing;
      if (sharing) {
        info.resolution = sharing.resolution(info.def, top.cyclic ? [-1] : top.deps.map((d) => d.resolution));
        const known = sharing.get(info.resolution);
        if (known) {
          // Its findings were reported when it was first resolved (the bag would drop them again).
          info.resolved = known;
          info.resolving = false;
          continue;
        }
      }
      info.resolved = this.expand(info.file, info.def, info.def.listKind, `list "${info.def.name.value}"`);
      sharing?.set(info.resolution, info.resolved);
      info.resolving = false;
    }
    return start.resolved!;
  }

  /**
   * The value sets of this scope's own lists (a host's own `$staff`), kept
   * while the scope lives: a list referenced as a head lives as long as the
   * models, and the global cache would keep its set as long.
   */
  private readonly localSets = new Map<EntryList, Set<string>>();

  private localValueSet(list: EntryList): Set<string> {
    let set = this.localSets.get(list);
    if (!set) this.localSets.set(list, (set = makeValueSet(list)));
    return set;
  }

  /** List names of each kind for suggestions (PC2006, PC2011), made once. */
  private namesByKind: Map<ListKind, NearNames> | null = null;

  private listNames(kind: ListKind): NearNames | null {
    if (!this.namesByKind) {
      const make = () => {
        const names = new Map<ListKind, string[]>();
        for (const l of this.lists.values()) {
          const list = names.get(l.def.listKind) ?? [];
          list.push(l.def.name.value);
          names.set(l.def.listKind, list);
        }
        return new Map([...names].map(([k, list]) => [k, new NearNames(list)]));
      };
      this.namesByKind = this.sharing ? this.sharing.nearNames(make) : make();
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
  expand(file: SourceFile, source: { values: Value[] }, kind: ListKind, context: string): EntryList {
    // A list taken whole as the first value is shared, not copied; once
    // something is added after it, it is the new list's head (still not copied).
    let shared: EntryList | null = null;
    /** The list taken whole as the first value, at the head of the result. */
    let base: EntryList | null = null;
    /** Whether base is kept for other scopes (SharedLowering), so its value set may be too. */
    let baseShared = false;
    let own: EntryList | null = null;
    const target = (): EntryList => {
      if (!own) {
        own = new EntryList();
        // Room for one entry per value and every list named (the lists are
        // resolved by now; a list in a cycle counts as empty): one allocation.
        let room = valueCount(source);
        eachRef(source, (name) => {
          const l = this.lists.get(name);
          if (l?.resolved && l.def.listKind === kind) room += l.resolved.length;
        });
        // The list taken whole is referenced as the head, not copied (a
        // resolved list never changes): every host's `$staff, $admins`
        // holds its admins only.
        if (shared) {
          own.append(shared, true);
          room -= shared.length;
        }
        own.reserve(room);
        // Entries made of literals alone are checked for repeats with
        // hashes taken as they are read (see below); only long lists need them.
        if (!shared && room >= REPEATS_BY_HASH) hashes = new Int32Array(room);
        shared = null;
      }
      return own;
    };
    /** The hash of each entry (rangeHashes of its value, mixed) while the entries are literals only, or null. */
    let hashes: Int32Array | null = null;
    let listRefs = 0;
    const literals = new Set<string>();
    let literalCount = 0;
    const typoCandidates = this.listNames(kind);
    /** For a bare word of a comma run on the slow path: the Word value it is. */
    const word: Word = { kind: "Word", value: "", loc: { start: 0, end: 0 } };
    const refused = WORD_REFUSES[kind];
    const value = (value: Value): void => {
      if (value.kind === "Ref") {
        const list = this.lists.get(value.name);
        if (!list) {
          const guess = typoCandidates?.closest(value.name);
          this.diagnostics.report(Messages.UnknownListRef, span(file, value.loc), {
            kind,
            name: value.name,
            suggestion: guess ? ` (did you mean $${guess}?)` : "",
          });
          return;
        }
        if (list.def.listKind !== kind) {
          this.diagnostics.report(Messages.ListKindMismatch, span(file, value.loc), {
            name: value.name,
            kind: list.def.listKind,
            context,
            expected: kind,
          });
          return;
        }
        // Inside a cycle the list is still being resolved: PC2009 said so, and it counts as empty.
        const other = list.resolved ?? (list.resolving ? new EntryList() : this.resolveList(list));
        if (!own && !shared) {
          shared = base = other;
          baseShared = this.sharing !== undefined && list.resolution >= 0;
        } else target().append(other);
        listRefs++;
        hashes = null;
        return;
      }
      if (value.kind === "Word") {
        const list = this.lists.get(value.value);
        if (list && list.def.listKind === kind) {
          this.diagnostics.report(Messages.AmbiguousLiteral, span(file, value.loc), { value: value.value, kind });
          return;
        }
      }
      const canonical = this.literalOk(file, value, kind);
      if (canonical === null) return;
      if (typoCandidates && value.kind === "Word" && value.value.length >= 4) {
        const guess = typoCandidates.closest(value.value);
        if (guess) {
          this.diagnostics.report(Messages.LikelyTypo, span(file, value.loc), {
            value: value.value,
            what: KIND_NOUN[kind],
            name: guess,
          });
        }
      }
      const entries = target();
      if (hashes) hashes[entries.length] = entryHash(rangeHashes(canonical, 0, canonical.length)[canonical.length]!);
      entries.push(file, value.loc.start, value.loc.end, value.kind === "Word" && canonical === value.value ? null : canonical);
      if (++literalCount <= 64) literals.add(canonical);
    };
    // The bare words of comma runs: most entries of a long list. A word that
    // passes every check without its string (the kind's shape by character,
    // then hashes: not a list's name, near none) is added where it stands;
    // any other takes value(), which makes the string and reports.
    // Where the refused character next stands in the text at or after the
    // last word: found natively, again only once a word passes it.
    let refusedText: string | null = null;
    let refusedAt = -1;
    eachValueSpan(
      source,
      file.text,
      (text, from, to, base) => {
        const n = to - from;
        let plain = refused !== undefined && literalCount >= 64 && n < 255;
        if (plain && (text !== refusedText || refusedAt < from)) {
          refusedText = text;
          refusedAt = text.indexOf(refused!, from);
          if (refusedAt === -1) refusedAt = text.length;
        }
        if (refusedAt < to) plain = false;
        let h = 0;
        if (plain) {
          const P = rangeHashes(text, from, to);
          h = P[n]!;
          if (typoCandidates && (typoCandidates.mayBeName(h) || (n >= 4 && typoCandidates.mayFind(P, n)))) plain = false;
        }
        if (!plain) {
          word.value = text.slice(from, to);
          word.loc.start = base + from;
          word.loc.end = base + to;
          value(word);
          return;
        }
        const entries = target();
        if (hashes) hashes[entries.length] = entryHash(h);
        entries.push(file, base + from, base + to, null);
        literalCount++;
      },
      value,
    );
    const entries: EntryList = own ?? shared ?? new EntryList();
    // A list's own entries are already free of repeats: with one list and a
    // few literals, a repeat must involve a literal, so only those are tracked.
    if (listRefs === 1 && literalCount === 0) return entries;
    let drop: Uint8Array | null;
    const head = base as EntryList | null; // set in the callback above, which TypeScript does not follow
    if (head && listRefs > 1 && head.length <= BASE_SET_LIMIT && entries.length - head.length <= head.length) {
      // `$staff, $admins`: the first list is whole at the head and free of
      // repeats, so only what follows it can repeat. Its values are a set made
      // once per resolved list (shared by every host taking it), and the few
      // entries after it are checked against that and each other.
      const before = baseShared ? valueSet(head) : this.localValueSet(head);
      const later = new Set<string>();
      drop = null;
      for (let i = head.length; i < entries.length; i++) {
        const v = entries.value(i);
        const size = later.size;
        if (before.has(v) || (later.add(v), later.size === size)) (drop ??= new Uint8Array(entries.length))[i] = 1;
      }
    } else if (listRefs <= 1 && literalCount <= 64) {
      drop = null;
      const emitted = new Set<string>();
      // Only an entry as long as a literal can be one: the others are passed
      // by their length, without making their strings (`$big, root` would
      // otherwise make a million of them).
      const lengths = new Set<number>();
      for (const l of literals) lengths.add(l.length);
      for (let i = 0; i < entries.length; i++) {
        if (!lengths.has(entries.valueLength(i))) continue;
        const v = entries.value(i);
        if (!literals.has(v)) continue;
        if (emitted.has(v)) (drop ??= new Uint8Array(entries.length))[i] = 1;
        else emitted.add(v);
      }
    } else {
      const list = entries;
      const known = listRefs === 0 ? hashes : null;
      drop = repeats(list.length, (i) => list.value(i), known ? (i) => known[i]! : (i) => list.hash(i));
    }
    return drop ? entries.without(drop) : entries;
  }

  /**
   * Checks a literal: what any list file line must be, that it does not pass
   * itself off as another name, then the kind's own shape. Returns the entry
   * as it is written to the list file (its canonical form), or null.
   */
  private literalOk(file: SourceFile, value: Value, kind: ListKind): string | null {
    const s = value.value;
    // Called for every entry of every list: a span is made only for a report.
    // A bare word is ASCII letters, digits and _ . / : @ + - (the lexer saw to
    // it): only strings can be empty, hold white space, hidden or non-ASCII characters.
    if (value.kind === "Word") {
      if (s.length >= 255) {
        this.diagnostics.report(Messages.EntryTooLong, span(file, value.loc), { bytes: s.length });
        return null;
      }
      return this.shapeOk(file, s, kind, value);
    }
    if (s === "") {
      this.diagnostics.report(Messages.EmptyEntry, span(file, value.loc));
      return null;
    }
    const hidden = firstHidden(s);
    if (hidden) {
      this.diagnostics.report(Messages.EntryControl, span(file, value.loc), { char: describeChar(hidden.char) });
      return null;
    }
    if (s.trim() !== s) {
      this.diagnostics.report(Messages.EntryWhitespace, span(file, value.loc), { value: s });
      return null;
    }
    const bytes = Buffer.byteLength(s);
    if (bytes >= 255) {
      this.diagnostics.report(Messages.EntryTooLong, span(file, value.loc), { bytes });
      return null;
    }
    if (bytes !== s.length) {
      const look = lookAlike(s);
      if (look?.kind === "compatibility") {
        this.diagnostics.report(Messages.CompatibilityForm, span(file, value.loc), {
          value: s,
          char: describeChar(look.char),
          plain: look.plain,
          normal: look.normal,
        });
        return null;
      }
      if (look?.kind === "mixed") {
        this.diagnostics.report(Messages.MixedScript, span(file, value.loc), { value: s, scripts: look.scripts, skeleton: look.skeleton });
        return null;
      }
      if (look?.kind === "whole") {
        this.diagnostics.report(Messages.LookAlike, span(file, value.loc), { value: s, script: look.scripts, skeleton: look.skeleton });
      }
    }
    return this.shapeOk(file, s, kind, value);
  }

  /** Checks a literal's shape for its kind; returns its canonical form (hosts and domains), or null. */
  private shapeOk(file: SourceFile, s: string, kind: ListKind, value: Value): string | null {
    const reason = KIND_REASON[kind](s);
    if (reason) {
      this.diagnostics.report(Messages.InvalidValue, span(file, value.loc), { value: s, what: KIND_NOUN[kind], reason });
      return null;
    }
    if (kind !== "hosts" && kind !== "domains") return s;
    const canonical = kind === "hosts" ? v.canonicalHost(s) : v.canonicalDomain(s);
    if (typeof canonical !== "string") {
      this.diagnostics.report(Messages.InvalidValue, span(file, value.loc), { value: s, what: KIND_NOUN[kind], reason: canonical.reason });
      return null;
    }
    return canonical;
  }
}

/**
 * For the kinds whose bare words are written as they stand (no canonical
 * form), the one word character the kind's check refuses: a bare word holds
 * only letters, digits and _ . / : @ + - (the lexer saw to it), and
 * userReason() and groupReason() refuse only ":" among them (a unit test
 * holds them to this). A word of other kinds takes the slow path.
 */
export const WORD_REFUSES: Partial<Record<ListKind, string>> = { users: ":", groups: ":" };

/** Lists of at least this many entries are checked for repeats by hash (unique.ts's repeats() uses a Set below it). */
const REPEATS_BY_HASH = 4096;

/** An entry's hash for repeats(): its polynomial hash with its bits mixed (murmur3's finaliser), so that every bit depends on every character. */
function entryHash(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** The most entries of a list whose values are kept as a set for the lists that follow it (valueSet). */
const BASE_SET_LIMIT = 65_536;
const valueSets = new WeakMap<EntryList, Set<string>>();

/** The values of a resolved list shared by scopes as a set, made once per list. */
function valueSet(list: EntryList): Set<string> {
  let set = valueSets.get(list);
  if (!set) valueSets.set(list, (set = makeValueSet(list)));
  return set;
}

function makeValueSet(list: EntryList): Set<string> {
  const set = new Set<string>();
  for (let i = 0; i < list.length; i++) set.add(list.value(i));
  return set;
}

function span(file: SourceFile, loc: { start: number; end: number }): Span {
  return { file, start: loc.start, end: loc.end };
}
