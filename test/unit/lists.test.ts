/**
 * README "The policy language": `$NAME` names a list, a bare word or a string
 * is always a literal, and list resolution has no depth the policy chooses.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EntryList } from "../../src/check/model.js";
import { WORD_REFUSES } from "../../src/check/lower/lists.js";
import { closest, NearNames, rangeHashes } from "../../src/check/suggest.js";
import { groupReason, userReason } from "../../src/check/values.js";
import { fnv1a } from "../../src/check/unique.js";
import { SourceFile } from "../../src/diagnostics/source.js";
import { compileText, diagnosticsOf } from "../helpers.js";

const P = "platform debian;\n";
const acl = (entries: string, item = "user") => `service s { acl ${item} deny "/etc/l" { entries ${entries}; } }\n`;
const entriesOf = (text: string): string[] => {
  const r = compileText(text);
  expect(
    r.diagnostics
      .sorted()
      .filter((d) => d.severity === "error")
      .map((d) => d.message),
  ).toEqual([]);
  return r.model!.services[0]!.acls[0]!.entries.values();
};

describe("lists: $NAME references", () => {
  it("replaces $NAME by the list's values, in order, without repeats", () => {
    expect(entriesOf(P + "users staff = alice, bob;\nusers all = carol, $staff, alice;\n" + acl("$all, dave, bob"))).toEqual([
      "carol",
      "alice",
      "bob",
      "dave",
    ]);
  });

  it("refuses a $NAME that names no list, with the hint that an include may be missing", () => {
    expect(diagnosticsOf(P + acl("$ssh_admins"))).toEqual([
      '2:46 PC2011 There is no users list "ssh_admins"; if it is defined in another file, an include may be missing.',
    ]);
    expect(diagnosticsOf(P + "users ssh_admin = root;\n" + acl("$ssh_admins"))).toEqual([
      '3:46 PC2011 There is no users list "ssh_admins" (did you mean $ssh_admin?); if it is defined in another file, an include may be missing.',
    ]);
  });

  it("refuses a $NAME of another kind", () => {
    expect(diagnosticsOf(P + "groups wheelers = wheel;\n" + acl("$wheelers"))).toEqual([
      '3:46 PC2005 List "wheelers" is a groups list, but item=user takes users.',
    ]);
  });

  it("refuses a bare word that is the name of a list of the same kind: a policy written before $ fails loudly", () => {
    expect(diagnosticsOf(P + "users staff = alice;\n" + acl("staff"))).toEqual([
      '3:46 PC2012 "staff" is also the name of a users list; write $staff for the list, or "staff" in quotes for the literal.',
    ]);
    // The quoted literal is the way to say the user "staff".
    expect(entriesOf(P + "users staff = alice;\n" + acl('"staff"'))).toEqual(["staff"]);
    // A list of another kind does not make the word ambiguous.
    expect(entriesOf(P + "groups staff = wheel;\n" + acl("staff"))).toEqual(["staff"]);
  });

  it("never turns a bare word or a string into a list, whatever lists exist", () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9_]{0,7}$/);
    fc.assert(
      fc.property(fc.uniqueArray(name, { minLength: 1, maxLength: 6 }), fc.array(name, { minLength: 1, maxLength: 6 }), (lists, words) => {
        const defs = lists.map((l) => `users ${l} = member_of_${l};\n`).join("");
        const r = compileText(P + defs + acl(words.map((w) => `"${w}"`).join(", ")));
        expect(r.diagnostics.hasErrors).toBe(false);
        // Each string is itself, never a list's members.
        expect(r.model!.services[0]!.acls[0]!.entries.values()).toEqual([...new Set(words)]);
        const bare = compileText(P + defs + acl(words.join(", ")));
        const clash = words.filter((w) => lists.includes(w));
        expect(bare.diagnostics.sorted().filter((d) => d.code === "PC2012").length).toBe(clash.length);
        if (clash.length === 0) expect(bare.model!.services[0]!.acls[0]!.entries.values()).toEqual([...new Set(words)]);
      }),
      { numRuns: 60 },
    );
  });

  it("refuses $ anywhere but at the start of a value, saying how to write the literal", () => {
    for (const [text, col] of [
      ["a$b", 46],
      ["$", 46],
      ["x, a$b", 49],
      ["$a$b", 46],
      ["$$a", 46],
    ] as const) {
      const got = diagnosticsOf(P + acl(text));
      expect(got, text).toHaveLength(1);
      expect(got[0], text).toMatch(
        new RegExp(
          `^2:${col} PC2013 .*"\\$" may only start a list reference such as \\$staff; write a literal that holds "\\$" in quotes\\.$`,
        ),
      );
    }
    // Quoted, "$" is an ordinary character of a literal.
    expect(entriesOf(P + acl('"a$b"'))).toEqual(["a$b"]);
  });

  it("refuses $NAME where a setting takes no list, instead of reading it as text", () => {
    expect(diagnosticsOf(P + "users pams = login;\nservice s { pam $pams; }\n")).toEqual([
      "3:17 PC2014 $pams is a list reference, but pam takes literal values, not lists.",
    ]);
    expect(diagnosticsOf(P + "mail { domain d.example; listen smtp; auth mechanisms $m; }\n")).toEqual([
      "2:55 PC2014 $m is a list reference, but auth mechanisms takes literal values, not lists.",
    ]);
    expect(diagnosticsOf(P + "service s { stack { account required pam_env.so $x; } }\n")[0]).toMatch(
      /^2:49 PC1001 Unexpected list reference \$x;/,
    );
    expect(diagnosticsOf(P + "service s { stack { account required pam_env.so a, $x; } }\n")[0]).toMatch(
      /^2:49 PC1001 Unexpected list of words;/,
    );
  });

  it("takes $NAME in every setting that takes a list", () => {
    const r = compileText(
      P +
        "domains local = mx.example.org;\ndomains partners = partner.example;\nnetworks lan = 10.1.0.0/16;\nusers relayers = alice;\n" +
        "mail { domain $local; listen smtp; auth mechanisms SCRAM-SHA-256; relay domains $partners; relay networks $lan; accounts $relayers; }\n",
    );
    expect(r.diagnostics.sorted().map((d) => d.code)).toEqual([]);
    const file = (p: string) => r.files!.find((f) => f.path === p)!.content;
    expect(file("etc/mail/local-host-names")).toMatch(/\nmx\.example\.org\n$/);
    expect(file("etc/mail/access")).toContain("To:partner.example\tRELAY\n");
    expect(file("etc/mail/access")).toContain("Connect:10.1\tRELAY\n");
  });

  it("keeps PC2006 for a bare word close to a list name", () => {
    expect(diagnosticsOf(P + "users mail_staff = a;\n" + acl("mail_staf"))).toEqual([
      '3:46 PC2006 "mail_staf" is a literal user name; did you mean the list $mail_staff?',
    ]);
  });
});

describe("lists: resolution has no depth the policy controls", () => {
  const chain = (n: number) => {
    const lines = [P, "users l0 = alice;\n"];
    for (let i = 1; i < n; i++) lines.push(`users l${i} = $l${i - 1}, u${i};\n`);
    return lines.join("") + acl(`$l${n - 1}`);
  };

  it("resolves 10,000 chained list definitions", () => {
    const lines = [P, "users l0 = alice;\n"];
    for (let i = 1; i < 10_000; i++) lines.push(`users l${i} = $l${i - 1};\n`);
    expect(entriesOf(lines.join("") + acl("$l9999, bob"))).toEqual(["alice", "bob"]);
  });

  it("keeps the order of a chain that adds an entry at each step", () => {
    const entries = entriesOf(chain(1_000));
    expect(entries.length).toBe(1_000);
    expect(entries.slice(0, 3)).toEqual(["alice", "u1", "u2"]);
    expect(entries[999]).toBe("u999");
  });

  it("reports a cycle at the end of a long chain once, with its path", () => {
    const lines = [P];
    for (let i = 0; i < 5_000; i++) lines.push(`users l${i} = $l${i + 1};\n`);
    lines.push("users l5000 = $l4998;\n");
    const d = diagnosticsOf(lines.join(""));
    expect(d).toEqual(['5000:7 PC2009 List "l4998" includes itself: l4998 -> l4999 -> l5000 -> l4998.']);
  });

  it("resolves a chain of 100,000 lists naming lists (no recursion the policy's depth controls)", () => {
    // Each list names the one before it and nothing else. That time grows
    // linearly with the depth is measured by npm run bench ("chained lists"),
    // not asserted here: timings in unit tests are flaky on shared machines.
    const lines = [P, "users l0 = alice;\n"];
    for (let i = 1; i < 100_000; i++) lines.push(`users l${i} = $l${i - 1};\n`);
    const r = compileText(lines.join("") + acl("$l99999"));
    expect(r.diagnostics.hasErrors).toBe(false);
    expect(r.files!.find((f) => f.path === "etc/l")!.content).toBe("alice\n");
  }, 120_000);
});

describe("lists: typo suggestions at any number of list names", () => {
  it("NearNames answers as closest() does (property)", () => {
    const word = fc.stringMatching(/^[a-d_]{1,7}$/);
    fc.assert(
      fc.property(
        fc.uniqueArray(word, { minLength: 33, maxLength: 80 }),
        fc.array(word, { minLength: 40, maxLength: 80 }),
        (names, queries) => {
          const near = new NearNames(names);
          for (const q of queries) expect(near.closest(q), q).toBe(closest(q, names));
        },
      ),
      { numRuns: 40 },
    );
  });

  it("NearNames finds every name one to three edits away, short names and long ones (property)", () => {
    const name = fc.stringMatching(/^[a-c\u00e9_]{1,46}$/);
    agreesWithClosest(name, ["a", "b", "z", "\u00e9"], 3, 40, 100);
  });

  it("NearNames answers as closest() does around the index's thresholds: 4 to 20 characters, shared prefixes (property)", () => {
    // Names that share their first characters keep the prefix bit set from ending rows early; lengths
    // 4 to 20 cross the two-edit limit (5), the prefix limit (8) and the short index's limit (16).
    const stem = fc.constantFrom("", "team", "ab", "mail.u");
    const name = fc.tuple(stem, fc.stringMatching(/^[ab_1]{0,16}$/)).map(([a, b]) => (a + b).slice(0, 20));
    agreesWithClosest(name, ["a", "b", "1", "t"], 4, 60, 200);
  });

  it("NearNames finds a long name after any two edits, wherever they fall (exhaustive)", () => {
    // Words over 16 characters go through the index of thirds: every place of two edits leaves
    // one third whole, at the shift this pair of edits gives it.
    for (const name of ["abcdefghijklmnopq", "abcdefghijklmnopqrstuvwx", "mail.users.of.the.north"]) {
      const near = new NearNames(["decoy-name-of-no-use", name]);
      const ops = (w: string, at: number, op: number): string =>
        op === 0
          ? w.slice(0, at) + "#" + w.slice(at)
          : op === 1
            ? w.slice(0, at) + w.slice(at + 1)
            : w.slice(0, at) + "%" + w.slice(at + 1);
      for (let op1 = 0; op1 < 3; op1++)
        for (let op2 = 0; op2 < 3; op2++)
          for (let x = 0; x <= name.length; x++) {
            const once = ops(name, x, op1);
            for (let y = 0; y <= once.length; y++) {
              const q = ops(once, y, op2);
              expect(near.closest(q), q).toBe(name === q ? undefined : name);
            }
          }
    }
  });

  it("NearNames answers as closest() does on the bench's shapes: entries as long as 100 list names", () => {
    const fit = (s: string, len: number): string => (s + "_" + "abcdefghijklmnopqrstuvwxyz".repeat(4)).slice(0, len);
    for (const [length, prefix] of [
      [6, "u"],
      [12, "u"],
      [12, "team"],
      [24, "mail.user."],
    ] as const) {
      const names = Array.from({ length: 100 }, (_, j) => fit(`team${j}`, length + (j % 5) - 2));
      const near = new NearNames(names);
      for (let i = 0; i < 3000; i += 7) {
        const q = fit(`${prefix}${i}`, length);
        expect(near.closest(q), q).toBe(closest(q, names));
      }
    }
  });

  it("keeps PC2006 among 20,000 list names at a cost that does not grow with them", () => {
    const defs = Array.from({ length: 20_000 }, (_, i) => `users list_${i} = m${i};\n`).join("");
    const literals = Array.from({ length: 2_000 }, (_, i) => `person${i}`).join(", ");
    // Within the test's timeout: a scan of 20,000 names per literal would be
    // 40 million comparisons (minutes); the index makes it seconds.
    const d = diagnosticsOf(P + defs + acl(`${literals}, list_1234x`));
    expect(d).toEqual([`20002:${46 + literals.length + 2} PC2006 "list_1234x" is a literal user name; did you mean the list $list_1234?`]);
  }, 60_000);
});

describe("lists: the words of a comma run are read in place (issue 17)", () => {
  it("refuses, of a bare word's characters, what userReason() and groupReason() refuse", () => {
    // A bare word holds only these (the lexer's WORD_CHARS); the hot path tests WORD_REFUSES alone.
    for (const ch of "ABCXYZabcxyz0189_./:@+-") {
      expect(userReason(`a${ch}b`) !== undefined, ch).toBe(ch === WORD_REFUSES.users);
      expect(groupReason(`a${ch}b`) !== undefined, ch).toBe(ch === WORD_REFUSES.groups);
    }
  });

  it("gives a run's words the entries and diagnostics that lone words get", () => {
    // 6,000 words: past the first 64 literals (read as strings) and the 4,096 past which repeats go by hash.
    // Sparse findings (the bag keeps 100 diagnostics), repeats all along.
    const words = Array.from({ length: 6000 }, (_, i) => {
      if (i % 53 === 0) return `u${i % 40}`; // a repeat
      switch (i % 400) {
        case 1:
          return "staffers"; // a list's name (PC2012)
        case 2:
          return "stafers"; // near a list's name (PC2006)
        case 3:
          return `a:b${i}`; // refused (PC3010)
        case 4:
          return "mail.users.of.the.nort"; // near a long list name (PC2006)
        case 5:
          return "x".repeat(256); // too long
        case 6:
          return "ops"; // a short list's name, too short for the typo check (PC2012)
        default:
          return `user${i % 2500}`;
      }
    });
    const lists = "users staffers = root;\nusers mail.users.of.the.north = root;\nusers ops = root;\n";
    const messages = (text: string) =>
      compileText(text)
        .diagnostics.sorted()
        .map((d) => `${d.code} ${d.message}`);
    // In a run, and each word alone: a string between words ends every run.
    const run = P + lists + `users big = ${words.join(", ")};\n` + acl("$big");
    const alone = P + lists + `users big = ${words.map((w) => `${w}, "zz"`).join(", ")};\n` + acl("$big");
    expect(messages(run)).toEqual(messages(alone));
    const findings = (i: number) => i % 53 !== 0 && i % 400 >= 1 && i % 400 <= 6;
    expect(messages(run).length).toBe(words.filter((_, i) => findings(i)).length);
    const clean = words.filter((_, i) => !findings(i));
    const runEntries = entriesOf(P + lists + `users big = ${clean.join(", ")};\n` + acl("$big"));
    const aloneEntries = entriesOf(P + lists + `users big = ${clean.map((w) => `${w}, "zz"`).join(", ")};\n` + acl("$big"));
    expect(runEntries).toEqual(aloneEntries.filter((w) => w !== "zz"));
    expect(runEntries).toEqual([...new Set(clean)]);
  });
});

describe("lists: cycles through a deep chain", () => {
  it("reports every cycle with a bounded path, in time linear in the chain", () => {
    // l0 <- l1 <- ... <- l20000, and every list also names l0: 20,000 cycles through a 20,000-deep stack.
    const lines = [P, "users l0 = $l1, alice;\n"];
    for (let i = 1; i < 20_000; i++) lines.push(`users l${i} = $l${i + 1}, $l0;\n`);
    lines.push("users l20000 = bob;\n");
    const r = compileText(lines.join(""));
    const cycles = r.diagnostics.sorted().filter((d) => d.code === "PC2009");
    expect(cycles.length).toBeGreaterThan(0);
    expect(cycles[0]!.message).toBe('List "l0" includes itself: l0 -> l1 -> l2 -> l3 -> ... -> l19997 -> l19998 -> l19999 -> l0.');
  }, 60_000);
});

describe("lists: a list made of a shared list and more references it (issue 17)", () => {
  const file = new SourceFile("t.policy", "alice bob carol dave erin");
  // Word spans in the text above: alice 0-5, bob 6-9, carol 10-15, dave 16-20, erin 21-25.
  const W: [number, number][] = [
    [0, 5],
    [6, 9],
    [10, 15],
    [16, 20],
    [21, 25],
  ];
  const listOf = (words: number[], decoded: Record<number, string> = {}): EntryList => {
    const l = new EntryList();
    for (const w of words) l.push(file, W[w]![0], W[w]![1], decoded[w] ?? null);
    return l;
  };

  it("reads a head's entries through it, in order, and copies none of them", () => {
    const staff = listOf([0, 1], { 1: "BOB" });
    const host = new EntryList();
    host.append(staff, true);
    host.push(file, 16, 20, null);
    expect(host.ownLength).toBe(1);
    expect(host.values()).toEqual(["alice", "BOB", "dave"]);
    expect(host.toArray().map((e) => [e.value, e.start, e.end])).toEqual([
      ["alice", 0, 5],
      ["BOB", 6, 9],
      ["dave", 16, 20],
    ]);
    expect([0, 1, 2].map((i) => host.hash(i))).toEqual([fnv1a("alice"), fnv1a("BOB"), fnv1a("dave")]);
    // A list whose head has a head references the first head, not a chain of them.
    const more = new EntryList();
    more.append(host, true);
    more.push(file, 21, 25, null);
    expect(more.ownLength).toBe(2);
    expect(more.values()).toEqual(["alice", "BOB", "dave", "erin"]);
    // Copying (not shared) takes every entry, head included.
    const copy = new EntryList();
    copy.append(more);
    expect(copy.ownLength).toBe(4);
    expect(copy.values()).toEqual(more.values());
  });

  it("without() keeps the head when it drops nothing of it, and copies it when it does (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 0, maxLength: 6 }),
        fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 0, maxLength: 6 }),
        fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
        fc.boolean(),
        (headWords, tailWords, dropBits, decode) => {
          const head = listOf(headWords, decode ? { 2: "Carol" } : {});
          const list = new EntryList();
          list.append(head, true);
          for (const w of tailWords) list.push(file, W[w]![0], W[w]![1], decode && w === 3 ? "Dave" : null);
          const expected = [...head.values(), ...tailWords.map((w) => (decode && w === 3 ? "Dave" : file.text.slice(W[w]![0], W[w]![1])))];
          expect(list.values()).toEqual(expected);
          const drop = Uint8Array.from(dropBits.slice(0, list.length), (b) => (b ? 1 : 0));
          const out = list.without(drop);
          expect(out.values()).toEqual(expected.filter((_, i) => !drop[i]));
          expect(out.toArray().map((e) => e.value)).toEqual(out.values());
          if (!drop.subarray(0, head.length).some((b) => b)) expect(out.ownLength).toBe(out.length - head.length);
        },
      ),
    );
  });

  it("gives every host of a fleet `$staff, $admins` as today, holding only its admins", () => {
    const staff = Array.from({ length: 50 }, (_, i) => `staff${i}`);
    const text =
      P +
      `users staff = ${staff.join(", ")}, "Quoted.User";\n` +
      `role shell { ${acl("$staff, $admins")} }\n` +
      `host a { role shell; users admins = root, staff3, root, ann; }\n` +
      `host b { role shell; users admins = "Quoted.User", bob; }\n`;
    const r = compileText(text);
    expect(r.diagnostics.sorted().filter((d) => d.severity === "error")).toEqual([]);
    const lists = new Map(r.build!.hosts.map((h) => [h.name, h.model.services[0]!.acls[0]!.entries]));
    expect(lists.get("a")!.values()).toEqual([...staff, "Quoted.User", "root", "ann"]);
    expect(lists.get("b")!.values()).toEqual([...staff, "Quoted.User", "bob"]);
    expect(lists.get("a")!.ownLength).toBe(2);
    expect(lists.get("b")!.ownLength).toBe(1);
  });
});

/**
 * Property: for names drawn from `name`, and queries made from one of them by
 * up to `maxEdits` inserts, deletes and replacements with `chars`, NearNames
 * answers exactly as the full comparison closest() does.
 */
function agreesWithClosest(name: fc.Arbitrary<string>, chars: string[], maxEdits: number, maxQueries: number, numRuns: number): void {
  const edit = fc.tuple(fc.constantFrom("insert", "delete", "replace"), fc.nat(), fc.constantFrom(...chars));
  fc.assert(
    fc.property(
      fc.uniqueArray(name, { minLength: 1, maxLength: 60 }),
      fc.array(fc.tuple(fc.nat(), fc.array(edit, { maxLength: maxEdits })), { maxLength: maxQueries }),
      (names, picks) => {
        const near = new NearNames(names);
        for (const [pick, edits] of picks) {
          let q = names[pick % names.length]!;
          for (const [op, at, ch] of edits) {
            const i = at % (q.length + 1);
            q =
              op === "insert"
                ? q.slice(0, i) + ch + q.slice(i)
                : op === "delete"
                  ? q.slice(0, i) + q.slice(i + 1)
                  : q.slice(0, i) + ch + q.slice(i + 1);
          }
          const answer = closest(q, names);
          expect(near.closest(q), q).toBe(answer);
          // The questions a word read in place is asked: never "none" where closest() finds a name.
          if (answer !== undefined) expect(near.mayFind(rangeHashes(q, 0, q.length), q.length), q).toBe(true);
        }
        for (const n of names) expect(near.mayBeName(rangeHashes(n, 0, n.length)[n.length]!), n).toBe(true);
      },
    ),
    { numRuns },
  );
}
