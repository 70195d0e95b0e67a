/**
 * README "On the real software: test --real": "`/etc/nologin` is removed from
 * the copy" of /etc that pamtester runs over, so an `expect allow` for a
 * normal user is not refused by a nologin file on the machine that runs the
 * tests. Here the machine has one: `policyc test --real` runs in a private
 * mount namespace whose /etc is a copy with /etc/nologin in it (the real /etc
 * is never touched), on a stock Debian sshd, whose account stack runs
 * pam_nologin.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CLI, ROOT, runCli } from "../helpers.js";
import { PAM_TOOLS, requireTools, skipBanner, sq } from "./stack.js";

const missing = requireTools(PAM_TOOLS);
if (missing.length > 0) console.warn(skipBanner("policyc test --real with /etc/nologin on the machine", missing));

const POLICY = `platform debian;
service sshd {
  pam sshd;
  acl user allow "/etc/ssh.users" {
    entries root, alice;
  }
}
expect allow sshd user alice;
expect deny sshd user mallory;
`;

let work = "";
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe.skipIf(missing.length > 0)("policyc test --real on a machine with /etc/nologin", () => {
  it("removes /etc/nologin from its copy of /etc: a normal user's expect allow passes on sshd's stock stack (pam_nologin)", () => {
    work = mkdtempSync(join(tmpdir(), "policyc-real-nologin-"));
    chmodSync(work, 0o755);
    const policy = join(work, "p.policy");
    writeFileSync(policy, POLICY);
    const b = runCli(["build", policy, "-o", join(work, "out"), "-q"]);
    expect(b.status, b.stderr).toBe(0);
    const hadNologin = existsSync("/etc/nologin");
    // The machine's /etc with a nologin file, seen only in this namespace: an overlay (no copy of /etc
    // to make; where overlayfs is not available, a copy bind-mounted instead).
    const [upper, scratch, etc] = ["upper", "scratch", "etc"].map((d) => join(work, d));
    const script = [
      "set -e",
      `mkdir ${sq(upper!)} ${sq(scratch!)}`,
      `mount -t overlay overlay -o lowerdir=/etc,upperdir=${sq(upper!)},workdir=${sq(scratch!)} /etc 2>/dev/null || { cp -a /etc ${sq(etc!)} && mount --bind ${sq(etc!)} /etc; }`,
      'echo "The system is down for maintenance." > /etc/nologin',
      'test -e /etc/nologin && echo "@@nologin present"',
      `${sq(process.execPath)} ${sq(CLI)} test --real ${sq(join(work, "out"))} ${sq(policy)} --format json -q`,
    ].join("\n");
    const r = spawnSync("unshare", ["-m", "--propagation", "private", "bash", "-c", script], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1" },
      timeout: 60_000,
    });
    expect(r.stdout).toMatch(/^@@nologin present$/m);
    const doc = JSON.parse(r.stdout.replace(/^@@nologin present\n/m, ""));
    expect(doc.assertions.map((a: Record<string, unknown>) => [a.text, a.actual, a.passed])).toEqual([
      ["expect allow sshd user alice;", "allow", true],
      ["expect deny sshd user mallory;", "deny", true],
    ]);
    expect(doc.assertions[0].output).toMatch(/account management done/);
    expect(r.status, r.stderr).toBe(0);
    // The machine's own /etc is as it was.
    expect(existsSync("/etc/nologin")).toBe(hadNologin);
  });
});
