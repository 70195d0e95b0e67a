/**
 * README "Safe output" and "Command line": any error in the policy, a failed
 * assertion ("a policy whose break-glass assertion fails is never built:
 * `build` writes nothing") and more warnings than --max-warnings: nothing is
 * written. Here into an OUT that an earlier build filled, by a new version
 * that also drops a service (so a build would remove its list as stale): the
 * earlier tree stays exactly as it was (bytes, modes, mtimes, its manifest,
 * the dropped service's files), with no lock, journal or temporary left.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, tempDir, treeState } from "./helpers.js";

const GOOD = `platform debian;
service sshd {
  acl user allow "/etc/ssh.users" { entries root, alice; }
}
service imapd {
  pam imap;
  acl user allow "/etc/imapd.acl" { entries alice, bob; }
}
expect allow sshd user root;
`;
/** The new version: imapd dropped, alice no longer in sshd's list. */
const NEXT = GOOD.replace(/service imapd \{[^}]*\}\n\}\n/, "").replace("root, alice", "root");

describe("a refused build leaves an earlier OUT exactly as it was", () => {
  it.each([
    {
      label: "an error in the policy",
      text: NEXT.replace("{ entries root; }", "{ entries root; onerr maybe; }"),
      args: [],
      code: "PC3007",
    },
    { label: "a failed break-glass assertion", text: NEXT.replace("user root;", "user alice;"), args: [], code: "PC6001" },
    {
      label: "more warnings than --max-warnings",
      text: NEXT.replace("root;", "root; onerr succeed;"),
      args: ["--max-warnings", "0"],
      code: "PC5050",
    },
  ])("$label ($code)", ({ text, args, code }) => {
    const dir = tempDir("policyc-refused-");
    const policy = join(dir, "site.policy");
    const out = join(dir, "out");
    writeFileSync(policy, GOOD);
    const first = runCli(["build", policy, "-o", out, "-q"]);
    expect(first.status, first.stderr).toBe(0);
    const before = treeState(out, { folderTimes: true });
    expect([...before.keys()]).toContain("etc/imapd.acl");
    writeFileSync(policy, text);
    const r = runCli(["build", policy, "-o", out, ...args]);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toContain(`error ${code}:`);
    expect(r.stderr).toMatch(/nothing written\.?\n/);
    expect(treeState(out, { folderTimes: true })).toEqual(before);
  });
});
