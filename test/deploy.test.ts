/**
 * README "Deploying to one host" and the Command line bullets of build and
 * diff: what keeps a deployment safe without any deployment tool. Folders
 * 0755 under a hardened umask, the running system's / refused unless asked
 * for, `diff --root` telling stale, owner, group and mode drift, and
 * `build --check` naming files in OUT the policy does not produce.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI, runCli, tempDir } from "./helpers.js";

const P = "platform debian;\n";
const TWO =
  P +
  'service imapd { pam imap;\n  acl user allow "/etc/imapd.acl" { entries alice, root; }\n  acl rhost deny "/etc/imapd.deny" { entries bad.example; }\n}\n';
const ONE = P + 'service imapd { pam imap;\n  acl user allow "/etc/imapd.acl" { entries alice, root; }\n}\n';
const GONE = 'service gone { acl user allow "/etc/gone.acl" { entries root; } }\n';

function repo(policy: string): string {
  const dir = tempDir("policyc-deploy-");
  writeFileSync(join(dir, "site.policy"), policy);
  return dir;
}
const mode = (p: string) => (statSync(p).mode & 0o7777).toString(8);
const asRoot = process.getuid?.() === 0;

describe("deploy: folders under a hardened umask", () => {
  it("creates every folder 0755 and every file 0644 under umask 027", () => {
    const dir = repo(TWO);
    const r = spawnSync("sh", ["-c", `umask 027 && "${process.execPath}" "${CLI}" build site.policy -o ci/out -q`], {
      cwd: dir,
      encoding: "utf8",
    });
    expect(r.status, r.stderr).toBe(0);
    for (const d of ["ci", "ci/out", "ci/out/etc", "ci/out/etc/pam.d", "ci/out/.policyc"]) expect(mode(join(dir, d)), d).toBe("755");
    for (const f of ["ci/out/etc/imapd.acl", "ci/out/etc/pam.d/imap", "ci/out/.policyc/manifest.json"])
      expect(mode(join(dir, f)), f).toBe("644");
  });
});

describe("deploy: the running system's root is refused unless asked for", () => {
  const refusal = (out: string) =>
    `policyc: ${out} is this machine's own root folder: build writes a tree to deploy, not the running system; to write into / all the same, say so with --allow-system-root.\nRun "policyc --help" for usage.\n`;

  it("refuses build -o /, /., a link to / and --check on /, exit 2, before compiling", () => {
    const dir = repo(TWO);
    symlinkSync("/", join(dir, "sysroot"));
    for (const out of ["/", "/.", "sysroot", "/tmp/.."]) {
      const r = runCli(["build", "site.policy", "-o", out], { cwd: dir });
      expect([r.status, r.stdout, r.stderr], out).toEqual([2, "", refusal(out === "/." ? "/." : out)]);
    }
    const check = runCli(["build", "site.policy", "-o", "/", "--check"], { cwd: dir });
    expect([check.status, check.stderr]).toEqual([2, refusal("/")]);
    // A folder that merely lies on / (or does not exist yet) is not /.
    expect(runCli(["build", "site.policy", "-o", join(dir, "out")], { cwd: dir }).status).toBe(0);
  });

  it("--allow-system-root lets build --check and diff --root compare with /", () => {
    const dir = repo(P + 'service policyc-deploy-test { acl user allow "/etc/policyc-deploy-test.acl" { entries root; } }\n');
    const check = runCli(["build", "site.policy", "-o", "/", "--check", "--allow-system-root"], { cwd: dir });
    expect(check.status).toBe(1);
    expect(check.stdout).toContain("diff a/etc/policyc-deploy-test.acl b/etc/policyc-deploy-test.acl\nnew file mode 100644\n");
    expect(check.stderr).not.toContain("PC5030"); // the system's own files are not listed as strays
    const refused = runCli(["diff", "site.policy", "--root", "/"], { cwd: dir });
    expect([refused.status, refused.stderr]).toEqual([
      2,
      `policyc: / is this machine's own root folder; to compare with it, say so with --allow-system-root.\nRun "policyc --help" for usage.\n`,
    ]);
    const diff = runCli(["diff", "site.policy", "--root", "/", "--allow-system-root"], { cwd: dir });
    expect(diff.status).toBe(1);
    expect(diff.stdout).toContain(
      "diff deployed/etc/pam.d/policyc-deploy-test policy/etc/pam.d/policyc-deploy-test\nnew file mode 100644\n",
    );
  });
});

describe("deploy: diff --root tells the whole drift", () => {
  /** A root as the README's recipe leaves it: the files, and the manifest recorded in var/lib/policyc. */
  function deployed(dir: string, policy: string, root = "root"): void {
    writeFileSync(join(dir, "site.policy"), policy);
    expect(runCli(["build", "site.policy", "-o", root], { cwd: dir }).status).toBe(0);
    mkdirSync(join(dir, root, "var/lib/policyc"), { recursive: true });
    writeFileSync(join(dir, root, "var/lib/policyc/manifest.json"), readFileSync(join(dir, root, ".policyc/manifest.json")));
  }

  it("reports files policyc deployed that the policy no longer produces, owner, group and mode drift", () => {
    const dir = repo(ONE + GONE);
    deployed(dir, ONE + GONE);
    writeFileSync(join(dir, "root/etc/someone-elses.conf"), "not policyc's\n"); // not recorded: never reported
    writeFileSync(join(dir, "site.policy"), ONE);
    const uid = process.getuid?.() ?? 0;
    const gid = process.getgid?.() ?? 0;
    if (asRoot) {
      chownSync(join(dir, "root/etc/imapd.acl"), 4242, 0);
      chownSync(join(dir, "root/etc/pam.d/imap"), 0, 4243);
    }
    chmodSync(join(dir, "root/etc/pam.d/imap"), 0o664);
    const r = runCli(["diff", "site.policy", "--root", "root"], { cwd: dir });
    expect(r.status).toBe(1);
    const acl = asRoot ? "4242:0" : `${uid}:${gid}`;
    const pam = asRoot ? "0:4243" : `${uid}:${gid}`;
    expect(r.stdout).toContain(`diff deployed/etc/imapd.acl policy/etc/imapd.acl\nold owner ${acl}\nnew owner root:root\n`);
    expect(r.stdout).toContain(
      `diff deployed/etc/pam.d/imap policy/etc/pam.d/imap\nold mode 100664\nnew mode 100644\nold owner ${pam}\nnew owner root:root\n`,
    );
    expect(r.stdout).toContain(
      "diff deployed/etc/gone.acl policy/etc/gone.acl\ndeleted file mode 100644\n--- deployed/etc/gone.acl\n+++ /dev/null\n",
    );
    expect(r.stdout).toContain("diff deployed/etc/pam.d/gone policy/etc/pam.d/gone\ndeleted file mode 100644\n");
    expect(r.stdout).not.toContain("someone-elses");
    expect(r.stderr).toBe(
      "policyc: root has drifted from the policy: 1 with another mode, 2 with another owner or group, 2 deployed by policyc and no longer produced.\n",
    );
  });

  it("takes the stale files of the --host it compares from a fleet's record", () => {
    const dir = tempDir("policyc-deploy-");
    const fleet = (extra: string) =>
      P +
      `host a { service s { acl user allow "/etc/s.acl" { entries root; } } ${extra} }\nhost b { service t { acl user allow "/etc/t.acl" { entries root; } } }\n`;
    deployed(dir, fleet('service gone { acl user allow "/etc/gone.acl" { entries root; } }'), "out");
    // Host a's root holds what was deployed to a.
    mkdirSync(join(dir, "a/var/lib/policyc"), { recursive: true });
    spawnSync("cp", ["-a", join(dir, "out/a/etc"), join(dir, "a/")]);
    writeFileSync(join(dir, "a/var/lib/policyc/manifest.json"), readFileSync(join(dir, "out/.policyc/manifest.json")));
    if (asRoot) spawnSync("chown", ["-R", "0:0", join(dir, "a")]);
    writeFileSync(join(dir, "site.policy"), fleet(""));
    const r = runCli(["diff", "site.policy", "--root", "a", "--host", "a"], { cwd: dir });
    expect(r.status).toBe(1);
    const removed = [...r.stdout.matchAll(/^deleted file .*$/gm)].length;
    expect(r.stdout).toContain("diff deployed/etc/gone.acl policy/etc/gone.acl\ndeleted file mode 100644\n");
    expect(r.stdout).toContain("diff deployed/etc/pam.d/gone policy/etc/pam.d/gone\ndeleted file mode 100644\n");
    expect(removed).toBe(2); // b's files are not a's stale files
    if (asRoot) expect(r.stderr).toBe("policyc: a has drifted from the policy: 2 deployed by policyc and no longer produced.\n");
  });

  it("matches a root that holds exactly the policy's files, owned by root", () => {
    const dir = repo(TWO);
    deployed(dir, TWO);
    if (asRoot) {
      const same = runCli(["diff", "site.policy", "--root", "root"], { cwd: dir });
      expect([same.status, same.stderr]).toEqual([0, "policyc: root matches the policy (3 files).\n"]);
    } else expect(runCli(["diff", "site.policy", "--root", "root"], { cwd: dir }).stderr).toContain("with another owner or group");
  });
});

describe("deploy: build --check names files in OUT the policy does not produce", () => {
  it("fails with PC5030 for a file someone put in OUT or an edited stale file, not for what build removes itself", () => {
    const dir = repo(TWO);
    expect(runCli(["build", "site.policy", "-o", "out"], { cwd: dir }).status).toBe(0);
    writeFileSync(join(dir, "out/etc/notes.txt"), "mine\n");
    symlinkSync("/etc/passwd", join(dir, "out/etc/link"));
    const r = runCli(["build", "site.policy", "-o", "out", "--check"], { cwd: dir });
    expect([r.status, r.stdout]).toEqual([1, ""]);
    const line = (p: string) =>
      `policyc: error PC5030: out holds out/${p}, which the policy does not produce and build does not remove (policyc did not write it, or it was edited since): a copy of out would deploy it. Remove it.\n`;
    expect(r.stderr).toBe(line("etc/link") + "\n" + line("etc/notes.txt"));

    // The policy drops imapd.deny: unchanged, build removes it (shown as deleted, no PC5030); edited, it stays (PC5030).
    writeFileSync(join(dir, "site.policy"), ONE);
    const dropped = runCli(["build", "site.policy", "-o", "out", "--check"], { cwd: dir });
    expect(dropped.stdout).toContain("diff a/etc/imapd.deny b/etc/imapd.deny\ndeleted file mode 100644\n");
    expect(dropped.stderr).not.toContain("imapd.deny,");
    writeFileSync(join(dir, "out/etc/imapd.deny"), "edited\n");
    const edited = runCli(["build", "site.policy", "-o", "out", "--check", "--format", "json"], { cwd: dir });
    const doc = JSON.parse(edited.stdout) as { diagnostics: { code: string; message: string }[] };
    expect(doc.diagnostics.map((d) => d.message.split(",")[0])).toEqual([
      "out holds out/etc/imapd.deny",
      "out holds out/etc/link",
      "out holds out/etc/notes.txt",
    ]);
    expect(new Set(doc.diagnostics.map((d) => d.code))).toEqual(new Set(["PC5030"]));
  });
});
