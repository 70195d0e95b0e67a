import { spawnSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { depfile, escape, unrepresentable } from "../src/output/depfile.js";
import { CLI, readTree, ROOT, runCli, tempDir } from "./helpers.js";
import { checkedDocument, schemaErrors } from "./documents.js";

const lastLine = (s: string) => s.trimEnd().split("\n").pop();
const P = "platform debian;\n";

/** A folder with policy files, as a user's repository would hold them. */
function repo(files: Record<string, string>): string {
  const dir = tempDir("policyc-repo-");
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

const TWO_LISTS =
  P +
  'service imapd { pam imap;\n  acl user allow "/etc/imapd.acl" { entries alice, root; }\n  acl rhost deny "/etc/imapd.deny" { entries bad.example; }\n}\n';
const ONE_LIST = P + 'service imapd { pam imap;\n  acl user allow "/etc/imapd.acl" { entries alice, bob, root; }\n}\n';

describe("workflow: build --check", () => {
  it("exits 1 with a unified diff when OUT is out of date, and 0 when it is current", () => {
    const dir = repo({ "site.policy": TWO_LISTS });
    const first = runCli(["build", "site.policy", "-o", "out", "--check"], { cwd: dir });
    expect(first.status).toBe(1);
    expect(first.stdout).toContain("diff a/etc/imapd.acl b/etc/imapd.acl\nnew file mode 100644\n--- /dev/null\n+++ b/etc/imapd.acl\n");
    // The 3 generated files and .policyc/checks.json (the policy's assertions as checks, none here: still build's to write).
    expect(first.stdout).toContain("diff a/.policyc/checks.json b/.policyc/checks.json\nnew file mode 100644\n");
    expect(lastLine(first.stderr)).toBe("policyc: out is not what site.policy produces: 4 files differ; run policyc build to update it.");
    expect(runCli(["build", "site.policy", "-o", "out"], { cwd: dir }).status).toBe(0);
    const current = runCli(["build", "site.policy", "-o", "out", "--check"], { cwd: dir });
    expect([current.status, current.stdout, current.stderr]).toEqual([0, "", "policyc: out is up to date (3 files).\n"]);
  });

  it("shows hand edits, mode changes and files the policy no longer makes", () => {
    const dir = repo({ "site.policy": TWO_LISTS });
    runCli(["build", "site.policy", "-o", "out"], { cwd: dir });
    writeFileSync(join(dir, "out/etc/imapd.acl"), readFileSync(join(dir, "out/etc/imapd.acl"), "utf8") + "mallory\n");
    writeFileSync(join(dir, "site.policy"), ONE_LIST);
    const r = runCli(["build", "site.policy", "-o", "out", "--check"], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("--- a/etc/imapd.acl\n+++ b/etc/imapd.acl\n@@ -1,3 +1,3 @@\n alice\n+bob\n root\n-mallory\n");
    expect(r.stdout).toContain("diff a/etc/imapd.deny b/etc/imapd.deny\ndeleted file mode 100644\n");
    expect(readFileSync(join(dir, "out/etc/imapd.acl"), "utf8")).toContain("mallory"); // --check wrote nothing
  });
});

describe("workflow: incremental and stale files", () => {
  it("removes files the policy no longer produces, but never a user's file or a changed one", () => {
    const dir = repo({ "site.policy": TWO_LISTS });
    runCli(["build", "site.policy", "-o", "out"], { cwd: dir });
    writeFileSync(join(dir, "out/etc/mine.conf"), "a user's file\n");
    writeFileSync(join(dir, "site.policy"), ONE_LIST);
    const r = runCli(["build", "site.policy", "-o", "out", "-v"], { cwd: dir });
    expect(r.stderr).toContain("  removed   out/etc/imapd.deny\n");
    expect(lastLine(r.stderr)).toBe("policyc: wrote 2 files to out (1 removed).");
    expect([...readTree(join(dir, "out")).keys()].sort()).toEqual([
      ".policyc/checks.json",
      ".policyc/manifest.json",
      "etc/imapd.acl",
      "etc/mine.conf",
      "etc/pam.d/imap",
    ]);

    writeFileSync(join(dir, "site.policy"), TWO_LISTS);
    runCli(["build", "site.policy", "-o", "out"], { cwd: dir });
    writeFileSync(join(dir, "out/etc/imapd.deny"), "edited by hand\n");
    writeFileSync(join(dir, "site.policy"), ONE_LIST);
    const kept = runCli(["build", "site.policy", "-o", "out"], { cwd: dir });
    expect(kept.stderr).toContain(
      "policyc: warning: left out/etc/imapd.deny in place: the policy no longer produces it, but it was changed since policyc wrote it.\n",
    );
    expect(readFileSync(join(dir, "out/etc/imapd.deny"), "utf8")).toBe("edited by hand\n");
  });

  it("is byte-identical when built in two different folders", () => {
    const a = tempDir();
    const b = tempDir();
    cpSync(join(ROOT, "examples"), join(a, "examples"), { recursive: true });
    cpSync(join(ROOT, "examples"), join(b, "examples"), { recursive: true });
    for (const d of [a, b]) expect(runCli(["build", "examples/fleet/fleet.policy", "-o", "out"], { cwd: d }).status).toBe(0);
    expect(readTree(join(a, "out"))).toEqual(readTree(join(b, "out")));
  });
});

describe("workflow: dependency files", () => {
  it("names every policy file read and every template used, with empty rules for each", () => {
    const dir = repo({
      "site.policy": 'include "lists/staff.policy";\n' + P + 'service s { acl user allow "/etc/s.acl" { entries $staff; } }\n',
      "lists/staff.policy": "users staff = alice, root;\n",
    });
    expect(runCli(["build", "site.policy", "-o", "out dir", "-M", "site.d"], { cwd: dir }).status).toBe(0);
    const d = readFileSync(join(dir, "site.d"), "utf8");
    expect(d.split(": \\\n")[0]).toBe(
      ["out\\ dir/etc/pam.d/s", "out\\ dir/etc/s.acl", "out\\ dir/.policyc/checks.json", "out\\ dir/.policyc/manifest.json"].join(" \\\n "),
    );
    expect(d).toContain(" site.policy \\\n lists/staff.policy \\\n");
    expect(d).toMatch(/templates\/debian\/pam\.d\/service\n/);
    expect(d).toContain("\nlists/staff.policy:\n");
  });
});

describe("workflow: diff against a deployed root", () => {
  it("reports hand edits, missing files and mode changes, exit 1; a match is exit 0", () => {
    const dir = repo({ "site.policy": ONE_LIST });
    runCli(["build", "site.policy", "-o", "root"], { cwd: dir });
    const same = runCli(["diff", "site.policy", "--root", "root"], { cwd: dir });
    expect([same.status, same.stderr]).toEqual([0, "policyc: root matches the policy (2 files).\n"]);
    writeFileSync(join(dir, "root/etc/imapd.acl"), "# hand edit\nalice\n");
    rmSync(join(dir, "root/etc/pam.d/imap"));
    const r = runCli(["diff", "site.policy", "--root", "root"], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("--- deployed/etc/imapd.acl\n+++ policy/etc/imapd.acl\n");
    expect(r.stdout).toContain("diff deployed/etc/pam.d/imap policy/etc/pam.d/imap\nnew file mode 100644\n");
    expect(r.stderr).toBe("policyc: root has drifted from the policy: 1 edited or out of date, 1 missing.\n");
    runCli(["build", "site.policy", "-o", "root"], { cwd: dir });
    chmodSync(join(dir, "root/etc/imapd.acl"), 0o666);
    expect(runCli(["diff", "site.policy", "--root", "root"], { cwd: dir }).stdout).toBe(
      "diff deployed/etc/imapd.acl policy/etc/imapd.acl\nold mode 100666\nnew mode 100644\n",
    );
  });

  it("needs --host for a policy with hosts and compares that host's files", () => {
    const r = runCli(["diff", "examples/fleet/fleet.policy", "--root", "/nonexistent"]);
    expect([r.status, r.stderr]).toEqual([
      2,
      'policyc: the policy describes several hosts; name one with --host (mx1, mx2, shell1).\nRun "policyc --help" for usage.\n',
    ]);
    const out = tempDir();
    runCli(["build", "examples/fleet/fleet.policy", "-o", out]);
    expect(runCli(["diff", "examples/fleet/fleet.policy", "--root", join(out, "mx2"), "--host", "mx2"]).status).toBe(0);
    expect(runCli(["diff", "examples/fleet/fleet.policy", "--root", join(out, "mx1"), "--host", "mx2"]).status).toBe(1);
  });
});

describe("workflow: diagnostics for machines", () => {
  const bad = P + 'service s {\n  acl user allow "/f" { onerr maybe; entries a; }\n}\n';

  it("prints a stable JSON document", () => {
    const dir = repo({ "bad.policy": bad });
    const r = runCli(["check", "bad.policy", "--format", "json"], { cwd: dir });
    checkedDocument(r.stdout);
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({
      format: "policyc-diagnostics",
      version: 1,
      diagnostics: [
        {
          code: "PC3007",
          severity: "error",
          message: 'onerr takes "succeed" or "fail", not "maybe".',
          location: { file: "bad.policy", line: 3, column: 31, endLine: 3, endColumn: 36 },
          related: [],
        },
      ],
      errors: 1,
      warnings: 0,
    });
    expect(r.stderr).toBe("");
  });

  it("prints SARIF 2.1.0 with the policy line as the region", () => {
    const dir = repo({ "bad.policy": bad });
    const sarif = checkedDocument(runCli(["check", "bad.policy", "--format", "sarif"], { cwd: dir }).stdout);
    expect(sarif.version).toBe("2.1.0");
    expect(sarif.runs[0].tool.driver.name).toBe("policyc");
    expect(sarif.runs[0].results).toEqual([
      {
        ruleId: "PC3007",
        level: "error",
        message: { text: 'onerr takes "succeed" or "fail", not "maybe".' },
        locations: [
          {
            physicalLocation: {
              artifactLocation: { uri: "bad.policy" },
              region: { startLine: 3, startColumn: 31, endLine: 3, endColumn: 36 },
            },
          },
        ],
        partialFingerprints: { "policyc/v1": expect.stringMatching(/^[0-9a-f]{32}$/) },
      },
    ]);
  });

  it("uses colour only when asked or on a terminal, and honours NO_COLOR", () => {
    const dir = repo({ "bad.policy": bad });
    expect(runCli(["check", "bad.policy"], { cwd: dir, env: { FORCE_COLOR: "1", NO_COLOR: "" } }).stderr).toContain(
      "\x1b[31merror\x1b[39m",
    );
    expect(runCli(["check", "bad.policy"], { cwd: dir, env: { NO_COLOR: "1" } }).stderr).not.toContain("\x1b[");
  });

  it("keeps quiet with --quiet", () => {
    expect(runCli(["check", "examples/fleet/fleet.policy", "-q"]).stderr).toBe("");
  });
});

describe("workflow: includes", () => {
  it("reads included lists and names the included file in diagnostics", () => {
    const dir = repo({
      "site.policy": P + 'include "lists/staff.policy";\nservice s { acl user allow "/etc/s" { entries $staff, root; } }\n',
      "lists/staff.policy": 'users staff = alice;\nusers bad = "a b ";\n',
    });
    const r = runCli(["check", "site.policy"], { cwd: dir });
    expect(r.stderr.split("\n")[0]).toBe(
      'lists/staff.policy:2:13: error PC3023: Entry "a b " has leading or trailing white space; pam_listfile compares exactly, so it would never match.',
    );
  });

  it("refuses includes outside the policy's folder, cycles and missing files", () => {
    const dir = repo({
      "top/site.policy": P + 'include "../secret.policy";\ninclude "a.policy";\ninclude "missing.policy";\n',
      "secret.policy": "users x = y;\n",
      "top/a.policy": 'include "b.policy";\n',
      "top/b.policy": 'include "a.policy";\n',
    });
    const r = runCli(["check", "top/site.policy", "--format", "json"], { cwd: dir });
    const d = JSON.parse(r.stdout).diagnostics.map(
      (x: { code: string; message: string; location: { file: string; line: number } }) =>
        `${x.location.file}:${x.location.line} ${x.code} ${x.message}`,
    );
    expect(d).toEqual([
      'top/b.policy:1 PC1013 "a.policy" is already being included: a.policy -> b.policy -> a.policy.',
      'top/site.policy:2 PC1012 Cannot include "../secret.policy": includes must stay inside top, the folder of the policy given on the command line.',
      'top/site.policy:4 PC1011 Cannot include "missing.policy": no such file.',
    ]);
  });
});

describe("workflow: hosts", () => {
  it("writes OUT/HOST/... for each host, with the shared services in every host", () => {
    const out = tempDir();
    runCli(["build", "examples/fleet/fleet.policy", "-o", out]);
    const files = [...readTree(out).keys()];
    for (const h of ["mx1", "mx2", "shell1"]) expect(files).toContain(`${h}/etc/pam.d/sshd`);
    expect(files).toContain("mx1/etc/pam.d/imap");
    expect(files).not.toContain("mx2/etc/pam.d/imap");
    const manifest = JSON.parse(readFileSync(join(out, ".policyc/manifest.json"), "utf8"));
    expect(schemaErrors("manifest", manifest)).toEqual([]);
    expect(manifest.hosts).toEqual(["mx1", "mx2", "shell1"]);
    expect(manifest.files.find((f: { path: string }) => f.path === "mx1/etc/imapd.acl")).toMatchObject({
      host: "mx1",
      target: "/etc/imapd.acl",
      mode: "0644",
      owner: "root",
    });
  });

  it("reports a problem in a shared statement once, not once per host", () => {
    const r = runCli(["check", "-"], { input: P + 'service s { acl user allow "/f" { entries "x "; } }\nhost a { }\nhost b { }\n' });
    expect(r.stderr.match(/PC3023/g)).toHaveLength(1);
  });
});

describe("workflow: examples/fleet/Makefile", () => {
  const make = (dir: string, ...args: string[]) =>
    spawnSync("make", ["-C", dir, `POLICYC=node ${join(ROOT, "bin/policyc.js")}`, ...args], {
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1" },
    });

  it("builds once, then does nothing; a touched list reruns policyc but rewrites nothing; an edited list rewrites only its outputs", () => {
    const dir = tempDir("policyc-fleet-");
    cpSync(join(ROOT, "examples/fleet"), dir, { recursive: true, filter: (src) => !src.startsWith(join(ROOT, "examples/fleet/out")) });
    const first = make(dir);
    expect(first.status).toBe(0);
    expect(first.stderr).toBe("policyc: wrote 20 files to out.\n");
    const second = make(dir);
    expect(second.stdout).toContain("Nothing to be done for 'all'.");

    const mtimes = () => new Map([...readTree(join(dir, "out")).keys()].map((p) => [p, statSync(join(dir, "out", p)).mtimeMs]));
    // Age the outputs so a rewrite would show in the mtime.
    const past = new Date(Date.now() - 60_000);
    for (const p of readTree(join(dir, "out")).keys()) utimesSync(join(dir, "out", p), past, past);
    const before = mtimes();
    utimesSync(join(dir, "lists/networks.policy"), new Date(), new Date());
    const touched = make(dir);
    expect(touched.stderr).toBe("policyc: wrote 0 files to out (20 unchanged).\n");
    const afterTouch = mtimes();
    for (const [p, t] of before) if (!p.startsWith(".policyc")) expect(afterTouch.get(p), p).toBe(t);

    writeFileSync(
      join(dir, "lists/networks.policy"),
      "networks office = 192.0.2.0/24, 203.0.113.0/24;\nnetworks datacenter = 198.51.100.0/24;\n",
    );
    const edited = make(dir);
    expect(edited.stderr).toBe("policyc: wrote 2 files to out (18 unchanged).\n");
    const afterEdit = mtimes();
    const changed = [...before].filter(([p, t]) => !p.startsWith(".policyc") && afterEdit.get(p) !== t).map(([p]) => p);
    expect(changed.sort()).toEqual(["mx1/etc/mail/access", "mx2/etc/mail/access"]);
    expect(make(dir).stdout).toContain("Nothing to be done for 'all'.");
  });

  it("make check passes on a current tree and fails on a stale one; make deploy runs the Ansible role in check mode", () => {
    const dir = tempDir("policyc-fleet-");
    cpSync(join(ROOT, "examples/fleet"), dir, { recursive: true, filter: (src) => !src.startsWith(join(ROOT, "examples/fleet/out")) });
    expect(make(dir, "check").status).not.toBe(0);
    make(dir);
    expect(make(dir, "check").status).toBe(0);
    const deploy = make(dir, "deploy", "ANSIBLE_PLAYBOOK=echo");
    expect(deploy.stdout).toContain(`-i inventory.yml ../../ansible/deploy.yml -e policyc_out=${dir}/out --check --diff\n`);
  });
});

describe("workflow: dependency files with hostile names, under real GNU make", () => {
  /** A Makefile as the README shows it, counting policyc runs. */
  const MAKEFILE = (cli: string) =>
    `out/.policyc/manifest.json: site.policy\n\tnode ${cli} build site.policy -o out -q -M deps.mk\n\techo ran >> runs.log\n-include deps.mk\n`;
  const runs = (dir: string) =>
    existsSync(join(dir, "runs.log")) ? readFileSync(join(dir, "runs.log"), "utf8").split("\n").length - 1 : 0;
  const make = (dir: string) => spawnSync("make", ["-C", dir], { encoding: "utf8" });

  it("escapes every character make treats specially: no command runs, and touching the file rebuilds", () => {
    const name = "lists/a b#c:d$e%f\\`touch PWNED`'x'!&,@+{}<>^.policy";
    const dir = repo({
      "site.policy": `include "${name.replace(/\\/g, "\\\\")}";\n` + P + 'service s { acl user allow "/etc/s.acl" { entries root; } }\n',
      [name]: "users staff = alice;\n",
    });
    writeFileSync(join(dir, "Makefile"), MAKEFILE(CLI));
    const first = make(dir);
    expect(first.status, first.stderr).toBe(0);
    expect(runs(dir)).toBe(1);
    expect(readFileSync(join(dir, "deps.mk"), "utf8")).toContain(" lists/a\\ b\\#c\\:d$$e%f\\`touch\\ PWNED`'x'!&,@+{}<>^.policy \\\n");
    expect(make(dir).stdout).toContain("is up to date");
    expect(runs(dir)).toBe(1);
    const later = new Date(Date.now() + 5000);
    utimesSync(join(dir, name), later, later);
    expect(make(dir).status).toBe(0);
    expect(runs(dir)).toBe(2);
    expect(existsSync(join(dir, "PWNED"))).toBe(false);
    expect(existsSync(join(dir, "lists", "PWNED"))).toBe(false);
  });

  it("refuses a name make cannot represent (a line break that would start a recipe) with PC5011, writing nothing", () => {
    const name = "x\n\ttouch PWNED\n.policy";
    const dir = repo({
      "site.policy": `include "x\\n\\ttouch PWNED\\n.policy";\n` + P + 'service s { acl user allow "/etc/s.acl" { entries root; } }\n',
      [name]: "users staff = alice;\n",
    });
    const r = runCli(["build", "site.policy", "-o", "out", "-M", "deps.mk"], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      'policyc: error PC5011: Cannot write the dependency file deps.mk: make cannot represent the file name "x\\n\\ttouch PWNED\\n.policy", which has a line break; nothing was written.\n',
    );
    expect(existsSync(join(dir, "out"))).toBe(false);
    expect(existsSync(join(dir, "deps.mk"))).toBe(false);
  });

  it("for any name: either refused, or make reads back exactly that name, as a prerequisite and as a target", () => {
    const dir = tempDir("policyc-make-");
    const chars = [..."ab.-_/ \t#:$%*?[]\\`'\"!&,@+=;|()~{}<>^"];
    let run = 0;
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...chars), { minLength: 1, maxLength: 12 }), (cs) => {
        const name = "n" + cs.join("").replace(/\/+/g, "/").replace(/\/$/, "");
        if (unrepresentable(name)) return;
        // Both exist, as a build's inputs and outputs do; each run in a folder of its own.
        const f = join(dir, String(run++));
        const target = name + ".out";
        mkdirSync(join(f, name, ".."), { recursive: true });
        writeFileSync(join(f, target), "");
        writeFileSync(join(f, name), "");
        const earlier = new Date(Date.now() - 10_000);
        utimesSync(join(f, target), earlier, earlier);
        writeFileSync(join(f, "deps.mk"), depfile([target], [name]));
        writeFileSync(
          join(f, "Makefile"),
          `all: ${escape(target, false)}\ninclude deps.mk\n${escape(target, true)}:\n\t$(info [$@] [$^])\n`,
        );
        const r = spawnSync("make", ["-s", "-C", f], { encoding: "utf8" });
        expect(r.stderr, name).toBe("");
        expect(r.stdout, name).toBe(`[${target}] [${name}]\n`);
        // A removed input does not stop make (its empty rule), and the target is rebuilt.
        rmSync(join(f, name));
        const gone = spawnSync("make", ["-s", "-C", f], { encoding: "utf8" });
        expect([gone.status, gone.stdout], name).toEqual([0, `[${target}] [${name}]\n`]);
      }),
      { numRuns: 150, seed: 3 },
    );
  });
});

describe("workflow: the output tree as a transaction", () => {
  it("creates folders 0755 whatever the umask, and keeps the mode of folders that exist", () => {
    const dir = repo({ "site.policy": ONE_LIST });
    mkdirSync(join(dir, "kept/etc"), { recursive: true });
    chmodSync(join(dir, "kept/etc"), 0o750);
    const build = (umask: string, out: string) => `umask ${umask} && "${process.execPath}" "${CLI}" build site.policy -o ${out} -q`;
    const r = spawnSync("sh", ["-c", [build("077", "deep/host"), build("000", "fresh"), build("077", "kept")].join(" && ")], {
      cwd: dir,
      encoding: "utf8",
    });
    expect(r.status, r.stderr).toBe(0);
    const mode = (p: string) => (statSync(join(dir, p)).mode & 0o777).toString(8);
    for (const p of [
      "deep",
      "deep/host",
      "deep/host/etc",
      "deep/host/etc/pam.d",
      "deep/host/.policyc",
      "fresh",
      "fresh/etc/pam.d",
      "fresh/.policyc",
      "kept/etc/pam.d",
    ]) {
      expect(mode(p), p).toBe("755");
    }
    for (const p of ["deep/host/etc/imapd.acl", "deep/host/.policyc/manifest.json", "fresh/etc/imapd.acl", "fresh/.policyc/manifest.json"])
      expect(mode(p), p).toBe("644");
    expect(mode("kept/etc")).toBe("750");
  });

  it("refuses to build while another build holds OUT's lock, naming its pid; a stale lock is taken over", () => {
    const dir = repo({ "site.policy": ONE_LIST });
    mkdirSync(join(dir, "out/.policyc"), { recursive: true });
    const start = readFileSync(`/proc/${process.pid}/stat`, "utf8").split(") ")[1]!.split(" ")[19];
    writeFileSync(join(dir, "out/.policyc/lock"), `${process.pid} ${start}\n`);
    const busy = runCli(["build", "site.policy", "-o", "out"], { cwd: dir });
    expect([busy.status, busy.stderr]).toEqual([
      1,
      `policyc: error PC5010: Another policyc build (pid ${process.pid}) is writing out; nothing was written. Run it again when that build has finished (if no policyc is running, remove out/.policyc/lock).\n`,
    ]);
    expect(readdirSync(join(dir, "out/.policyc"))).toEqual(["lock"]);
    // The same pid with another start time is a reused pid: the lock is stale.
    writeFileSync(join(dir, "out/.policyc/lock"), `${process.pid} 1\n`);
    expect(runCli(["build", "site.policy", "-o", "out", "-q"], { cwd: dir }).status).toBe(0);
    expect(readdirSync(join(dir, "out/.policyc")).sort()).toEqual(["checks.json", "manifest.json"]);
  });

  it("build --check and diff report temporaries and a journal left by an interrupted build; the next build removes them and says so", () => {
    const dir = repo({ "site.policy": ONE_LIST });
    expect(runCli(["build", "site.policy", "-o", "out", "-q"], { cwd: dir }).status).toBe(0);
    const tmp = join(dir, "out/etc/pam.d/.policyc-tmp-" + "ab".repeat(16));
    writeFileSync(tmp, "half a file");
    writeFileSync(join(dir, "out/etc/.policyc-tmp-not-ours"), "a user's file\n");
    const check = runCli(["build", "site.policy", "-o", "out", "--check"], { cwd: dir });
    expect([check.status, check.stdout]).toEqual([1, ""]);
    expect(check.stderr).toBe(
      "policyc: error PC5012: out holds an unfinished build (1 temporary file): a build is running or was interrupted, so files may be a mix of two builds; run policyc build to repair it.\n" +
        "policyc: error PC5030: out holds out/etc/.policyc-tmp-not-ours, which the policy does not produce and build does not remove (policyc did not write it, or it was edited since): a copy of out would deploy it. Remove it.\n",
    );
    const diff = runCli(["diff", "site.policy", "--root", "out"], { cwd: dir });
    expect(diff.status).toBe(1);
    expect(diff.stderr).toContain("error PC5012: out holds an unfinished build (1 temporary file)");
    writeFileSync(
      join(dir, "out/.policyc/journal"),
      JSON.stringify({ format: "policyc-journal", version: 1, pid: 4242, temporaries: [], files: [] }),
    );
    expect(runCli(["build", "site.policy", "-o", "out", "--check"], { cwd: dir }).stderr).toContain(
      "(the journal of an unfinished build (pid 4242) and 1 temporary file)",
    );
    const repair = runCli(["build", "site.policy", "-o", "out"], { cwd: dir });
    expect(repair.status).toBe(0);
    expect(repair.stderr).toContain(
      "policyc: warning: out held the journal of an unfinished build (pid 4242) and 1 temporary file, left by an interrupted build; removed the temporaries, and this build repaired the tree.\n",
    );
    expect(existsSync(tmp)).toBe(false);
    expect(existsSync(join(dir, "out/.policyc/journal"))).toBe(false);
    expect(readFileSync(join(dir, "out/etc/.policyc-tmp-not-ours"), "utf8")).toBe("a user's file\n");
    // The user's file is not policyc's to remove, but a copy of OUT would deploy it: --check names it (PC5030).
    const stray = runCli(["build", "site.policy", "-o", "out", "--check"], { cwd: dir });
    expect([stray.status, stray.stderr]).toEqual([
      1,
      "policyc: error PC5030: out holds out/etc/.policyc-tmp-not-ours, which the policy does not produce and build does not remove (policyc did not write it, or it was edited since): a copy of out would deploy it. Remove it.\n",
    ]);
    rmSync(join(dir, "out/etc/.policyc-tmp-not-ours"));
    expect(runCli(["build", "site.policy", "-o", "out", "--check"], { cwd: dir }).status).toBe(0);
  });

  it("finds a file where a folder must go (and the reverse) in check, with both places in the policy, and writes nothing", () => {
    const policy = P + 'service a { acl user allow "/etc/x" { entries root; } }\nservice b { acl user deny "/etc/x/y" { entries bob; } }\n';
    const dir = repo({ "site.policy": policy });
    const check = runCli(["check", "site.policy", "--format", "json"], { cwd: dir });
    expect(check.status).toBe(1);
    const d = JSON.parse(check.stdout).diagnostics[0];
    expect([d.code, d.message, d.location.line, d.related[0].location.line]).toEqual([
      "PC3030",
      'The access list of service "a" writes the file /etc/x, but the access list of service "b" needs it to be a folder for /etc/x/y.',
      3,
      2,
    ]);
    expect(runCli(["build", "site.policy", "-o", "out"], { cwd: dir }).status).toBe(1);
    expect(existsSync(join(dir, "out"))).toBe(false);
    // Against what is on disk: a folder where the policy has a file.
    const ok = repo({ "site.policy": ONE_LIST });
    mkdirSync(join(ok, "out/etc/imapd.acl"), { recursive: true });
    const r = runCli(["build", "site.policy", "-o", "out"], { cwd: ok });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("policyc: error PC5003: Cannot write out/etc/imapd.acl: exists and is not a regular file.\n");
    expect(readdirSync(join(ok, "out"))).toEqual(["etc"]);
    // A file an earlier build wrote, where this build needs a folder: it is stale, so it goes first.
    const moved = repo({ "site.policy": P + 'service a { acl user allow "/etc/x" { entries root; } }\n' });
    expect(runCli(["build", "site.policy", "-o", "out", "-q"], { cwd: moved }).status).toBe(0);
    writeFileSync(join(moved, "site.policy"), P + 'service a { acl user allow "/etc/x/y" { entries root; } }\n');
    const again = runCli(["build", "site.policy", "-o", "out", "-v"], { cwd: moved });
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toContain("  removed   out/etc/x\n");
    expect(readFileSync(join(moved, "out/etc/x/y"), "utf8")).toContain("root\n");
  });

  it("refuses outputs under /.policyc and named like policyc's temporaries (PC3031)", () => {
    const r = runCli(["check", "-"], {
      input:
        P +
        'service a { acl user allow "/.policyc/manifest.json" { entries root; } acl user allow "/etc/.policyc-tmp-0123456789abcdef0123456789abcdef" { entries root; } }\n',
    });
    expect(r.stderr.match(/PC3031/g)).toHaveLength(2);
    expect(r.stderr).toContain(
      'error PC3031: The access list of service "a" would write /.policyc/manifest.json, a name policyc reserves for its manifest, journal and lock (.policyc/).',
    );
  });
});
