import fc from "fast-check";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { propertyRuns, runCli, tempDir, treeState } from "./helpers.js";

/**
 * README "Command line": "Every command that compiles a policy and prints its
 * warnings (`check`, `build`, `test`, `diff`, `explain`, `who`, `report`)
 * takes `--max-warnings N`: with more than N warnings the command fails
 * (exit 1) with error PC5050 and does nothing else (`build` writes nothing,
 * `diff` compares nothing)." Generated: policies with k warnings (lists with
 * `onerr succeed`, PC4002; acknowledged ones do not count), N from 0 to 4,
 * each command. The oracle is the same command without the option: over the
 * limit, exit 1, PC5050 and no output of the command's own (no tree, no
 * patch, no answer); at or under it, exactly what the command does without it.
 */
const COMMANDS = ["check", "build", "test", "diff", "explain", "who", "report"] as const;

const anyCase = fc.record({
  warned: fc.nat(4),
  acknowledged: fc.nat(2),
  max: fc.nat(4),
  command: fc.constantFrom(...COMMANDS),
});

function policyOf(warned: number, acknowledged: number): string {
  const lists = [];
  for (let i = 0; i < warned; i++) lists.push(`  acl user allow "/etc/w${i}.acl" { entries root, alice; onerr succeed; }`);
  for (let i = 0; i < acknowledged; i++)
    lists.push(`  acl user deny "/etc/a${i}.acl" { entries mallory; onerr succeed; unsafe PC4002 "tested on purpose"; }`);
  if (!lists.length) lists.push(`  acl user allow "/etc/plain.acl" { entries root, alice; }`);
  return `platform debian;\nservice imapd {\n  pam imap;\n${lists.join("\n")}\n}\nexpect allow imapd user alice;\n`;
}

function argsOf(command: (typeof COMMANDS)[number]): string[] {
  switch (command) {
    case "build":
      return ["build", "p.policy", "-o", "out"];
    case "diff":
      return ["diff", "p.policy", "--root", "root"];
    case "explain":
      return ["explain", "p.policy", "imapd", "alice"];
    case "who":
      return ["who", "p.policy", "imapd"];
    default:
      return [command, "p.policy"];
  }
}

describe("--max-warnings N on every command that compiles, on generated policies", () => {
  it("over N: exit 1, PC5050, nothing else done; at or under N: as without the option", () => {
    fc.assert(
      fc.property(anyCase, (c) => {
        const dir = tempDir("policyc-maxw-gen-");
        try {
          writeFileSync(join(dir, "p.policy"), policyOf(c.warned, c.acknowledged));
          mkdirSync(join(dir, "root/etc"), { recursive: true });
          writeFileSync(join(dir, "root/etc/w0.acl"), "someone else\n");
          const rootBefore = treeState(join(dir, "root"), { folderTimes: true });
          const r = runCli([...argsOf(c.command), "--max-warnings", String(c.max)], { cwd: dir });
          const label = `${JSON.stringify(c)}\nexit ${r.status}\nstdout:\n${r.stdout.slice(0, 500)}\nstderr:\n${r.stderr.slice(0, 800)}`;
          if (c.warned > c.max) {
            expect(r.status, label).toBe(1);
            expect(r.stderr, label).toContain("PC5050");
            expect(r.stdout, label).toBe("");
            expect(existsSync(join(dir, "out")), label).toBe(false);
            expect(treeState(join(dir, "root"), { folderTimes: true }), label).toEqual(rootBefore);
            return;
          }
          rmSync(join(dir, "out"), { recursive: true, force: true });
          const plain = runCli(argsOf(c.command), { cwd: dir });
          expect(r.stderr, label).not.toContain("PC5050");
          expect(r.status, label).toBe(plain.status);
          expect(r.stdout, label).toBe(plain.stdout);
          expect(r.stderr, label).toBe(plain.stderr);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      propertyRuns(40),
    );
  }, 600_000);
});
