import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { CLI, ROOT, runCli } from "../helpers.js";

/**
 * README "In the editor": the language server's standard output is the LSP
 * transport, so nothing but protocol frames may ever be written to it (no
 * diagnostics document at the end of the session, whatever the options).
 */
function frame(message: object): string {
  const body = JSON.stringify({ jsonrpc: "2.0", ...message });
  return `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/** Splits stdout into frames; throws on any byte that is not part of one. */
function frames(stdout: string): Array<{ id?: number; result?: unknown; method?: string }> {
  const out: Array<{ id?: number; result?: unknown; method?: string }> = [];
  let rest = Buffer.from(stdout);
  while (rest.length) {
    const head = rest.indexOf("\r\n\r\n");
    if (head < 0) throw new Error(`not an LSP frame: ${JSON.stringify(rest.toString())}`);
    const header = rest.subarray(0, head).toString();
    const m = /^Content-Length: (\d+)(\r\nContent-Type: [^\r]*)?$/.exec(header);
    if (!m) throw new Error(`not an LSP header: ${JSON.stringify(header)}`);
    const length = Number(m[1]);
    const body = rest.subarray(head + 4, head + 4 + length);
    if (body.length !== length) throw new Error(`a truncated frame: ${JSON.stringify(body.toString())}`);
    out.push(JSON.parse(body.toString()));
    rest = rest.subarray(head + 4 + length);
  }
  return out;
}

const OPENING =
  frame({ id: 1, method: "initialize", params: { processId: null, rootUri: null, capabilities: {} } }) +
  frame({ method: "initialized", params: {} }) +
  frame({ id: 2, method: "shutdown" });
const EXIT = frame({ method: "exit" });
const SESSION = OPENING + EXIT;

/** An editor's session: initialize, initialized, shutdown; exit once shutdown is answered (as the protocol asks). */
function session(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let exited = false;
    const timer = setTimeout(() => child.kill(), 20_000);
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      if (!exited && stdout.includes('"id":2,')) {
        exited = true;
        child.stdin.end(EXIT);
      }
    });
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
    child.stdin.write(OPENING);
  });
}

describe("lsp: standard output belongs to the protocol", () => {
  it("lsp --stdio: an initialize/shutdown/exit session leaves only LSP frames on stdout", async () => {
    const r = await session(["lsp", "--stdio"]);
    expect(r.status, r.stderr).toBe(0);
    const got = frames(r.stdout);
    expect(got.find((f) => f.id === 1)?.result).toHaveProperty("capabilities");
    expect(got.find((f) => f.id === 2)).toHaveProperty("result", null);
  });

  it("refuses --format (it prints no document): exit 2, nothing on stdout, the session never starts", () => {
    for (const format of ["json", "sarif", "human"]) {
      const r = runCli(["lsp", "--format", format], { input: SESSION });
      expect(r).toEqual({
        status: 2,
        stdout: "",
        stderr: 'policyc: --format is not an option of lsp.\nRun "policyc --help" for usage.\n',
      });
    }
  });

  it("the pipe closed without a session: exit 1 and an empty stdout", () => {
    const r = runCli(["lsp"], { input: "" });
    expect([r.status, r.stdout]).toEqual([1, ""]);
  });
});
