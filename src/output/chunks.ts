/** Pieces of 1M UTF-16 units: a 12 MB list is never copied into one 12 MB buffer. */
const CHUNK = 1 << 20;

/** Splits a string into pieces for writing or hashing, never inside a surrogate pair. */
export function* chunks(content: string): Generator<string> {
  for (let i = 0; i < content.length;) {
    let end = Math.min(content.length, i + CHUNK);
    const last = content.charCodeAt(end - 1);
    if (end < content.length && last >= 0xd800 && last <= 0xdbff) end--;
    yield content.slice(i, end);
    i = end;
  }
}
