/**
 * Levenshtein distance, capped: returns max+1 as soon as the distance exceeds
 * max. With `transpositions`, two neighbours swapped count as one edit
 * (optimal string alignment): "servcie" is one edit from "service".
 */
export function editDistance(a: string, b: string, max: number, transpositions = false): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let before: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (transpositions && i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, before[j - 2]! + 1);
      cur.push(v);
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    before = prev;
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * The closest candidate within distance 2 (1 for short words), or undefined.
 * Keywords, settings, commands and options are compared with transpositions
 * (`{ transpositions: true }`); names of lists without, as PC2006 documents.
 */
export function closest(word: string, candidates: Iterable<string>, options: { transpositions?: boolean } = {}): string | undefined {
  const max = word.length <= 4 ? 1 : 2;
  let best: string | undefined;
  let bestDistance = max + 1;
  for (const c of candidates) {
    if (c === word) continue;
    const d = editDistance(word, c, max, options.transpositions);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/** "a, b or c" */
export function orList(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return items.slice(0, -1).join(", ") + " or " + items[items.length - 1];
}

/**
 * closest() over a fixed set of names, at a cost per query that depends on
 * neither the number nor the length of the names, and grows with the query's
 * length only as hashing it does. Two indexes of 32-bit polynomial hashes
 * (computed from prefix hashes: no string is made), each hash tested in a
 * bit set before the map is read, so a word near no name costs a few dozen
 * multiplications and bit tests:
 *
 * - Short words (up to SHORT characters): every name up to SHORT + 2
 *   characters is filed under each string that up to two deletions make of
 *   it (symmetric deletion); a query looks up its own deletions, in order,
 *   and stops a row of them at the first prefix or suffix that no filed
 *   string has (a second bit set, of their first and last PREFIX
 *   characters): most words cost a dozen hashes, not 1 + n + n(n - 1) / 2.
 * - Longer words: every name of PARTED characters or more is cut into three
 *   parts and filed under each. Two edits leave one part whole: part 0 at
 *   the start, part 2 at the end, part 1 shifted by the edits before it, so
 *   a query looks up at most 5 substrings for each name length within two
 *   of its own.
 *
 * Only the names found are measured with editDistance, so a hash collision
 * costs a measurement, never a wrong answer. The answer is closest()'s: the
 * first name, in the given order, at the least distance.
 */
export class NearNames {
  private static readonly SHORT = 16;
  private static readonly PARTED = NearNames.SHORT - 1;
  private index: Map<number, number[]> | null = null;
  private bits = new Int32Array(0);
  /** A bit set of the prefixes and suffixes (up to PREFIX characters) of the strings the short index files names under. */
  private prefixBits = new Int32Array(1024);
  /** short[n] / parted[n] is 1 when a name of n characters is in that index. */
  private readonly short = new Uint8Array(NearNames.SHORT + 3);
  private parted = new Uint8Array(0);

  constructor(private readonly names: readonly string[]) {}

  private build(): Map<number, number[]> {
    const index = new Map<number, number[]>();
    const file = (h: number, i: number): void => {
      const list = index.get(h);
      if (!list) index.set(h, [i]);
      else if (list[list.length - 1] !== i) list.push(i);
    };
    let longest = 0;
    for (const name of this.names) longest = Math.max(longest, name.length);
    let prefixCount = 0;
    this.parted = new Uint8Array(longest + 1);
    this.names.forEach((name, i) => {
      const n = name.length;
      if (n <= NearNames.SHORT + 2) {
        this.short[n] = 1;
        deletionHashes(name, 2, (h) => file(h, i));
        prefixCount += deletionEndCount(n);
      }
      if (n >= NearNames.PARTED) {
        this.parted[n] = 1;
        const P = ownPrefixHashes(name);
        for (let part = 0; part < 3; part++) {
          const [start, end] = partOf(n, part);
          file(partKey(substringHash(P, start, end), n, part), i);
        }
      }
    });
    // About 256 bits per hash (a few MiB at most), a bit chosen by Fibonacci
    // hashing: a word near no name finds
    // its bits clear and reaches the map about once in 200 words.
    let size = 1024;
    while (size < index.size * 8 && size < 1 << 20) size *= 2;
    const bits = new Int32Array(size);
    const shift = 32 - Math.log2(size * 32);
    for (const h of index.keys()) {
      const b = Math.imul(h, FIB) >>> shift;
      bits[b >>> 5]! |= 1 << (b & 31);
    }
    this.bits = bits;
    // About 16 bits per prefix: a missing prefix ends a row of deletions at
    // the first bit test in nearly every case, and a wrongly set bit only
    // costs the probes that follow it. Sized first, then filled: no array of
    // keys (for 20,000 names of 6 characters it held 240 MB).
    let prefixSize = 1024;
    while (prefixSize < prefixCount / 2 && prefixSize < 1 << 18) prefixSize *= 2;
    const prefixBits = new Int32Array(prefixSize);
    const prefixShift = Math.clz32(prefixSize) - 4;
    const setPrefix = (key: number): void => {
      const b = Math.imul(key, FIB) >>> prefixShift;
      prefixBits[b >>> 5]! |= 1 << (b & 31);
    };
    for (const name of this.names) if (name.length <= NearNames.SHORT + 2) deletionEnds(name, setPrefix);
    this.prefixBits = prefixBits;
    return index;
  }

  /** The closest name within distance 2 (1 for words of 4 characters or fewer), or undefined. */
  closest(word: string): string | undefined {
    if (!this.probe(prefixHashes(word), word.length)) return undefined;
    const found = foundNames;
    return closest(
      word,
      [...new Set(found)].sort((a, b) => a - b).map((i) => this.names[i]!),
    );
  }

  /**
   * Whether closest() may find a name for the word of n characters whose
   * prefix hashes (rangeHashes()) are P: false means it finds none. A word
   * read from the source text is asked without making its string.
   */
  mayFind(P: Int32Array, n: number): boolean {
    return this.probe(P, n);
  }

  /** Fills foundNames with the names filed under the word's hashes (and a few more, on collisions): true if any. */
  private probe(P: Int32Array, n: number): boolean {
    const index = (this.index ??= this.build());
    const found = foundNames;
    // Setting length is a call into the runtime even when it changes nothing; most queries find none.
    if (found.length !== 0) found.length = 0;
    if (n <= NearNames.SHORT) {
      const max = n <= 4 ? 1 : 2;
      let near = false;
      for (let m = Math.max(0, n - max); m <= n + max; m++) if (this.short[m]) near = true;
      if (near) probeDeletions(P, n, max, this.bits, this.prefixBits, index, found);
    } else {
      let near = false;
      for (let m = n - 2; m <= n + 2; m++) if (this.parted[m]) near = true;
      if (near) probeParts(P, n, this.parted, this.bits, index, found);
    }
    return found.length !== 0;
  }

  /** A bit set of the names' hashes (rangeHashes()'s last), for mayBeName(). */
  private wholeBits: Int32Array | null = null;

  /**
   * Whether the word whose hash is h (P[n] of its rangeHashes()) may be one
   * of the names: false means it is none. About 64 bits a name.
   */
  mayBeName(h: number): boolean {
    let bits = this.wholeBits;
    if (!bits) {
      let size = 1024;
      while (size < this.names.length * 2 && size < 1 << 20) size *= 2;
      bits = new Int32Array(size);
      const shift = Math.clz32(size) - 4;
      for (const name of this.names) {
        const b = Math.imul(ownPrefixHashes(name)[name.length]!, FIB) >>> shift;
        bits[b >>> 5]! |= 1 << (b & 31);
      }
      this.wholeBits = bits;
    }
    const b = Math.imul(h, FIB) >>> (Math.clz32(bits.length) - 4);
    return (bits[b >>> 5]! & (1 << (b & 31))) !== 0;
  }
}

/** The names a query finds, reused from query to query (most find none). */
const foundNames: number[] = [];

/** Where part 0, 1 or 2 of a name of n characters starts and ends. */
function partOf(n: number, part: number): [number, number] {
  return [Math.floor((n * part) / 3), Math.floor((n * (part + 1)) / 3)];
}

/** A part's key: its hash, salted with the name's length and the part's number. */
function partKey(h: number, n: number, part: number): number {
  return (h ^ Math.imul(n * 4 + part + 1, 0x9e3779b1)) | 0;
}

/** The hash of word[start..end) from its prefix hashes. */
function substringHash(P: Int32Array, start: number, end: number): number {
  return (P[end]! - Math.imul(P[start]!, power[end - start]!)) | 0;
}

function look(index: Map<number, number[]>, bits: Int32Array, h: number, found: number[]): void {
  const b = Math.imul(h, FIB) >>> (Math.clz32(bits.length) - 4);
  if ((bits[b >>> 5]! & (1 << (b & 31))) === 0) return;
  for (const i of index.get(h) ?? []) found.push(i);
}

/**
 * Adds to `found` the names filed under a part that the word holds where that
 * part would stand had the edits left it whole. Part 0 can only stand at the
 * word's start and part 2 at its end; part 1 is shifted by s, the insertions
 * less the deletions before it, with |s| + |n - m - s| <= 2: 3 places for a
 * name of the word's length, fewer for the others (at most 5 hashes for each
 * length of name present, 23 in all).
 */
function probeParts(P: Int32Array, n: number, parted: Uint8Array, bits: Int32Array, index: Map<number, number[]>, found: number[]): void {
  const shift = Math.clz32(bits.length) - 4;
  for (let m = n - 2; m <= n + 2; m++) {
    if (!parted[m]) continue;
    const d = n - m;
    const a = Math.floor(m / 3);
    const b = Math.floor((2 * m) / 3);
    probe(index, bits, shift, partKey(P[a]!, m, 0), found);
    probe(index, bits, shift, partKey(substringHash(P, b + d, n), m, 2), found);
    for (let s = -2; s <= 2; s++) {
      if (Math.abs(s) + Math.abs(d - s) > 2 || a + s < 0 || b + s > n) continue;
      probe(index, bits, shift, partKey(substringHash(P, a + s, b + s), m, 1), found);
    }
  }
}

/** look(), with the bit test inlined by the caller's hot loop. */
function probe(index: Map<number, number[]>, bits: Int32Array, shift: number, h: number, found: number[]): void {
  const b = Math.imul(h, FIB) >>> shift;
  if (bits[b >>> 5]! & (1 << (b & 31))) look(index, bits, h, found);
}

const BASE = 0x01000193;
const BASE2 = Math.imul(BASE, BASE);
let prefix = new Int32Array(0);
let power = new Int32Array(0);

/** Fibonacci hashing: the top bits of h times this pick a hash's bit in the bit set. */
const FIB = 0x9e3779b1 | 0;

/** Prefixes of up to this many characters are in NearNames' prefix bit set. */
const PREFIX = 8;

/** A prefix's key: the hash of its characters, salted with its length and the length of the string it begins. */
function prefixKey(h: number, length: number, whole: number): number {
  return (h + Math.imul(whole * 64 + length + 1, 0x85ebca6b)) | 0;
}

/** A suffix's key, as prefixKey() but distinct from it. */
function suffixKey(h: number, length: number, whole: number): number {
  return (h + Math.imul(whole * 64 + 32 + length, 0x85ebca6b)) | 0;
}

/** How many keys deletionEnds() reports for a name of m characters. */
function deletionEndCount(m: number): number {
  let count = 0;
  for (let k = 0; k <= 2; k++) {
    for (let p = 1; p <= Math.min(PREFIX, m - k); p++) {
      for (let inside = 0; inside <= k; inside++) {
        const q = p + inside;
        count += inside === 0 ? 1 : inside === 1 ? q : (q * (q - 1)) / 2;
      }
    }
  }
  return 2 * count;
}

/**
 * Calls f with the key of each prefix and each suffix, up to PREFIX
 * characters, of each string that up to two deletions make of the name (the
 * strings deletionHashes files it under). A prefix of p characters of a
 * string made by k deletions is the name's first p + k' characters less k' of
 * them, for the k' <= k deletions that fall there (a suffix likewise): at most
 * 2 x (8 x 55 + 8 x 10 + 8) hashes.
 */
function deletionEnds(name: string, f: (key: number) => void): void {
  const m = name.length;
  const hashSkipping = (from: number, to: number, a: number, b: number): number => {
    let h = 0;
    for (let x = from; x < to; x++) if (x !== a && x !== b) h = (Math.imul(h, BASE) + name.charCodeAt(x)) | 0;
    return h;
  };
  /** The keys of name[from..to) less `inside` of its characters, as strings of p characters begin or end one of `whole`. */
  const ends = (from: number, to: number, inside: number, p: number, whole: number, key: typeof prefixKey): void => {
    if (inside === 0) f(key(hashSkipping(from, to, -1, -1), p, whole));
    else if (inside === 1) for (let a = from; a < to; a++) f(key(hashSkipping(from, to, a, -1), p, whole));
    else for (let a = from; a < to; a++) for (let b = a + 1; b < to; b++) f(key(hashSkipping(from, to, a, b), p, whole));
  };
  for (let k = 0; k <= 2; k++) {
    const whole = m - k;
    for (let p = 1; p <= Math.min(PREFIX, whole); p++) {
      for (let inside = 0; inside <= k; inside++) {
        const q = p + inside;
        ends(0, q, inside, p, whole, prefixKey);
        ends(m - q, m, inside, p, whole, suffixKey);
      }
    }
  }
}

/**
 * How many of the word's last characters a string of `whole` characters made
 * from it by deletions can keep and still be one the names' deletions make:
 * the length of its longest suffix, up to PREFIX, whose suffixes are all in
 * the bit set (n when all up to PREFIX are: no limit).
 */
function keepableSuffix(P: Int32Array, n: number, whole: number, prefixBits: Int32Array): number {
  for (let t = 1; t <= Math.min(PREFIX, n); t++) {
    if (!hasPrefix(prefixBits, suffixKey((P[n]! - Math.imul(P[n - t]!, power[t]!)) | 0, t, whole))) return t - 1;
  }
  return n;
}

/** Whether a prefix's key may be in the prefix bit set (never false for one that is). */
function hasPrefix(prefixBits: Int32Array, key: number): boolean {
  const b = Math.imul(key, FIB) >>> (Math.clz32(prefixBits.length) - 4);
  return (prefixBits[b >>> 5]! & (1 << (b & 31))) !== 0;
}

/**
 * Adds to `found` the names filed under each hash deletionHashes(word, max)
 * reports, looking in the map only where the hash's bit is set: the same
 * arithmetic, written out without a callback, since it runs once per literal
 * of a list of any length.
 *
 * The strings deleting i (and j > i) make are taken in order of i and j, and
 * each one's prefix before its second deletion is looked up in the prefix bit
 * set first: once a prefix is no name's, no later string of that row (nor,
 * for the prefix before i, of any later row) can be, so the loop stops. A
 * literal that shares no first character with any name's deletions costs a
 * handful of hashes instead of 1 + n + n(n - 1) / 2.
 */
function probeDeletions(
  P: Int32Array,
  n: number,
  max: number,
  bits: Int32Array,
  prefixBits: Int32Array,
  index: Map<number, number[]>,
  found: number[],
): void {
  const shift = Math.clz32(bits.length) - 4;
  const pw = power;
  const whole = P[n]!;
  // Deleting i alone gives rest(i) = (P[i] - P[i+1]) * B^(n-1-i) + whole, and
  // deleting i and j > i gives c(i) + rest(j) with c(i) = (P[i] - P[i+1]) * B^(n-2-i).
  let h = whole;
  let b = Math.imul(h, FIB) >>> shift;
  if (bits[b >>> 5]! & (1 << (b & 31))) look(index, bits, h, found);
  // Deleting i alone: a string that begins with word[0..i) and ends with word[i+1..n).
  for (let i = Math.max(0, n - 1 - keepableSuffix(P, n, n - 1, prefixBits)); i < n; i++) {
    if (i > 0 && i <= PREFIX && !hasPrefix(prefixBits, prefixKey(P[i]!, i, n - 1))) break;
    h = (Math.imul((P[i]! - P[i + 1]!) | 0, pw[n - 1 - i]!) + whole) | 0;
    b = Math.imul(h, FIB) >>> shift;
    if (bits[b >>> 5]! & (1 << (b & 31))) look(index, bits, h, found);
  }
  if (max < 2) return;
  // Deleting i and j: a string that ends with word[j+1..n).
  const fromJ = n - 1 - keepableSuffix(P, n, n - 2, prefixBits);
  for (let i = 0; i + 1 < n; i++) {
    if (i > 0 && i <= PREFIX && !hasPrefix(prefixBits, prefixKey(P[i]!, i, n - 2))) break;
    const d = (P[i]! - P[i + 1]!) | 0;
    const c = Math.imul(d, pw[n - 2 - i]!);
    for (let j = Math.max(i + 1, fromJ); j < n; j++) {
      // The string's first j - 1 characters: word[0..i) and word[i+1..j).
      if (j - 1 > i && j - 1 <= PREFIX && !hasPrefix(prefixBits, prefixKey((Math.imul(d, pw[j - 1 - i]!) + P[j]!) | 0, j - 1, n - 2)))
        break;
      h = (c + Math.imul((P[j]! - P[j + 1]!) | 0, pw[n - 1 - j]!) + whole) | 0;
      b = Math.imul(h, FIB) >>> shift;
      if (bits[b >>> 5]! & (1 << (b & 31))) look(index, bits, h, found);
    }
  }
}

/** Makes power[] hold BASE^0 .. BASE^n at least. */
function growPowers(n: number): void {
  if (power.length > n) return;
  power = new Int32Array(n * 2 + 1);
  power[0] = 1;
  for (let i = 1; i < power.length; i++) power[i] = Math.imul(power[i - 1]!, BASE);
}

/** The word's prefix hashes (prefix[i] is the hash of word[0..i)), with power[] long enough for it. */
function prefixHashes(word: string): Int32Array {
  return rangeHashes(word, 0, word.length);
}

/**
 * A name's prefix hashes in an array of their own: building an index must
 * not overwrite the shared buffer, which a caller of mayFind() has filled
 * before the index is built.
 */
function ownPrefixHashes(name: string): Int32Array {
  const n = name.length;
  const P = new Int32Array(n + 1);
  let h = 0;
  for (let i = 0; i < n; i++) P[i + 1] = h = (Math.imul(h, BASE) + name.charCodeAt(i)) | 0;
  growPowers(n);
  return P;
}

/**
 * The prefix hashes of text[from..to) (P[i] is the 32-bit polynomial hash of
 * its first i characters, P[to - from] of all of it), in a buffer the next
 * call reuses: what NearNames.mayFind() and mayBeName() take for a word read
 * from a source text without making its string.
 */
export function rangeHashes(text: string, from: number, to: number): Int32Array {
  const n = to - from;
  if (prefix.length <= n) prefix = new Int32Array(n * 2 + 1);
  growPowers(n);
  const P = prefix;
  let h = 0;
  let i = 0;
  // Two characters a step: the chain of multiplications each hash waits for is half as long.
  for (; i + 1 < n; i += 2) {
    const c0 = text.charCodeAt(from + i);
    const c1 = text.charCodeAt(from + i + 1);
    P[i + 1] = (Math.imul(h, BASE) + c0) | 0;
    h = (Math.imul(h, BASE2) + Math.imul(c0, BASE) + c1) | 0;
    P[i + 2] = h;
  }
  if (i < n) P[i + 1] = (Math.imul(h, BASE) + text.charCodeAt(from + i)) | 0;
  return P;
}

/**
 * Calls f with the 32-bit polynomial hash of the word and of every string that
 * up to `max` (1 or 2) single-character deletions make of it, computed from
 * the word's prefix hashes (the same string may be reported more than once).
 */
function deletionHashes(word: string, max: number, f: (h: number) => void): void {
  const n = word.length;
  const P = ownPrefixHashes(word);
  const pw = power;
  const whole = P[n]!;
  // The hash of word[j..n).
  const suffix = (j: number): number => (whole - Math.imul(P[j]!, pw[n - j]!)) | 0;
  f(whole);
  for (let i = 0; i < n; i++) {
    f((Math.imul(P[i]!, pw[n - 1 - i]!) + suffix(i + 1)) | 0);
    if (max < 2) continue;
    for (let j = i + 1; j < n; j++) {
      const middle = (P[j]! - Math.imul(P[i + 1]!, pw[j - i - 1]!)) | 0;
      f((Math.imul(P[i]!, pw[n - 2 - i]!) + Math.imul(middle, pw[n - 1 - j]!) + suffix(j + 1)) | 0);
    }
  }
}
