import { TEMPLATES_OPTION, type CommandSpec } from "./command.js";
import { UsageError } from "./io.js";

/** `policyc lsp`: the language server for editors, over standard input and output. */
export const lspSpec: CommandSpec = {
  name: "lsp",
  synopsis: [["lsp [--stdio]", "the language server for editors (LSP over stdio)"]],
  description: `Runs the Language Server Protocol server over standard input and output, for
editors: diagnostics as you type (across included files and hosts), hover,
go to definition, find references, completion, formatting and the outline.
Editors start it; see the README's "In the editor" for VS Code and Neovim.`,
  options: [
    TEMPLATES_OPTION,
    { name: "stdio", help: "speak the protocol on standard input and output\n(the default and only transport; editors pass it)" },
  ],
  exits: { errors: "the client ended the session without shutting it down", usage: "wrong usage" },
  // Its standard output is the protocol's: no document is ever printed there, so --format is refused.
  noFormat: true,
  takesPolicy: false,
  async run(ctx) {
    if (ctx.positionals.length > 0) throw new UsageError(`lsp takes no arguments, not "${ctx.positionals[0]}".`);
    // In dist/policyc.cjs this is dist/lsp.js (scripts/bundle.js): only this command loads the server.
    const { runServer } = await import("../lsp/server.js");
    return runServer(ctx.options.templates ? { templates: ctx.options.templates } : {});
  },
};
