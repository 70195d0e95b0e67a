import { existsSync } from "node:fs";
import { copyFile, mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { FIXTURES } from "./platform.js";
import { exec, sq } from "./process.js";
import { Sandbox, TestGroup, TestUser, addAccounts, createSandbox, makeTempDir } from "./sandbox.js";
import { PamCase, PamCaseResult, classifyPamtester } from "./pam.js";

// ---------------------------------------------------------------------------
// PAM, batched: many trees' services in one namespace
// ---------------------------------------------------------------------------

/** One PAM service of one tree in a {@link pamBatch}, with the test accounts its cases need. */
export interface PamBatchUnit {
  /** A built tree (holding etc/). */
  tree: string;
  service: string;
  cases: readonly PamCase[];
  users?: readonly TestUser[];
  groups?: readonly TestGroup[];
}

/** Every file under `dir` (relative paths, '/'-separated). */
async function filesUnder(dir: string, prefix = ""): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await filesUnder(join(dir, e.name), rel)));
    else out.push(rel);
  }
  return out.sort();
}

const ACCOUNT_FILES = ["passwd", "shadow", "group", "gshadow"] as const;

/**
 * Like {@link pamCases} for many (tree, service) units in ONE private
 * namespace: a single /etc copy (with both platforms' stand-ins laid over
 * it, see {@link FIXTURES}) is bind-mounted on /etc; for each unit in turn
 * the tree's etc/ files and that unit's passwd/shadow/group/gshadow (the
 * copy's plus the unit's test accounts) are laid over it, its cases run as
 * in pamCases (a case's broken list file is restored after it), and then
 * every file the unit laid over is put back as it was (or removed), so
 * units stay independent. Results are in unit order, then case order.
 */
export async function pamBatch(units: readonly PamBatchUnit[], opts: { timeoutMs?: number } = {}): Promise<PamCaseResult[][]> {
  const empty = await makeTempDir("policyc-e2e-empty-");
  const overlays = (["debian", "redhat"] as const).map((p) => join(FIXTURES, p)).filter((d) => existsSync(d));
  let sb: Sandbox | undefined;
  try {
    sb = await createSandbox(empty, { overlays });
    const pristine = join(sb.root, "pristine");
    const c = await exec("cp", ["-a", sb.etc, pristine], { timeoutMs: 30_000 });
    if (c.code !== 0) throw new Error(`e2e: copying the sandbox's /etc failed: ${c.stderr}`);
    const lines: string[] = ["set +e"];
    for (const [k, u] of units.entries()) {
      if (!/^[A-Za-z0-9._-]+$/.test(u.service)) throw new Error(`e2e: bad PAM service name ${u.service}`);
      const dir = join(sb.run, `u${k}`);
      const etc = join(dir, "etc");
      await mkdir(etc, { recursive: true });
      const top = (await readdir(u.tree)).filter((n) => n !== "etc" && n !== ".policyc");
      if (top.length)
        throw new Error(`e2e: tree ${u.tree} has files outside etc/ (${top.join(", ")}), which the sandbox cannot lay over the host`);
      const treeFiles = await filesUnder(join(u.tree, "etc"));
      if (treeFiles.some((f) => (ACCOUNT_FILES as readonly string[]).includes(f)))
        throw new Error(`e2e: tree ${u.tree} writes an account file; cannot batch it`);
      if (treeFiles.length) {
        const o = await exec("cp", ["-R", "--preserve=mode,timestamps", "--no-dereference", `${join(u.tree, "etc")}/.`, `${etc}/`]);
        if (o.code !== 0) throw new Error(`e2e: copying tree ${u.tree} failed: ${o.stderr}`);
      }
      for (const f of ACCOUNT_FILES) if (existsSync(join(pristine, f))) await copyFile(join(pristine, f), join(etc, f));
      await addAccounts(etc, u.users ?? [], u.groups ?? []);
      lines.push(`echo "@@UNIT ${k}"`, `cp -R --preserve=mode,timestamps --no-dereference ${sq(etc)}/. /etc/`);
      u.cases.forEach((c, i) => {
        const args: string[] = [];
        if (c.rhost !== undefined) args.push("-I", `rhost=${c.rhost}`);
        if (c.tty !== undefined) args.push("-I", `tty=${c.tty}`);
        if (c.ruser !== undefined) args.push("-I", `ruser=${c.ruser}`);
        args.push(u.service, c.user, "acct_mgmt");
        let breakIt = "";
        let restore = "";
        if (c.file) {
          const p = c.file.path;
          if (!p.startsWith("/") || p.includes("/../")) throw new Error(`e2e: bad file to break: ${p}`);
          const P = sq(p);
          const B = sq(join(dir, `bak.${i}`));
          if (c.file.state === "missing") [breakIt, restore] = [`[ -e ${P} ] && mv -- ${P} ${B}`, `[ -e ${B} ] && mv -- ${B} ${P}`];
          else if (c.file.state === "world-writable") [breakIt, restore] = [`m=$(stat -c %a ${P}); chmod o+w ${P}`, `chmod "$m" ${P}`];
          else [breakIt, restore] = [`mv -- ${P} ${B} && ln -s ${B} ${P}`, `rm -f ${P}; mv -- ${B} ${P}`];
        }
        // No timeout(1) per case (one process less each): a hung pamtester times the whole batch out.
        lines.push(`echo "@@BEGIN ${k}.${i}"`, breakIt, `pamtester ${args.map(sq).join(" ")} 2>&1; echo "@@END ${k}.${i} $?"`, restore);
      });
      // Put back what the unit laid over (the tree's files, the account files).
      for (const f of [...treeFiles, ...ACCOUNT_FILES]) {
        const there = existsSync(join(pristine, f));
        if (f.split("/").includes("..")) throw new Error(`e2e: bad tree path ${f}`);
        lines.push(there ? `cp -a ${sq(join(pristine, f))} ${sq(`/etc/${f}`)}` : `rm -f -- ${sq(`/etc/${f}`)}`);
      }
    }
    const scriptFile = join(sb.run, "batch.sh");
    await writeFile(scriptFile, lines.join("\n") + "\n", { mode: 0o600 });
    const r = await sb.sh(`. ${sq(scriptFile)}\n`, opts.timeoutMs ?? 300_000);
    if (r.timedOut) throw new Error(`e2e: pamtester batch timed out\n${r.stdout.slice(-4000)}\n${r.stderr}`);
    if (r.code === 97) throw new Error(`e2e: could not bind-mount the /etc copy: ${r.stderr}`);
    // Parse in one pass: @@BEGIN k.i, output lines, @@END k.i status.
    const got = new Map<string, { output: string; code: number }>();
    let current: string | null = null;
    let buf: string[] = [];
    for (const line of r.stdout.split("\n")) {
      const b = /^@@BEGIN (\d+\.\d+)$/.exec(line);
      if (b) {
        current = b[1]!;
        buf = [];
        continue;
      }
      const e = /^@@END (\d+\.\d+) (\d+)$/.exec(line);
      if (e && e[1] === current) {
        got.set(current, { output: buf.join("\n").trim(), code: Number(e[2]) });
        current = null;
        continue;
      }
      if (current !== null) buf.push(line);
    }
    return units.map((u, k) =>
      u.cases.map((c, i) => {
        const g = got.get(`${k}.${i}`);
        if (!g) throw new Error(`e2e: no result for PAM case ${k}.${i} (${u.service} in ${u.tree})\n${r.stderr.slice(-2000)}`);
        return { case: c, result: classifyPamtester(g.output), output: g.output, exitCode: g.code };
      }),
    );
  } finally {
    await sb?.cleanup();
    await rm(empty, { recursive: true, force: true });
  }
}
