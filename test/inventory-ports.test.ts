/**
 * README "Hosts from an inventory": a host entry with a port (`db1:2222`,
 * `[2001:db8::7]:2022`) is the host without it, as Ansible reads it; a bare
 * IPv6 address is no host:port. Checked against ansible-inventory --list
 * itself (ansible-core); under CI=true a missing ansible-inventory fails.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DiagnosticBag } from "../src/diagnostics/diagnostic.js";
import { SourceFile } from "../src/diagnostics/source.js";
import { readInventory, withoutPort } from "../src/syntax/inventory.js";
import { runCli, tempDir } from "./helpers.js";

const ANSIBLE = spawnSync("ansible-inventory", ["--version"], { encoding: "utf8" }).status === 0;
if (!ANSIBLE && process.env.CI === "true") throw new Error("inventory ports: ansible-inventory (ansible-core) is missing with CI=true");

const ENTRIES = [
  "db1:2222",
  "web[1:2]:2200",
  "[::1]:22",
  "fe80::1",
  "2001:db8::5",
  "host.example.com:abc",
  "10.0.0.1:22",
  "[2001:db8::7]:2022",
  "ipv6x::22",
  "plain",
  "[web3.example.com]:2200",
  "db_2:22",
  "abc::zz",
  "r[a:b]-x:8",
];

/** The hosts ansible-inventory lists for the inventory at path. */
function ansibleHosts(path: string): string[] {
  const r = spawnSync("ansible-inventory", ["-i", path, "--list"], { encoding: "utf8", env: { ...process.env, ANSIBLE_NOCOLOR: "1" } });
  expect(r.status, r.stderr).toBe(0);
  const doc = JSON.parse(r.stdout) as { _meta: { hostvars: Record<string, unknown> }; all: { children: string[] } } & Record<
    string,
    { hosts?: string[] }
  >;
  return doc.web?.hosts ?? [];
}

function policycHosts(path: string, text: string): string[] {
  const bag = new DiagnosticBag();
  const hosts = readInventory(new SourceFile(path, text), bag);
  expect(bag.items.map((d) => d.message)).toEqual([]);
  return hosts!.map((h) => h.name);
}

describe.skipIf(!ANSIBLE)("inventory host:port, as ansible-inventory reads it", () => {
  it("INI: the same hosts, in the same order", () => {
    const dir = tempDir("policyc-inv-port-");
    const text = `[web]\n${ENTRIES.map((e) => `${e} ansible_user=x`).join("\n")}\n`;
    const path = join(dir, "hosts.ini");
    writeFileSync(path, text);
    const expected = ansibleHosts(path);
    expect(expected).toContain("db1");
    expect(expected).toContain("2001:db8::7");
    expect(policycHosts(path, text)).toEqual(expected);
  });

  it("YAML: the same hosts, in the same order", () => {
    const dir = tempDir("policyc-inv-port-");
    const text = `web:\n  hosts:\n${ENTRIES.map((e) => `    ${JSON.stringify(e)}:\n`).join("")}`;
    const path = join(dir, "hosts.yml");
    writeFileSync(path, text);
    const expected = ansibleHosts(path);
    expect(expected).toContain("db1");
    expect(policycHosts(path, text)).toEqual(expected);
  });
});

describe("inventory host:port in a policy", () => {
  it("db1:2222 is host db1: its host block is the same host", () => {
    const dir = tempDir("policyc-inv-port-");
    writeFileSync(join(dir, "hosts.ini"), "[mail]\ndb1:2222\n");
    writeFileSync(
      join(dir, "p.policy"),
      'platform debian;\ninventory "hosts.ini";\nrole mail {\n  service imapd {\n    pam imap;\n  }\n}\nhost db1 {\n}\n',
    );
    const r = runCli(["build", "p.policy", "-o", "out", "-q"], { cwd: dir });
    expect(r.status, r.stderr).toBe(0);
    expect(spawnSync("ls", [join(dir, "out")], { encoding: "utf8" }).stdout.split("\n")).toContain("db1");
  });

  it("a host ending in ':' is refused, as Ansible refuses it", () => {
    expect(withoutPort("db1:")).toEqual({ host: "db1:" });
    const bag = new DiagnosticBag();
    expect(readInventory(new SourceFile("h.ini", "[web]\ndb1:\n"), bag)).toBeUndefined();
    expect(bag.items[0]!.message).toContain("reserved for a port");
  });
});
