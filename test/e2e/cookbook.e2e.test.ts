/**
 * examples/cookbook.policy, compiled by the CLI, on the real Linux-PAM and
 * sendmail (see stack.ts): recipes 4.3 and 8.18 do what they say.
 */
import { rm } from "node:fs/promises";
import { cookbookExpectations } from "./cookbook.expect.js";
import { describeStack } from "./stack-suite.js";
import { makeTempDir } from "./stack.js";
import { runCli } from "../helpers.js";

describeStack(
  "examples/cookbook.policy",
  async () => {
    const dir = await makeTempDir("policyc-tree-");
    const r = runCli(["build", "examples/cookbook.policy", "-o", dir, "-q"]);
    if (r.status !== 0) throw new Error(`policyc build failed:\n${r.stderr}`);
    return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
  },
  cookbookExpectations,
);
