import { existsSync } from "node:fs";
import { join } from "node:path";
import { classifyPamtester as classifyReal } from "../../../src/verify/pam-real.js";
import { FIXTURES, Platform } from "./platform.js";
import { sq } from "./process.js";
import { SandboxOptions, createSandbox } from "./sandbox.js";

// ---------------------------------------------------------------------------
// PAM
// ---------------------------------------------------------------------------

/** What pamtester reported: allowed, refused, or a broken/errored stack. */
export type PamResult = "allow" | "deny" | "error";

/** How to break a list file for one case (restored after the case). */
export type FileState = "missing" | "world-writable" | "symlink";

/** One `pamtester SERVICE USER acct_mgmt` run. */
export interface PamCase {
  user: string;
  rhost?: string;
  tty?: string;
  ruser?: string;
  /** Break this file (an /etc path) for this case only. */
  file?: { path: string; state: FileState };
}

/** A case's outcome with pamtester's own words. */
export interface PamCaseResult {
  case: PamCase;
  result: PamResult;
  /** pamtester's output (stdout+stderr). */
  output: string;
  exitCode: number;
}

/**
 * Classify pamtester output: "account management done" is allow; PAM
 * refusals (PAM_AUTH_ERR, PAM_PERM_DENIED, PAM_USER_UNKNOWN,
 * PAM_ACCT_EXPIRED, PAM_NEW_AUTHTOK_REQD) are deny; anything else
 * (PAM_SERVICE_ERR "Error in service module", missing module, ...) is error.
 * Note: pam_listfile with onerr=fail returns PAM_SERVICE_ERR on a missing
 * file, so a missing list is 'error' (a refusal all the same).
 *
 * The one `test --real` uses (src/verify/pam-real.ts): the harness may
 * import src/ (only test/e2e/oracle/ must not), and a wrong classification
 * still shows, as a disagreement with the independent oracle.
 */
export const classifyPamtester: (output: string) => PamResult = classifyReal;

/**
 * Run every case as `pamtester [-I rhost=..] [-I tty=..] [-I ruser=..] SERVICE USER acct_mgmt`
 * in ONE namespace, against `tree` laid over a copy of /etc with `users`
 * and `groups` added. Cases with `file` break that list file first and
 * restore it afterwards, so cases stay independent.
 *
 * Platform redhat: the tree's pam.d files `include system-auth` /
 * `password-auth`, which Debian does not have; fixtures/redhat/pam.d/ holds
 * Red Hat-like ones (RHEL's authselect "minimal" profile) and is laid over
 * the copy first.
 */
export async function pamCases(
  tree: string,
  service: string,
  cases: readonly PamCase[],
  opts: SandboxOptions & { timeoutMs?: number; platform?: Platform } = {},
): Promise<PamCaseResult[]> {
  if (!/^[A-Za-z0-9._-]+$/.test(service)) throw new Error(`e2e: bad PAM service name ${service}`);
  const fixtures = join(FIXTURES, opts.platform ?? "debian");
  const overlays = [...(existsSync(fixtures) ? [fixtures] : []), ...(opts.overlays ?? [])];
  const sb = await createSandbox(tree, { ...opts, overlays });
  try {
    const lines: string[] = [];
    cases.forEach((c, i) => {
      const args: string[] = [];
      if (c.rhost !== undefined) args.push("-I", `rhost=${c.rhost}`);
      if (c.tty !== undefined) args.push("-I", `tty=${c.tty}`);
      if (c.ruser !== undefined) args.push("-I", `ruser=${c.ruser}`);
      args.push(service, c.user, "acct_mgmt");
      const bak = join(sb.run, `bak.${i}`);
      let breakIt = "";
      let restore = "";
      if (c.file) {
        const p = c.file.path;
        // Safety: only ever touch the copy (anything under /etc inside the namespace).
        if (!p.startsWith("/etc/") || p.includes("/../")) throw new Error(`e2e: file to break must be under /etc: ${p}`);
        const P = sq(p);
        const B = sq(bak);
        switch (c.file.state) {
          case "missing":
            breakIt = `[ -e ${P} ] && mv -- ${P} ${B}`;
            restore = `[ -e ${B} ] && mv -- ${B} ${P}`;
            break;
          case "world-writable":
            breakIt = `m=$(stat -c %a ${P}); chmod o+w ${P}`;
            restore = `chmod "$m" ${P}`;
            break;
          case "symlink":
            breakIt = `mv -- ${P} ${B} && ln -s ${B} ${P}`;
            restore = `rm -f ${P}; mv -- ${B} ${P}`;
            break;
        }
      }
      lines.push(`echo "@@BEGIN ${i}"`, breakIt, `timeout 15 pamtester ${args.map(sq).join(" ")} 2>&1; echo "@@END ${i} $?"`, restore);
    });
    const r = await sb.sh(lines.join("\n") + "\n", opts.timeoutMs ?? 60_000);
    if (r.timedOut) throw new Error(`e2e: pamtester batch timed out\n${r.stdout}\n${r.stderr}`);
    if (r.code === 97) throw new Error(`e2e: could not bind-mount the /etc copy: ${r.stderr}`);
    return cases.map((c, i) => {
      const m = new RegExp(`@@BEGIN ${i}\\n([\\s\\S]*?)@@END ${i} (\\d+)`).exec(r.stdout);
      if (!m) throw new Error(`e2e: no result for PAM case ${i}\n${r.stdout}\n${r.stderr}`);
      const output = m[1]!.trim();
      return { case: c, result: classifyPamtester(output), output, exitCode: Number(m[2]) };
    });
  } finally {
    await sb.cleanup();
  }
}
