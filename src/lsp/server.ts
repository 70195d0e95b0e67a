/**
 * `policyc lsp`: the Language Server Protocol over standard input and
 * output, built on vscode-languageserver. Bundled apart (dist/lsp.js) and
 * loaded only by the `lsp` command, so no other command pays for it.
 *
 * The server keeps the open editors' texts and nothing else: every answer
 * is computed from those texts and the disk at the time it is asked
 * (project.ts), so a change to an included file shows at once in the
 * diagnostics of every open file whose policy includes it.
 */
import { fileURLToPath } from "node:url";
import { createConnection, ProposedFeatures, StreamMessageReader, StreamMessageWriter, TextDocuments } from "vscode-languageserver/node";
import { type Diagnostic, type InitializeParams, TextDocumentSyncKind } from "vscode-languageserver/node";
import {
  DidChangeTextDocumentNotification,
  DidCloseTextDocumentNotification,
  DidOpenTextDocumentNotification,
} from "vscode-languageserver/node";
import { TextDocument } from "vscode-languageserver-textdocument";
import { readmeDocs } from "./docs.js";
import * as features from "./features.js";
import { formatPolicy } from "./format.js";
import { Project } from "./project.js";

export interface ServerOptions {
  /** The templates folder (holding one folder per platform). */
  templates?: string;
}

function pathOf(uri: string): string | undefined {
  return uri.startsWith("file:") ? fileURLToPath(uri) : undefined;
}

/** The names of inventory files (INI or YAML, as the compiler tells them apart): never a root policy. */
const INVENTORY_NAME = /\.(ini|ya?ml)$/i;

/**
 * The documents a client that registers dynamically is asked to sync besides
 * its own selector (VS Code's is the policy language): open inventories, so
 * their unsaved text is what the policies that name them are checked with.
 * Only their sync: the language features stay on the client's selector.
 */
const INVENTORY_DOCUMENTS = [{ scheme: "file", pattern: "**/*.{ini,yml,yaml}" }];

/** A policy's path for the language features: a file, and not an inventory (which is only synced). */
function policyPathOf(uri: string): string | undefined {
  const path = pathOf(uri);
  return path === undefined || INVENTORY_NAME.test(path) ? undefined : path;
}

/** Runs the server until the client says exit; resolves to the exit status. */
export function runServer(options: ServerOptions = {}): Promise<number> {
  const templates = options.templates ?? fileURLToPath(new URL("../templates", import.meta.url));
  // stdout carries the protocol: anything printed goes to stderr.
  console.log = console.info = console.warn = (...args: unknown[]) => process.stderr.write(args.map(String).join(" ") + "\n");

  const connection = createConnection(
    ProposedFeatures.all,
    new StreamMessageReader(process.stdin),
    new StreamMessageWriter(process.stdout),
  );
  const documents = new TextDocuments(TextDocument);
  let folders: string[] = [];
  /** Files the server published diagnostics for, so that a file no longer reached is cleared. */
  let published = new Set<string>();

  const overlay = (): Map<string, string> => {
    const map = new Map<string, string>();
    for (const d of documents.all()) {
      const p = pathOf(d.uri);
      if (p) map.set(p, d.getText());
    }
    return map;
  };
  const project = () => new Project(folders, overlay(), templates);

  /** Runs a request's work; an internal error is logged and answered with nothing rather than ending the server. */
  const guard = <T>(what: string, fallback: T, fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      connection.console.error(`policyc lsp: ${what} failed: ${(e as Error).stack ?? String(e)}`);
      return fallback;
    }
  };

  /**
   * The last diagnostics of each root policy of the open files. An edit in
   * an open file recompiles the roots whose policy reads that file (the file
   * itself, or the policies that include it) and any root that is new; the
   * others cannot have changed. Saving, closing and changes on disk
   * recompile every root.
   */
  const byRoot = new Map<string, Map<string, Diagnostic[]>>();
  const changed = new Set<string>();
  let everything = true;
  let timer: NodeJS.Timeout | undefined;
  const publish = (): void => {
    timer = undefined;
    guard("diagnostics", undefined, () => {
      const p = project();
      const open = documents
        .all()
        .map((d) => pathOf(d.uri))
        .filter((path): path is string => path !== undefined);
      // An open inventory no policy names is not a policy: it is checked only through the policies that name it.
      const rootsOf = (path: string) => p.rootsOf(path).filter((r) => !INVENTORY_NAME.test(r));
      const roots = new Set(open.flatMap(rootsOf));
      const affected = everything ? roots : new Set([...changed].flatMap(rootsOf));
      everything = false;
      changed.clear();
      for (const r of byRoot.keys()) if (!roots.has(r)) byRoot.delete(r);
      for (const r of roots) if (affected.has(r) || !byRoot.has(r)) byRoot.set(r, features.rootDiagnostics(p, r));
      const merged = features.mergeDiagnostics([new Map(open.map((path) => [path, []])), ...byRoot.values()]);
      for (const [path, diagnostics] of merged) void connection.sendDiagnostics({ uri: features.uriOf(path), diagnostics });
      for (const path of published) if (!merged.has(path)) void connection.sendDiagnostics({ uri: features.uriOf(path), diagnostics: [] });
      published = new Set(merged.keys());
    });
  };
  /** Diagnostics after the current burst of changes (an editor sends one per keystroke). */
  const schedule = (uri?: string): void => {
    const path = uri === undefined ? undefined : pathOf(uri);
    if (path === undefined) everything = true;
    else changed.add(path);
    if (timer) clearTimeout(timer);
    timer = setTimeout(publish, 20);
  };

  let registersSync = false;
  connection.onInitialize((params: InitializeParams) => {
    registersSync = params.capabilities.textDocument?.synchronization?.dynamicRegistration === true;
    const uris = params.workspaceFolders?.map((f) => f.uri) ?? (params.rootUri ? [params.rootUri] : []);
    folders = uris.map(pathOf).filter((p): p is string => p !== undefined);
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Full,
        hoverProvider: true,
        definitionProvider: true,
        referencesProvider: true,
        completionProvider: { triggerCharacters: ["$", " "] },
        documentFormattingProvider: true,
        documentSymbolProvider: true,
      },
      serverInfo: { name: "policyc" },
    };
  });

  connection.onInitialized(() => {
    if (!registersSync) return;
    void connection.client.register(DidOpenTextDocumentNotification.type, { documentSelector: INVENTORY_DOCUMENTS });
    void connection.client.register(DidChangeTextDocumentNotification.type, {
      documentSelector: INVENTORY_DOCUMENTS,
      syncKind: TextDocumentSyncKind.Full,
    });
    void connection.client.register(DidCloseTextDocumentNotification.type, { documentSelector: INVENTORY_DOCUMENTS });
  });

  documents.onDidOpen((e) => schedule(e.document.uri));
  documents.onDidChangeContent((e) => schedule(e.document.uri));
  documents.onDidSave(() => schedule());
  documents.onDidClose((e) => {
    // A closed file's own diagnostics go; the others are recomputed from the disk.
    const p = pathOf(e.document.uri);
    if (p) {
      published.delete(p);
      void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
    }
    schedule();
  });
  connection.onDidChangeWatchedFiles(() => schedule());

  const at = (uri: string, position: { line: number; character: number }) => {
    const doc = documents.get(uri);
    const path = policyPathOf(uri);
    if (!doc || !path) return undefined;
    const text = doc.getText();
    return { path, text, offset: doc.offsetAt(position) };
  };

  connection.onHover(({ textDocument, position }) =>
    guard("hover", null, () => {
      const p = at(textDocument.uri, position);
      return p ? features.hover(project(), p.path, p.text, p.offset, readmeDocs()) : null;
    }),
  );
  connection.onDefinition(({ textDocument, position }) =>
    guard("definition", [], () => {
      const p = at(textDocument.uri, position);
      return p ? features.definition(project(), p.path, p.text, p.offset) : [];
    }),
  );
  connection.onReferences(({ textDocument, position, context }) =>
    guard("references", [], () => {
      const p = at(textDocument.uri, position);
      return p ? features.references(project(), p.path, p.text, p.offset, context.includeDeclaration) : [];
    }),
  );
  connection.onCompletion(({ textDocument, position }) =>
    guard("completion", [], () => {
      const p = at(textDocument.uri, position);
      return p ? features.completion(project(), p.path, p.text, p.offset) : [];
    }),
  );
  connection.onDocumentSymbol(({ textDocument }) =>
    guard("symbols", [], () => {
      const doc = documents.get(textDocument.uri);
      const path = policyPathOf(textDocument.uri);
      return doc && path ? features.symbols(path, doc.getText()) : [];
    }),
  );
  connection.onDocumentFormatting(async ({ textDocument }) => {
    const doc = documents.get(textDocument.uri);
    const path = policyPathOf(textDocument.uri);
    if (!doc || !path) return [];
    try {
      const text = doc.getText();
      const formatted = await formatPolicy(path, text);
      if (formatted === undefined || formatted === text) return [];
      return [{ range: { start: doc.positionAt(0), end: doc.positionAt(text.length) }, newText: formatted }];
    } catch (e) {
      connection.console.error(`policyc lsp: formatting failed: ${(e as Error).stack ?? String(e)}`);
      return [];
    }
  });

  return new Promise((resolve) => {
    let shutdown = false;
    connection.onShutdown(() => {
      shutdown = true;
      if (timer) clearTimeout(timer);
    });
    connection.onExit(() => resolve(shutdown ? 0 : 1));
    // The editor went away without a word (its end of the pipe closed): the same as exit.
    process.stdin.on("end", () => resolve(shutdown ? 0 : 1));
    documents.listen(connection);
    connection.listen();
  });
}
