/**
 * On the real sendmail, with openssl as the client:
 * - README "Inside mail", `listen smtps`: port 465 speaks TLS from the first
 *   byte (policyc adds modifier s), with the policy's certificate; no
 *   plain-text greeting is sent there.
 * - README "Safety checks", PC4101 on trusting EXTERNAL: why it is an open
 *   relay. With `tls ca`, any client holding a certificate that CA signed
 *   authenticates with AUTH EXTERNAL and relays, though no account exists.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers.js";
import { CLIENT, exec, requireTools, type Sendmail, SMTP_TOOLS, skipBanner, sq, startSendmail, TLS_TOOLS } from "./stack.js";

const missing = requireTools([...SMTP_TOOLS, ...TLS_TOOLS]);
if (missing.length > 0) console.warn(skipBanner("SMTPS and EXTERNAL on the real sendmail", missing));

const TLS_DIR = "/etc/ssl/policyc-e2e";
const TLS = { certificate: `${TLS_DIR}/mx.pem`, key: `${TLS_DIR}/mx.key`, ca: `${TLS_DIR}/ca.pem`, caPath: `${TLS_DIR}/certs` };
const POLICY = `platform debian;
mail {
  domain mx.example.test;
  listen smtp;
  listen smtps;
  auth mechanisms EXTERNAL;
  relay authenticated EXTERNAL;
  tls certificate ${TLS.certificate};
  tls key ${TLS.key};
  tls ca ${TLS.ca};
  tls ca-path ${TLS.caPath};
  unsafe PC4101 "e2e: shows what trusting EXTERNAL lets a certificate holder do";
}
`;

/**
 * One openssl s_client session from the test client's address: the lines
 * are sent 0.3 s apart, starting a second after the TLS handshake (-starttls smtp: after
 * openssl's own EHLO and STARTTLS); prints what the server said.
 */
async function tlsClient(
  server: Sendmail,
  o: { port: number; starttls?: boolean; cert?: string; key?: string; lines: string[] },
): Promise<string> {
  const args = ["-quiet", "-connect", `127.0.0.1:${o.port}`, "-bind", `${CLIENT.ip}:0`];
  if (o.starttls) args.push("-starttls", "smtp", "-name", CLIENT.name);
  if (o.cert && o.key) args.push("-cert", o.cert, "-key", o.key);
  const feed = [...o.lines, "QUIT"].map((l) => `sleep 0.3; printf '%s\\r\\n' ${sq(l)}`).join("; ");
  const script = `(sleep 1; ${feed}; sleep 1) | timeout 30 openssl s_client ${args.map(sq).join(" ")} 2>&1`;
  const r = await exec("nsenter", [`--net=${server.netns}`, "bash", "-c", script], { timeoutMs: 60_000 });
  return r.stdout + r.stderr;
}

describe.skipIf(missing.length > 0)("SMTPS and trusted EXTERNAL on the real sendmail", () => {
  let dir = "";
  let server: Sendmail | undefined;
  let certs = { cert: "", key: "" };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "policyc-tls-"));
    const r = runCli(["build", "-", "-o", dir], { input: POLICY });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain("PC4100"); // the override stays visible
    server = await startSendmail(dir, { hostName: "mx.example.test", tlsFiles: TLS });
    // The client holds a certificate the policy's CA verifies (here the CA's own).
    certs = { cert: join(server.sandbox.root, TLS.certificate), key: join(server.sandbox.root, TLS.key) };
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("listen smtps: port 465 greets only inside TLS", async () => {
    const out = await tlsClient(server!, { port: 465, lines: ["EHLO client.example.test"] });
    expect(out).toMatch(/^220 mx\.example\.test ESMTP/m);
    expect(out).toMatch(/^250-mx\.example\.test Hello/m);
    const plain = await exec("nsenter", [
      `--net=${server!.netns}`,
      "bash",
      "-c",
      'exec 3<>/dev/tcp/127.0.0.1/465 || exit 9; IFS= read -r -t 3 line <&3; printf "%s" "$line"',
    ]);
    expect(plain.code, plain.stderr).toBe(0); // connected (a refused connection exits 9)
    expect(plain.stdout).toBe(""); // no plain-text 220: the server waits for a TLS ClientHello
  }, 60_000);

  it("trusting EXTERNAL: a client certificate alone relays, with no account", async () => {
    const out = await tlsClient(server!, {
      port: 25,
      starttls: true,
      cert: certs.cert,
      key: certs.key,
      lines: ["EHLO client.example.test", "AUTH EXTERNAL =", `MAIL FROM:<${CLIENT.from}>`, "RCPT TO:<someone@far.example.net>"],
    });
    if (process.env.POLICYC_E2E_SHOW) console.log(out);
    expect(out).toMatch(/^250-AUTH .*EXTERNAL/m);
    expect(out).toMatch(/^235 /m);
    expect(out).toMatch(/^250 2\.1\.5 /m);
  }, 60_000);

  it("without a client certificate the same session is refused relaying", async () => {
    const out = await tlsClient(server!, {
      port: 25,
      starttls: true,
      lines: ["EHLO client.example.test", "AUTH EXTERNAL =", `MAIL FROM:<${CLIENT.from}>`, "RCPT TO:<someone@far.example.net>"],
    });
    expect(out).not.toMatch(/^235 /m);
    expect(out).toMatch(/^550 5\.7\.1 .*Relaying denied/m);
  }, 60_000);
});
