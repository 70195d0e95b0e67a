// Regenerates the table of src/check/etcServices.ts, the TCP service names
// (and aliases) of Debian's /etc/services (package netbase), which sendmail
// looks a `listen` port name up in (getservbyname(name, "tcp")):
//
//   node scripts/services.js            print the table's entries, one a line
//   node scripts/services.js --write    rewrite the table in etcServices.ts
//
// It reads /etc/services (or $SERVICES) and names the netbase version dpkg
// reports. test/unit/etc-services.test.ts compares the committed table with
// the installed file when that is the same netbase version, so the compiler
// never reads the host's file itself: the target host's decides.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";

const root = new URL("..", import.meta.url).pathname;
const FILE = process.env.SERVICES ?? "/etc/services";

/** "name port" for every tcp name and alias of an /etc/services text, sorted by name. */
export function tcpNames(text) {
  const out = new Map();
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*/, "").trim();
    if (!line) continue;
    const [name, portProto, ...aliases] = line.split(/\s+/);
    const m = /^(\d+)\/tcp$/.exec(portProto ?? "");
    if (!m) continue;
    for (const n of [name, ...aliases]) if (!out.has(n)) out.set(n, Number(m[1]));
  }
  return [...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function netbaseVersion() {
  try {
    return execFileSync("dpkg-query", ["-W", "-f", "${Version}", "netbase"], { encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop())) {
  const entries = tcpNames(readFileSync(FILE, "utf8"));
  if (!process.argv.includes("--write")) {
    for (const [n, p] of entries) console.log(`${n} ${p}`);
  } else {
    const path = `${root}src/check/etcServices.ts`;
    const text = readFileSync(path, "utf8");
    const body = entries.map(([n, p]) => `${n}:${p}`).join(" ");
    const lines = [];
    let line = "";
    for (const word of body.split(" ")) {
      if (line && line.length + word.length + 1 > 100) {
        lines.push(line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    lines.push(line);
    const table = `export const NETBASE_VERSION = "${netbaseVersion()}";\n\n/** name:port, the tcp names and aliases, sorted. */\nconst NETBASE_TCP = \`\n${lines.join("\n")}\n\`;`;
    const next = text.replace(/export const NETBASE_VERSION = [^]*?\n`;/, table);
    writeFileSync(path, next);
    console.log(`wrote ${entries.length} names of netbase ${netbaseVersion()} to ${path}`);
  }
}
