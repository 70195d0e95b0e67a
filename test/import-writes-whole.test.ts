/**
 * README "Importing a host": `import` writes POLICY "whole or not at all";
 * with warnings it "writes nothing and exits 1, unless --allow-lossy", an
 * error of the imported policy (PC7008) writes nothing, and an unusable root
 * is exit 2. Checked where a user would see it: an earlier POLICY keeps its
 * bytes, a new one is not created, and no temporary is left beside it.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, runCli, tempDir } from "./helpers.js";

/** A host root with one pam.d file. */
function host(pamImap: string): string {
  const root = tempDir("policyc-import-root-");
  mkdirSync(join(root, "etc/pam.d"), { recursive: true });
  writeFileSync(join(root, "etc/pam.d/imap"), pamImap);
  return root;
}

const LOSSY = "auth [success=1 pam_unix.so\naccount required pam_unix.so\n"; // PC7001: a line it cannot read
const REFUSED = join(ROOT, "test/baselines/PC7008-import-refused/host"); // a list over /etc/hosts.deny: PC4110, PC7008
const EARLIER = "# an earlier policy, kept by hand\nplatform debian;\n";

describe('import -o POLICY: whole or not at all (README "Importing a host")', () => {
  it.each([
    { label: "warnings (PC7001), no --allow-lossy", root: () => host(LOSSY), args: [], status: 1, code: "PC7001" },
    { label: "an error of the imported policy (PC7008)", root: () => REFUSED, args: [], status: 1, code: "PC7008" },
    {
      label: "an error of the imported policy, with --allow-lossy",
      root: () => REFUSED,
      args: ["--allow-lossy"],
      status: 1,
      code: "PC7008",
    },
    { label: "a root that is missing (PC7007)", root: () => "/nonexistent/policyc-root", args: [], status: 2, code: "PC7007" },
  ])("$label: exit $status, a new POLICY not created, an earlier one unchanged, no temporary", ({ root, args, status, code }) => {
    const dir = tempDir("policyc-import-out-");
    const fresh = join(dir, "new.policy");
    const earlier = join(dir, "earlier.policy");
    writeFileSync(earlier, EARLIER);
    const r = root();
    for (const out of [fresh, earlier]) {
      const run = runCli(["import", "--root", r, "-o", out, ...args]);
      expect(run.status, run.stderr).toBe(status);
      expect(run.stderr).toContain(code);
      expect(run.stdout).toBe("");
    }
    expect(existsSync(fresh)).toBe(false);
    expect(readFileSync(earlier, "utf8")).toBe(EARLIER);
    expect(readdirSync(dir)).toEqual(["earlier.policy"]);
  });

  it("--allow-lossy replaces an earlier POLICY with the whole imported one, and leaves no temporary", () => {
    const dir = tempDir("policyc-import-out-");
    const earlier = join(dir, "earlier.policy");
    writeFileSync(earlier, EARLIER);
    const r = runCli(["import", "--root", host(LOSSY), "-o", earlier, "--allow-lossy", "-q"]);
    expect(r.status, r.stderr).toBe(0);
    const text = readFileSync(earlier, "utf8");
    expect(text).not.toContain("an earlier policy");
    expect(text.endsWith("\n")).toBe(true);
    expect(runCli(["check", earlier, "-q"]).status).toBe(0);
    expect(readdirSync(dirname(earlier))).toEqual(["earlier.policy"]);
  });
});
