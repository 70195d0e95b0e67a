/**
 * README "Command line": `build` refuses an OUT that is this machine's own
 * root folder, "a bind mount of it" included (exit 2), `--check` included,
 * and so does `diff --root`. test/deploy.test.ts covers `/`, `/.` and a link
 * to `/`; the bind mount needs root: here it is made in a private mount
 * namespace (nothing outside it sees the mount), and every command is run
 * inside it. Before the refusals, the mount is shown to be `/` itself; it is
 * read-only, so a regression fails the test without writing into the system.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CLI } from "../helpers.js";
import { requireTools, skipBanner, sq } from "./stack.js";

const missing = requireTools(["mount-namespace"]);
if (missing.length > 0) console.warn(skipBanner("build/diff refuse a bind mount of / (private mount namespace)", missing));

let work = "";
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe.skipIf(missing.length > 0)("a bind mount of / as OUT or --root", () => {
  it("is refused by build, build --check and diff --root (exit 2, nothing written); --allow-system-root is what lets it through", () => {
    work = mkdtempSync(join(tmpdir(), "policyc-sysroot-bind-"));
    writeFileSync(
      join(work, "site.policy"),
      'platform debian;\nservice policyc-bind-test { acl user allow "/etc/policyc-bind-test.acl" { entries root; } }\n',
    );
    const mnt = join(work, "mnt");
    mkdirSync(mnt);
    const cli = (args: string) => `${sq(process.execPath)} ${sq(CLI)} ${args}; echo "@@exit $?"`;
    const script = [
      // Read-only: a regression fails to write instead of writing into the running system.
      `mount --bind / ${sq(mnt)} && mount -o remount,bind,ro ${sq(mnt)} || exit 97`,
      'test "$(stat -c %d:%i /)" = "$(stat -c %d:%i mnt)" && echo "@@same as /"',
      cli("build site.policy -o mnt"),
      cli("build site.policy -o mnt/. --check"),
      cli("diff site.policy --root mnt"),
      cli("diff site.policy --root mnt --allow-system-root -q"),
      "test -e /etc/policyc-bind-test.acl && echo '@@written'",
    ].join("\n");
    const r = spawnSync("unshare", ["-m", "--propagation", "private", "sh", "-c", script], {
      cwd: work,
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1" },
      timeout: 60_000,
    });
    expect(r.status, r.stderr).not.toBe(97);
    expect(r.stdout).toMatch(/^@@same as \/$/m);
    expect([...r.stdout.matchAll(/^@@exit (\d+)$/gm)].map((m) => Number(m[1]))).toEqual([2, 2, 2, 1]);
    expect(r.stderr).toContain("policyc: mnt is this machine's own root folder: build writes a tree to deploy, not the running system;");
    expect(r.stderr).toContain("policyc: mnt/. is this machine's own root folder");
    expect(r.stderr).toContain("policyc: mnt is this machine's own root folder; to compare with it, say so with --allow-system-root.");
    expect(r.stdout).not.toMatch(/@@written/);
    expect(readdirSync(mnt)).toEqual([]);
  });
});
