/**
 * README "Inside mail", `greet pause`, and "What the generated sendmail.mc
 * keeps": on the real sendmail, the Debian stock .mc's greet_pause that the
 * generated .mc keeps refuses a client that talks before the greeting
 * without greeting it, and `greet pause 0` turns that off (the client is
 * greeted at once).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers.js";
import { exec, requireTools, type Sendmail, SMTP_TOOLS, skipBanner, startSendmail } from "./stack.js";

const missing = requireTools(SMTP_TOOLS);
if (missing.length > 0) console.warn(skipBanner("greet_pause on the real sendmail (test/e2e/stock-mail-greet.e2e.test.ts)", missing));

/** Connects from 127.0.0.2, sends EHLO at once, without waiting for the greeting, and returns what the server said. */
async function talkFirst(server: Sendmail): Promise<string> {
  const script = ["exec 3<>/dev/tcp/127.0.0.1/25", "printf 'EHLO client.example.test\\r\\nQUIT\\r\\n' >&3", "timeout 10 cat <&3"].join(
    "\n",
  );
  // bash's /dev/tcp cannot pick the source address; 127.0.0.1 is not exempt from the
  // pause: the policy's access map has no GreetPause entry (Debian's stock map has one).
  const r = await exec("nsenter", [`--net=${server.netns}`, "bash", "-c", script], { timeoutMs: 20_000 });
  return r.stdout;
}

describe.skipIf(missing.length > 0)("greet_pause on the real sendmail", () => {
  const dirs: string[] = [];
  const servers: Sendmail[] = [];
  afterAll(async () => {
    for (const s of servers) await s.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  async function serve(extra: string): Promise<Sendmail> {
    const dir = mkdtempSync(join(tmpdir(), "policyc-greet-"));
    dirs.push(dir);
    const r = runCli(["build", "-", "-o", dir, "-q"], {
      input: `platform debian;\nmail {\n  domain mail.example.org;\n  listen smtp;\n${extra}}\n`,
    });
    expect(r.status, r.stderr).toBe(0);
    const s = await startSendmail(dir, { hostName: "mx.example.org" });
    servers.push(s);
    return s;
  }

  it("refuses a client that talks before the greeting with the stock .mc's pause (554)", async () => {
    const out = await talkFirst(await serve(""));
    expect(out).toMatch(/^554 .*not accepting messages/m);
    expect(out).not.toMatch(/^(220|250)/m);
  }, 60_000);

  it("greets at once with greet pause 0 (sendmail then answers the early EHLO as a protocol error of its own)", async () => {
    const out = await talkFirst(await serve("  greet pause 0;\n"));
    expect(out).toMatch(/^220 /m);
    expect(out).not.toMatch(/not accepting messages/);
  }, 60_000);
});
