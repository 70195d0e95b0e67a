/**
 * README "Inside mail", `relay networks`, and "Safety checks", PC4101: for
 * generated sets of relay networks whose union stays under 2^25 addresses
 * (so policyc accepts them), the real sendmail built from the output relays
 * for a client inside a network and refuses one outside every network, and
 * `policyc verify` passes on the tree.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers.js";
import { requireTools, SMTP_TOOLS, skipBanner, smtpProbe, startSendmail } from "./stack.js";

const missing = requireTools(SMTP_TOOLS);
if (missing.length > 0) console.warn(skipBanner("relay networks on the real sendmail", missing));

const ipv4 = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
const size = (len: number) => 2 ** (32 - len);

/** A unicast network outside 0/8, 127/8 and 224/3, /8 to /30. */
const network = fc
  .tuple(
    fc.integer({ min: 8, max: 30 }),
    fc.integer({ min: 1, max: 222 }).filter((o) => o !== 127),
    fc.integer({ min: 0, max: 2 ** 24 - 1 }),
  )
  .map(([len, first, rest]) => {
    const addr = first * 2 ** 24 + rest;
    const base = addr - (addr % size(len));
    return { base, len, text: `${ipv4(base)}/${len}` };
  });

function inside(a: number, nets: { base: number; len: number }[]): boolean {
  return nets.some((n) => a >= n.base && a < n.base + size(n.len));
}

/** Addresses covered by the networks together (sorted intervals, merged). */
function union(nets: { base: number; len: number }[]): number {
  const r = nets.map((n) => [n.base, n.base + size(n.len)] as const).sort((x, y) => x[0] - y[0]);
  let total = 0;
  let [s, e] = [-1, -1];
  for (const [a, b] of r) {
    if (a > e) {
      total += e - s;
      [s, e] = [a, b];
    } else e = Math.max(e, b);
  }
  return total + e - s;
}

const scenario = fc
  .record({
    nets: fc.array(network, { minLength: 1, maxLength: 4 }),
    pick: fc.nat(),
    offset: fc.nat(),
    outside: fc
      .tuple(
        fc.integer({ min: 1, max: 222 }).filter((o) => o !== 127),
        fc.integer({ min: 0, max: 2 ** 24 - 1 }),
      )
      .map(([o, r]) => o * 2 ** 24 + r),
  })
  .filter(({ nets, outside }) => union(nets) < 2 ** 25 && !inside(outside, nets) && (outside & 255) !== 0 && (outside & 255) !== 255);

describe.skipIf(missing.length > 0)("relay networks on the real sendmail (fast-check)", () => {
  it("relays for a client inside the networks, refuses one outside, and verify passes (5 generated policies)", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ nets, pick, offset, outside }) => {
        const net = nets[pick % nets.length]!;
        const host = net.base + 1 + (offset % (size(net.len) - 2));
        const policy = `platform debian;\nmail {\n  domain mx.example.test;\n  listen smtp;\n  relay networks ${nets.map((n) => n.text).join(", ")};\n}\n`;
        const dir = mkdtempSync(join(tmpdir(), "policyc-nets-"));
        try {
          const built = runCli(["build", "-", "-o", dir, "-q"], { input: policy });
          expect(built.status, built.stderr).toBe(0);
          const verified = runCli(["verify", dir]);
          expect(verified.status, verified.stdout + verified.stderr).toBe(0);
          const server = await startSendmail(dir, { hostName: "mx.example.test", clientAddresses: [ipv4(host), ipv4(outside)] });
          try {
            const yes = await smtpProbe(server, { to: "someone@far.example.net", client: ipv4(host) });
            expect(yes.rcpt?.code, `${policy}\n${yes.transcript}`).toBe(250);
            const no = await smtpProbe(server, { to: "someone@far.example.net", client: ipv4(outside) });
            expect(no.mail?.code, no.transcript).toBe(250);
            expect(no.rcpt, `${policy}\n${no.transcript}`).toMatchObject({ code: 550, enhanced: "5.7.1" });
          } finally {
            await server.stop();
          }
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 5 },
    );
  }, 300_000);
});

describe.skipIf(missing.length > 0)("mail domains with a trailing dot and capitals, on the real sendmail", () => {
  it("takes mail for the local domain and relays to the relay domain as written", async () => {
    const policy = "platform debian;\nmail {\n  domain MX.Example.Test.;\n  listen smtp;\n  relay domains Partner.Example.ORG.;\n}\n";
    const dir = mkdtempSync(join(tmpdir(), "policyc-dots-"));
    try {
      const built = runCli(["build", "-", "-o", dir, "-q"], { input: policy });
      expect(built.status, built.stderr).toBe(0);
      const verified = runCli(["verify", dir]);
      expect(verified.status, verified.stdout + verified.stderr).toBe(0);
      const server = await startSendmail(dir, { hostName: "host1.elsewhere.test" });
      try {
        const local = await smtpProbe(server, { to: "postmaster@mx.example.test" });
        expect(local.rcpt?.code, local.transcript).toBe(250);
        const relayed = await smtpProbe(server, { to: "someone@partner.example.org" });
        expect(relayed.rcpt?.code, relayed.transcript).toBe(250);
        const sub = await smtpProbe(server, { to: "someone@lists.partner.example.org" });
        expect(sub.rcpt?.code, sub.transcript).toBe(250);
        const foreign = await smtpProbe(server, { to: "someone@far.example.net" });
        expect(foreign.rcpt, foreign.transcript).toMatchObject({ code: 550, enhanced: "5.7.1" });
      } finally {
        await server.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
