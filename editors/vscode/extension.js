// The VS Code side of policyc: starts `policyc lsp` for *.policy files and
// leaves everything else (diagnostics, hover, definition, references,
// completion, formatting, outline) to the server. build.mjs bundles this
// file with vscode-languageclient into dist/extension.js before packaging.
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

/** @type {LanguageClient | undefined} */
let client;

async function activate(context) {
  const config = vscode.workspace.getConfiguration("policyc");
  const command = config.get("path") || "policyc";
  const templates = config.get("templates");
  const args = ["lsp", ...(templates ? ["--templates", templates] : [])];
  const server = { command, args };
  client = new LanguageClient(
    "policyc",
    "policyc",
    { run: server, debug: server },
    {
      // The language features (formatting above all) are for policies only. Open inventories
      // (.ini, .yml, .yaml) are synced too, for their unsaved text: the server registers their
      // sync itself (didOpen/didChange/didClose), so VS Code never offers policyc for YAML or INI.
      documentSelector: [{ scheme: "file", language: "policy" }],
      // Included files and inventories change on disk too (git checkout, another editor): the server recomputes.
      synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher("**/*.{policy,ini,yml,yaml}") },
    },
  );
  context.subscriptions.push(client);
  await client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
