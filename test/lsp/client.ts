/**
 * A Language Server Protocol client for the tests: spawns `node
 * bin/policyc.js lsp` and talks JSON-RPC to it with
 * vscode-languageserver-protocol, as an editor would.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { pathToFileURL } from "node:url";
import {
  createProtocolConnection,
  type Diagnostic,
  type ProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
} from "vscode-languageserver-protocol/node";
import { CLI, ROOT } from "../helpers.js";

export const uri = (path: string): string => pathToFileURL(path).href;

export class LspClient {
  readonly connection: ProtocolConnection;
  readonly process: ChildProcess;
  /** The latest diagnostics published for each URI. */
  readonly diagnostics = new Map<string, Diagnostic[]>();
  /** What the server asked to register (client/registerCapability), in order. */
  readonly registrations: { method: string; registerOptions?: unknown }[] = [];
  private waiters: (() => void)[] = [];
  private versions = new Map<string, number>();
  stderr = "";
  exitCode: number | null = null;

  constructor(args: string[] = []) {
    this.process = spawn(process.execPath, [CLI, "lsp", ...args], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
    this.process.stderr!.on("data", (d: Buffer) => (this.stderr += d.toString()));
    this.process.on("exit", (code) => (this.exitCode = code));
    this.connection = createProtocolConnection(new StreamMessageReader(this.process.stdout!), new StreamMessageWriter(this.process.stdin!));
    this.connection.onNotification("textDocument/publishDiagnostics", (p: { uri: string; diagnostics: Diagnostic[] }) => {
      this.diagnostics.set(p.uri, p.diagnostics);
      for (const w of this.waiters.splice(0)) w();
    });
    this.connection.onRequest("client/registerCapability", (p: { registrations: { method: string; registerOptions?: unknown }[] }) => {
      this.registrations.push(...p.registrations);
      return null;
    });
    this.connection.onNotification("window/logMessage", (p: { message: string }) => {
      this.stderr += p.message + "\n";
    });
    this.connection.listen();
  }

  /** initialize (with the client capabilities given: none by default), then initialized. */
  async initialize(folder: string | null, capabilities: object = {}): Promise<unknown> {
    const result = await this.connection.sendRequest("initialize", {
      processId: process.pid,
      rootUri: folder ? uri(folder) : null,
      workspaceFolders: folder ? [{ uri: uri(folder), name: "test" }] : null,
      capabilities,
    });
    await this.connection.sendNotification("initialized", {});
    return result;
  }

  async open(path: string, text: string, languageId = "policy"): Promise<void> {
    this.versions.set(uri(path), 1);
    await this.connection.sendNotification("textDocument/didOpen", {
      textDocument: { uri: uri(path), languageId, version: 1, text },
    });
  }

  async change(path: string, text: string): Promise<void> {
    const version = (this.versions.get(uri(path)) ?? 1) + 1;
    this.versions.set(uri(path), version);
    await this.connection.sendNotification("textDocument/didChange", {
      textDocument: { uri: uri(path), version },
      contentChanges: [{ text }],
    });
  }

  async closeDocument(path: string): Promise<void> {
    await this.connection.sendNotification("textDocument/didClose", { textDocument: { uri: uri(path) } });
  }

  /** Waits until the diagnostics of a file satisfy a condition (each publication is checked). */
  async diagnosticsOf(path: string, until: (d: Diagnostic[]) => boolean, timeoutMs = 20_000): Promise<Diagnostic[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const d = this.diagnostics.get(uri(path));
      if (d && until(d)) return d;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching diagnostics for ${path}; last: ${JSON.stringify(d)}\nserver stderr: ${this.stderr}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  request<T>(method: string, params: unknown): Promise<T> {
    return this.connection.sendRequest(method, params) as Promise<T>;
  }

  /** shutdown, exit; resolves to the server's exit code. */
  async close(): Promise<number | null> {
    if (this.exitCode === null) {
      const exited = new Promise<void>((resolve) => this.process.once("exit", () => resolve()));
      await this.request("shutdown", null);
      await this.connection.sendNotification("exit");
      await exited;
    }
    this.connection.dispose();
    return this.exitCode;
  }
}

/** A position in a text: the line and character of the first occurrence of `needle` (plus `delta` characters). */
export function positionOf(text: string, needle: string, delta = 0): { line: number; character: number } {
  const i = text.indexOf(needle);
  if (i === -1) throw new Error(`"${needle}" is not in the text`);
  const offset = i + delta;
  const before = text.slice(0, offset);
  const line = before.split("\n").length - 1;
  return { line, character: offset - (before.lastIndexOf("\n") + 1) };
}
