/**
 * Which of n values repeat an earlier one: a mask with 1 at each later copy
 * (the first of each is kept), or null when there is none. Long lists are
 * checked by radix-sorting 32-bit hashes with their indexes in typed arrays,
 * and only values whose hashes collide are compared as strings: a Set of a
 * million strings costs hundreds of milliseconds plus as much again in
 * garbage collection; this costs a few tens and allocates four arrays.
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
  let hashes = new Uint32Array(n);
  let index = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    hashes[i] = hash(i);
    index[i] = i;
  }
  // LSD radix sort on the hash, 16 bits a pass; stable, so equal hashes keep index order.
  let hashes2 = new Uint32Array(n);
  let index2 = new Uint32Array(n);
  const counts = new Uint32Array(65536);
  for (const shift of [0, 16]) {
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[(hashes[i]! >>> shift) & 0xffff]!++;
    let sum = 0;
    for (let b = 0; b < 65536; b++) {
      const c = counts[b]!;
      counts[b] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const to = counts[(hashes[i]! >>> shift) & 0xffff]!++;
      hashes2[to] = hashes[i]!;
      index2[to] = index[i]!;
    }
    [hashes, hashes2] = [hashes2, hashes];
    [index, index2] = [index2, index];
  }
  let drop: Uint8Array | null = null;
  for (let g = 0; g < n;) {
    let end = g + 1;
    while (end < n && hashes[end] === hashes[g]) end++;
    for (let a = g; a < end - 1; a++) {
      if (drop?.[index[a]!]) continue;
      const ka = key(index[a]!);
      for (let b = a + 1; b < end; b++) {
        if (key(index[b]!) === ka) (drop ??= new Uint8Array(n))[index[b]!] = 1;
      }
    }
    g = end;
  }
  return drop;
}

/** 32-bit FNV-1a over the UTF-16 code units of s[from, to). */
export function fnv1a(s: string, from = 0, to = s.length): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
