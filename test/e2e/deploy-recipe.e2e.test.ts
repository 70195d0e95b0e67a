/**
 * README "Deploying to one host": the recipe block of the README itself,
 * extracted and run (as root, under umask 027) against a private root, a
 * plain folder that stands for a Debian host's / (its /etc/mail setgid
 * 2755, an old sendmail.cf, a file of someone else's). The real jq, m4 and
 * makemap do the work. Proves: only the manifest's files are installed,
 * with the manifest's owner, group and mode; no folder that exists changes
 * mode (setgid kept), a missing one is made 0755; the .cf is the m4
 * expansion of the deployed .mc and the access map is built; a second
 * deploy removes what the policy no longer makes and nothing else; a .mc
 * m4 warns about stops the deploy with the host untouched; afterwards
 * `policyc diff --root` says the root matches.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, runCli, tempDir } from "../helpers.js";
import { requireTools, skipBanner } from "./stack.js";

const tools = requireTools(["jq", "m4", "makemap", "install", "file:/usr/share/sendmail/cf/m4/cf.m4"]);
const missing = process.getuid?.() === 0 ? tools : [...tools, "root"];
if (missing.includes("root") && process.env.CI === "true") throw new Error("e2e: the deploy recipe test needs root with CI=true.");
if (missing.length > 0) console.warn(skipBanner("README deploy recipe e2e", missing));
const run = missing.length > 0 ? describe.skip : describe;

/** The README block that starts with "# deploy.sh:", as a shell script. */
function recipe(): string {
  const lines = readFileSync(join(ROOT, "README.md"), "utf8").split("\n");
  const start = lines.indexOf("    # deploy.sh: install one host's files from a policyc build; run as root.");
  expect(start, "the README's recipe block").toBeGreaterThan(0);
  const block: string[] = [];
  for (const line of lines.slice(start)) {
    if (line !== "" && !line.startsWith("    ")) break;
    block.push(line.slice(4));
  }
  return block.join("\n").trimEnd() + "\n";
}

function deploy(dir: string, root: string): { status: number | null; stderr: string } {
  writeFileSync(join(dir, "deploy.sh"), recipe());
  const r = spawnSync("sh", ["-c", "umask 027 && sh deploy.sh"], {
    cwd: dir,
    env: { ...process.env, OUT: "out", HOST: "", ROOT: root, PATH: `${process.env.PATH}:/usr/sbin:/sbin` },
    encoding: "utf8",
  });
  return { status: r.status, stderr: r.stderr };
}

/** Every path under a root with its mode, owner, group and (files) bytes. */
function snapshot(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = lstatSync(p);
      out.set(relative(root, p), `${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid} ${st.isFile() ? readFileSync(p, "latin1") : ""}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(root);
  return out;
}

interface Entry {
  path: string;
  target: string;
  mode: string;
}

run("README recipe: deploying one host's files onto a private root", () => {
  it("installs exactly the manifest's files, keeps folder modes, activates sendmail, removes stale files, and stops on an m4 warning", () => {
    const dir = tempDir("policyc-recipe-");
    const root = join(dir, "host");
    // A Debian host: /etc/mail setgid 2755, an old .cf, a file of someone else's.
    for (const [d, m] of [
      ["etc", 0o755],
      ["etc/pam.d", 0o755],
      ["etc/mail", 0o2755],
    ] as const) {
      mkdirSync(join(root, d), { recursive: true });
      spawnSync("chmod", [m.toString(8), join(root, d)]);
    }
    writeFileSync(join(root, "etc/mail/sendmail.cf"), "# the old cf\n");
    writeFileSync(join(root, "etc/mail/mine.conf"), "not policyc's\n");
    const policy = readFileSync(join(ROOT, "examples/cookbook.policy"), "utf8").replace(
      "accounts mailman;",
      "accounts mailman;\n  relay networks 192.0.2.0/24;",
    );
    const extra = 'service ftpd { acl user allow "/etc/ftpd.acl" { entries root; } }\n';
    writeFileSync(join(dir, "site.policy"), policy + extra);
    expect(runCli(["build", "site.policy", "-o", "out", "-q"], { cwd: dir }).status).toBe(0);

    const first = deploy(dir, root);
    expect(first.status, first.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(dir, "out/.policyc/manifest.json"), "utf8")) as { files: Entry[] };
    for (const f of manifest.files) {
      const st = statSync(join(root, f.target));
      expect([(st.mode & 0o7777).toString(8).padStart(4, "0"), st.uid, st.gid], f.target).toEqual([f.mode, 0, 0]);
      expect(readFileSync(join(root, f.target), "utf8"), f.target).toBe(readFileSync(join(dir, "out", f.path), "utf8"));
    }
    // Folders that existed keep their mode (setgid included); a new one is 0755 under umask 027.
    const dmode = (d: string) => (statSync(join(root, d)).mode & 0o7777).toString(8);
    expect([dmode("etc"), dmode("etc/pam.d"), dmode("etc/mail"), dmode("var/lib/policyc")]).toEqual(["755", "755", "2755", "755"]);
    expect(existsSync(join(root, ".policyc"))).toBe(false);
    expect(readFileSync(join(root, "etc/mail/mine.conf"), "utf8")).toBe("not policyc's\n");
    // Activated: the .cf is m4's expansion of the deployed .mc; the access map holds the access file's entries.
    const m4 = spawnSync("m4", [join(root, "etc/mail/sendmail.mc")], { encoding: "utf8" });
    expect(m4.stderr).toBe("");
    expect(readFileSync(join(root, "etc/mail/sendmail.cf"), "utf8")).toBe(m4.stdout);
    expect(m4.stdout).toContain("\nKaccess hash -T<TMPF> /etc/mail/access\n");
    const dump = spawnSync("makemap", ["-u", "hash", join(root, "etc/mail/access.db")], {
      encoding: "utf8",
      env: { PATH: "/usr/sbin:/usr/bin" },
    });
    const entries = readFileSync(join(root, "etc/mail/access"), "utf8")
      .split("\n")
      .filter((l) => l && !l.startsWith("#"));
    expect(entries.length).toBeGreaterThan(0);
    for (const e of entries) expect(dump.stdout.toLowerCase()).toContain(e.split(/\s+/)[0]!.toLowerCase());
    expect(existsSync(join(root, "etc/mail/sendmail.cf.policyc-new"))).toBe(false);
    const same = runCli(["diff", "site.policy", "--root", root], { cwd: dir });
    expect([same.status, same.stderr.split("\n").at(-2)]).toEqual([
      0,
      `policyc: ${root} matches the policy (${manifest.files.length} files).`,
    ]);

    // The policy drops ftpd: the second deploy removes its two files and nothing else.
    writeFileSync(join(dir, "site.policy"), policy);
    expect(runCli(["build", "site.policy", "-o", "out", "-q"], { cwd: dir }).status).toBe(0);
    expect(runCli(["diff", "site.policy", "--root", root], { cwd: dir }).stdout).toContain(
      "diff deployed/etc/ftpd.acl policy/etc/ftpd.acl\ndeleted file mode 100644\n",
    );
    const second = deploy(dir, root);
    expect(second.status, second.stderr).toBe(0);
    expect([existsSync(join(root, "etc/ftpd.acl")), existsSync(join(root, "etc/pam.d/ftpd"))]).toEqual([false, false]);
    expect(readFileSync(join(root, "etc/mail/mine.conf"), "utf8")).toBe("not policyc's\n");
    expect(runCli(["diff", "site.policy", "--root", root], { cwd: dir }).status).toBe(0);

    // A .mc m4 warns about: the deploy stops before anything on the host changes.
    const before = snapshot(root);
    const broken = join(dir, "broken");
    cpSync(join(dir, "out"), broken, { recursive: true });
    writeFileSync(join(broken, "etc/mail/sendmail.mc"), readFileSync(join(broken, "etc/mail/sendmail.mc"), "utf8") + "define(`x'\n");
    writeFileSync(join(broken, "etc/imapd.acl"), "mallory\n");
    spawnSync("rm", ["-rf", join(dir, "out")]);
    cpSync(broken, join(dir, "out"), { recursive: true });
    const stopped = deploy(dir, root);
    expect(stopped.status).not.toBe(0);
    expect(stopped.stderr).toContain("m4:");
    expect(snapshot(root)).toEqual(before);
  });
});
