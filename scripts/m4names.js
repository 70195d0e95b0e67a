// Regenerates the word table of src/targets/sendmail/m4names.ts from the
// installed GNU m4 and sendmail-cf (Debian: m4, sendmail-cf):
//
//   node scripts/m4names.js            print the table's names, one a line
//   node scripts/m4names.js --write    rewrite the table in m4names.ts
//
// The names are (1) m4's builtins (`dumpdef` on empty input), (2) every
// NAME of define(`NAME' or pushdef(`NAME' in any .m4 file of sendmail-cf's
// tree, and (3) every macro defined once cf.m4 has read the golden
// cookbook .mc (`dumpdef` at its end: names made by other macros). Names
// m4names.ts reserves by pattern (_, conf, sm_, m4) are left out.
// test/unit/relay-m4names.test.ts checks the committed table against the
// installed tree, so the compiler never reads the host's tree itself.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const CF_DIR = "/usr/share/sendmail/cf";
const RESERVED = /^(_|conf|sm_|m4)/;
const root = new URL("..", import.meta.url).pathname;

/** Names of the definitions `dumpdef` prints on m4's stderr (m4's output is dropped). */
function dumpdef(input) {
  const out = execFileSync("sh", ["-c", "m4 2>&1 >/dev/null"], { input, encoding: "utf8" });
  return out
    .split("\n")
    .map((l) => /^([A-Za-z_][A-Za-z0-9_]*):/.exec(l)?.[1])
    .filter(Boolean);
}

function m4Files(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...m4Files(p));
    else if (e.name.endsWith(".m4")) out.push(p);
  }
  return out;
}

/** Every macro name the installed m4 and sendmail-cf define, reserved patterns left out, sorted. */
export function installedNames() {
  const names = new Set(dumpdef("dumpdef\n"));
  for (const f of m4Files(CF_DIR)) {
    for (const m of readFileSync(f, "latin1").matchAll(/\b(?:define|pushdef)\(\s*[`"]*([A-Za-z_][A-Za-z0-9_]*)/g)) names.add(m[1]);
  }
  const mc = readFileSync(join(root, "test/golden/cookbook/etc/mail/sendmail.mc"), "utf8");
  for (const n of dumpdef(mc + "dumpdef\n")) names.add(n);
  return [...names].filter((n) => !RESERVED.test(n)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop())) {
  const names = installedNames();
  if (process.argv.includes("--write")) {
    const file = join(root, "src/targets/sendmail/m4names.ts");
    const src = readFileSync(file, "utf8");
    const start = src.indexOf("new Set([\n") + "new Set([\n".length;
    const end = src.indexOf("]);", start);
    const old = src
      .slice(start, end)
      .match(/"([^"]+)"/g)
      .map((s) => s.slice(1, -1));
    const all = [...new Set([...old, ...names])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    writeFileSync(file, src.slice(0, start) + all.map((n) => `  ${JSON.stringify(n)},\n`).join("") + src.slice(end));
    console.log(`m4names.ts: ${all.length} names (${all.length - old.length} added)`);
  } else console.log(names.join("\n"));
}
