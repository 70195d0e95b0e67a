/**
 * Look-alike entries: names that show as one thing and are bytes of
 * another. pam_listfile compares bytes, so `rооt` with Cyrillic o's in an
 * allow list lets no root in, and in a deny list keeps none out. Only
 * strings can hold such characters (a bare word is ASCII).
 */

/** Cyrillic and Greek letters that look like a Latin letter, and that letter. */
const SKELETON: Record<string, string> = {
  // Cyrillic
  а: "a",
  в: "b",
  е: "e",
  о: "o",
  р: "p",
  с: "c",
  у: "y",
  х: "x",
  і: "i",
  ј: "j",
  ѕ: "s",
  ԁ: "d",
  һ: "h",
  ԛ: "q",
  ԝ: "w",
  ӏ: "l",
  ү: "y",
  А: "A",
  В: "B",
  Е: "E",
  К: "K",
  М: "M",
  Н: "H",
  О: "O",
  Р: "P",
  С: "C",
  Т: "T",
  Х: "X",
  Ү: "Y",
  І: "I",
  Ј: "J",
  Ѕ: "S",
  Ԁ: "D",
  Ԛ: "Q",
  Ԝ: "W",
  Ӏ: "I",
  // Greek
  α: "a",
  ο: "o",
  ρ: "p",
  ν: "v",
  ι: "i",
  κ: "k",
  υ: "u",
  χ: "x",
  γ: "y",
  Α: "A",
  Β: "B",
  Ε: "E",
  Ζ: "Z",
  Η: "H",
  Ι: "I",
  Κ: "K",
  Μ: "M",
  Ν: "N",
  Ο: "O",
  Ρ: "P",
  Τ: "T",
  Υ: "Y",
  Χ: "X",
};

/** Made on first use (an entry that is not ASCII): Unicode property classes cost start-up time. */
let scripts: (readonly [string, RegExp])[] | undefined;
const SCRIPTS = () =>
  (scripts ??= [
    ["Latin", /\p{Script=Latin}/u],
    ["Cyrillic", /\p{Script=Cyrillic}/u],
    ["Greek", /\p{Script=Greek}/u],
  ]);

/** What is wrong with an entry that looks like something it is not. */
export type LookAlike =
  /** NFKC changes it: fullwidth letters, ligatures, superscripts and the like. */
  | { kind: "compatibility"; char: string; plain: string; normal: string }
  /** Letters of more than one of Latin, Cyrillic and Greek in one entry. */
  | { kind: "mixed"; scripts: string; skeleton: string }
  /** Cyrillic or Greek letters only, every one of them the image of an ASCII letter. */
  | { kind: "whole"; scripts: string; skeleton: string };

/** Reads an entry for look-alikes; undefined when it is what it looks like. */
export function lookAlike(s: string): LookAlike | undefined {
  const normal = s.normalize("NFKC");
  if (normal !== s) {
    for (const ch of s) {
      const n = ch.normalize("NFKC");
      if (n !== ch) return { kind: "compatibility", char: ch, plain: n, normal };
    }
    const first = [...s].find((ch) => ch.codePointAt(0)! > 0x7f) ?? s[0]!;
    return { kind: "compatibility", char: first, plain: first.normalize("NFKC"), normal };
  }
  const seen: string[] = [];
  let skeleton = "";
  let allMapped = true;
  for (const ch of s) {
    const script = SCRIPTS().find(([, re]) => re.test(ch))?.[0];
    if (script && !seen.includes(script)) seen.push(script);
    const mapped = SKELETON[ch];
    if (mapped !== undefined) skeleton += mapped;
    else {
      skeleton += ch;
      if (script !== undefined && script !== "Latin") allMapped = false;
    }
  }
  if (seen.length > 1) {
    const ordered = SCRIPTS()
      .map(([n]) => n)
      .filter((n) => seen.includes(n));
    return { kind: "mixed", scripts: orAnd(ordered), skeleton };
  }
  if (seen.length === 1 && seen[0] !== "Latin" && allMapped && /^[\x20-\x7e]+$/.test(skeleton)) {
    return { kind: "whole", scripts: seen[0]!, skeleton };
  }
  return undefined;
}

function orAnd(items: string[]): string {
  return items.length <= 1 ? items.join("") : items.slice(0, -1).join(", ") + " and " + items[items.length - 1];
}
