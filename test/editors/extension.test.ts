import Module, { createRequire } from "node:module";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ROOT } from "../helpers.js";

/**
 * README "VS Code" and "Hosts from an inventory": editors/vscode/extension.js
 * loaded with stand-ins for the editor's "vscode" module and for
 * vscode-languageclient, to see what it asks of them. The language features
 * (formatting above all) stay on the policy language, so VS Code never offers
 * policyc as the formatter of a YAML or INI file; open inventories are synced
 * because the server asks for them (test/lsp/lsp.test.ts, "inventories in an
 * editor that syncs only what it is told"), and changes on disk come through
 * the file watcher.
 */
type Load = (request: string, parent: unknown, isMain: boolean) => unknown;
const moduleWithLoad = Module as unknown as { _load: Load };
const originalLoad = moduleWithLoad._load;
afterEach(() => {
  moduleWithLoad._load = originalLoad;
});

describe("the VS Code extension's client", () => {
  it("keeps its document selector on policies and watches inventories on disk", async () => {
    const made: { id: string; options: { documentSelector: unknown; synchronize: { fileEvents: { glob: string } } } }[] = [];
    const watched: string[] = [];
    let started = 0;
    const vscode = {
      workspace: {
        getConfiguration: () => ({ get: () => undefined }),
        createFileSystemWatcher: (glob: string) => {
          watched.push(glob);
          return { glob };
        },
      },
    };
    class LanguageClient {
      constructor(id: string, _name: string, _server: unknown, options: (typeof made)[number]["options"]) {
        made.push({ id, options });
      }
      async start() {
        started++;
      }
      stop() {}
      dispose() {}
    }
    moduleWithLoad._load = function (request, parent, isMain) {
      if (request === "vscode") return vscode;
      if (request === "vscode-languageclient/node") return { LanguageClient };
      return originalLoad.call(this, request, parent, isMain);
    };
    const extension = createRequire(import.meta.url)(join(ROOT, "editors/vscode/extension.js")) as { activate(c: unknown): Promise<void> };
    const subscriptions: unknown[] = [];
    await extension.activate({ subscriptions });
    expect(started).toBe(1);
    expect(made).toHaveLength(1);
    expect(made[0]!.options.documentSelector).toEqual([{ scheme: "file", language: "policy" }]);
    expect(watched).toEqual(["**/*.{policy,ini,yml,yaml}"]);
    expect(made[0]!.options.synchronize.fileEvents).toEqual({ glob: "**/*.{policy,ini,yml,yaml}" });
  });
});
