/**
 * The prettier 3 plugin for policy files, shipped as `policyc/prettier`
 * (dist/prettier.js): `prettier --plugin policyc/prettier --write site.policy`,
 * or `"plugins": ["policyc/prettier"]` in a .prettierrc. `policyc fmt` uses
 * this same plugin object.
 */
import type { Plugin, SupportLanguage } from "prettier";
import type { Node } from "../syntax/ast.js";
import { AST_FORMAT, PARSER_NAME, parser } from "./parser.js";
import { printer } from "./printer.js";

/** The policy language, for files named *.policy. */
export const languages: SupportLanguage[] = [{ name: "policyc", parsers: [PARSER_NAME], extensions: [".policy"] }];

/** The compiler's parser under the name "policyc". */
export const parsers: Plugin<Node>["parsers"] = { [PARSER_NAME]: parser };

/** The printer of the policy AST. */
export const printers: Plugin<Node>["printers"] = { [AST_FORMAT]: printer };

/** The plugin as one object: what prettier loads and what `policyc fmt` passes to prettier.format. */
const plugin: Plugin<Node> = { languages, parsers, printers };
export default plugin;
