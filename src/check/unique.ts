/**
 * Which of n values repeat an earlier one: a mask with 1 at each later copy
 * (the first of each is kept), or null when there is none. Long lists are
 * checked by their 32-bit hashes: a first pass marks each hash's bit in a
 * bit set of 16 or more bits a value, and notes the bits found marked
 * already; only the values whose bit was marked twice (every repeat, and a
 * few values that share a bit) are grouped by hash, and only values of equal
 * hashes are compared as strings. A Set of a million strings costs hundreds
 * of milliseconds plus as much again in garbage collection; a radix sort of
 * the hashes cost about 100 ms; this costs a few tens and allocates three
 * arrays.
 */
export function repeats(n: number, key: (i: number) => string, hash: (i: number) => number = (i) => fnv1a(key(i))): Uint8Array | null {
  if (n < 4096) {
    const seen = new Set<string>();
    let drop: Uint8Array | null = null;
    for (let i = 0; i < n; i++) {
      const size = seen.size;
      seen.add(key(i));
      if (seen.size === size) (drop ??= new Uint8Array(n))[i] = 1;
    }
    return drop;
  }
  let words = 1024;
  while (words * 32 < n * 16 && words < 1 << 25) words *= 2;
  const shift = Math.clz32(words) - 4;
  const once = new Int32Array(words);
  const twice = new Int32Array(words);
  const hashes = new Int32Array(n);
  let marked = 0;
  for (let i = 0; i < n; i++) {
    const h = hash(i) | 0;
    hashes[i] = h;
    const b = Math.imul(h, FIB) >>> shift;
    const w = b >>> 5;
    const m = 1 << (b & 31);
    if (once[w]! & m) {
      twice[w]! |= m;
      marked++;
    } else once[w]! |= m;
  }
  if (marked === 0) return null;
  // The values of each hash met so far among those whose bit was marked twice: an index, or several.
  const groups = new Map<number, number | number[]>();
  let drop: Uint8Array | null = null;
  for (let i = 0; i < n; i++) {
    const h = hashes[i]!;
    const b = Math.imul(h, FIB) >>> shift;
    if ((twice[b >>> 5]! & (1 << (b & 31))) === 0) continue;
    const group = groups.get(h);
    if (group === undefined) {
      groups.set(h, i);
      continue;
    }
    const k = key(i);
    if (typeof group === "number") {
      if (key(group) === k) (drop ??= new Uint8Array(n))[i] = 1;
      else groups.set(h, [group, i]);
    } else if (group.some((j) => key(j) === k)) (drop ??= new Uint8Array(n))[i] = 1;
    else group.push(i);
  }
  return drop;
}

/** Fibonacci hashing: the top bits of a hash times this pick its bit. */
const FIB = 0x9e3779b1 | 0;

/** 32-bit FNV-1a over the UTF-16 code units of s[from, to). */
export function fnv1a(s: string, from = 0, to = s.length): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
