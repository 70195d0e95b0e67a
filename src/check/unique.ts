/**
 * Drops repeated values, keeping the first of each, in order. For long lists
 * it sorts 32-bit hashes in a typed array instead of filling a Set: a Set of
 * a million strings costs hundreds of milliseconds and as much in garbage
 * collection; hashing and sorting numbers costs a fraction, and only values
 * whose hashes collide are compared as strings.
 */
export function uniqueBy<T>(items: T[], key: (item: T) => string): T[] {
  const n = items.length;
  if (n < 4096 || n >= 2 ** 21) {
    const seen = new Set<string>();
    const out: T[] = [];
    for (const item of items) {
      const k = key(item);
      const size = seen.size;
      seen.add(k);
      if (seen.size !== size) out.push(item);
    }
    return out;
  }
  // Pack (hash, index) into one float64: hash * 2^21 + index is exact below 2^53.
  const packed = new Float64Array(n);
  for (let i = 0; i < n; i++) packed[i] = fnv1a(key(items[i]!)) * 2097152 + i;
  packed.sort();
  let drop: Uint8Array | null = null;
  for (let g = 0; g < n; ) {
    const hash = Math.floor(packed[g]! / 2097152);
    let end = g + 1;
    while (end < n && Math.floor(packed[end]! / 2097152) === hash) end++;
    // Within a group indexes ascend, so the first of equal values is kept.
    for (let a = g; a < end; a++) {
      const ia = packed[a]! - hash * 2097152;
      if (drop?.[ia]) continue;
      const ka = key(items[ia]!);
      for (let b = a + 1; b < end; b++) {
        const ib = packed[b]! - hash * 2097152;
        if (key(items[ib]!) === ka) (drop ??= new Uint8Array(n))[ib] = 1;
      }
    }
    g = end;
  }
  if (!drop) return items;
  const out: T[] = [];
  for (let i = 0; i < n; i++) if (!drop[i]) out.push(items[i]!);
  return out;
}

/** 32-bit FNV-1a over UTF-16 code units. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
