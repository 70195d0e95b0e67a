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
 * closest() over a fixed set of names, at a cost per query that does not grow
 * with the number of names once there are many queries. The first queries
 * scan the names; after SCANS of them, every name up to INDEXED characters
 * is filed under each string that one or two deletions make of it (symmetric
 * deletion), so a query looks up its own deletions and measures only the
 * names that share one. Building the index costs about what SCANS scans do,
 * so a policy with a few typo checks never pays for it. The answer is
 * closest()'s: the first name, in the given order, at the least distance.
 */
export class NearNames {
  private static readonly SCANS = 32;
  private static readonly INDEXED = 40;
  private index: Map<string, number[]> | null = null;
  private readonly long: number[] = [];
  private scans = 0;

  constructor(private readonly names: readonly string[]) {}

  private build(): Map<string, number[]> {
    const index = new Map<string, number[]>();
    this.names.forEach((name, i) => {
      if (name.length > NearNames.INDEXED) {
        this.long.push(i);
        return;
      }
      for (const d of deletions(name, 2)) {
        const list = index.get(d);
        if (!list) index.set(d, [i]);
        else if (list[list.length - 1] !== i) list.push(i);
      }
    });
    return index;
  }

  /** The closest name within distance 2 (1 for words of 4 characters or fewer), or undefined. */
  closest(word: string): string | undefined {
    if (!this.index) {
      if (this.names.length <= NearNames.SCANS || this.scans++ < NearNames.SCANS) return closest(word, this.names);
      this.index = this.build();
    }
    const max = word.length <= 4 ? 1 : 2;
    const found = new Set<number>();
    for (const d of deletions(word, max)) for (const i of this.index.get(d) ?? []) found.add(i);
    if (word.length + max > NearNames.INDEXED) for (const i of this.long) found.add(i);
    return closest(
      word,
      [...found].sort((a, b) => a - b).map((i) => this.names[i]!),
    );
  }
}

/** The word and every string that up to `max` single-character deletions make of it. */
function deletions(word: string, max: number): Set<string> {
  const out = new Set<string>([word]);
  let frontier = [word];
  for (let k = 0; k < max; k++) {
    const next: string[] = [];
    for (const w of frontier) {
      for (let i = 0; i < w.length; i++) {
        const d = w.slice(0, i) + w.slice(i + 1);
        if (!out.has(d)) {
          out.add(d);
          next.push(d);
        }
      }
    }
    frontier = next;
  }
  return out;
}
