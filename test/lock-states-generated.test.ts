import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, tempDir, treeState } from "./helpers.js";

/**
 * README "Safety checks", One build at a time: "A build holds
 * `OUT/.policyc/lock` (created exclusively; it holds the pid and the
 * process's start time). A second build into the same OUT fails at once with
 * PC5010, naming the pid that holds it, and writes nothing. A lock whose
 * process is gone (or whose pid was reused by a later process) is stale and
 * taken over; so is an empty lock (a build killed while taking it) once it is
 * 5 seconds old. `--check` and `diff` take no lock."
 *
 * Every combination: a lock left in OUT in one of those states (a live holder with
 * its start time, or its pid alone; a live pid with another start time; a
 * pid that is gone; empty or garbage, young or 10 s old), then `build` of a
 * changed policy, `build --check` or `diff --root OUT`. The oracle: a live
 * holder or a young empty/garbage lock refuses the build (exit 1, PC5010,
 * the pid named when there is one, OUT and the lock as they were); any other
 * lock is taken over (exit 0, the new tree, no lock left); --check and diff
 * neither look at nor touch the lock.
 */
const V1 = 'platform debian;\nservice imapd { pam imap; acl user allow "/etc/imapd.acl" { entries alice; } }\n';
const V2 = V1.replace("alice", "alice, bob");
type LockState = "live" | "live pid only" | "reused pid" | "gone" | "empty young" | "empty old" | "garbage young" | "garbage old";
const STATES: LockState[] = ["live", "live pid only", "reused pid", "gone", "empty young", "empty old", "garbage young", "garbage old"];
const COMMANDS = ["build", "build --check", "diff"] as const;

let holder: ChildProcess;
let gonePid: number;
const startOf = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]!;
};
beforeAll(() => {
  holder = spawn("sleep", ["600"], { stdio: "ignore" });
  const gone = spawnSync("sh", ["-c", "echo $$"], { encoding: "utf8" });
  gonePid = Number(gone.stdout.trim());
});
afterAll(() => {
  holder.kill("SIGKILL");
});

function lockText(state: LockState): string {
  const pid = holder.pid!;
  switch (state) {
    case "live":
      return `${pid} ${startOf(pid)}\n`;
    case "live pid only":
      return `${pid} -\n`;
    case "reused pid":
      return `${pid} 1\n`;
    case "gone":
      return `${gonePid} 12345\n`;
    case "empty young":
    case "empty old":
      return "";
    case "garbage young":
    case "garbage old":
      return "not a lock at all";
  }
}

describe("OUT/.policyc/lock left in every state, then build, build --check or diff", () => {
  it("refuses while a live holder or a young empty lock holds it, takes a stale one over; --check and diff ignore it", () => {
    expect(existsSync(`/proc/${gonePid}`)).toBe(false);
    let runs = 0;
    // Every state with every command (24 runs): a small space, walked whole rather than sampled.
    for (const state of STATES)
      for (const command of COMMANDS) {
        const dir = tempDir("policyc-lock-gen-");
        try {
          writeFileSync(join(dir, "p.policy"), V1);
          expect(runCli(["build", "p.policy", "-o", "out", "-q"], { cwd: dir }).status).toBe(0);
          writeFileSync(join(dir, "p.policy"), V2);
          const lock = join(dir, "out/.policyc/lock");
          writeFileSync(lock, lockText(state));
          if (state.endsWith("old")) utimesSync(lock, new Date(Date.now() - 10_000), new Date(Date.now() - 10_000));
          const before = treeState(join(dir, "out"), { folderTimes: false });
          const lockBefore = readFileSync(lock, "utf8");
          const args =
            command === "diff"
              ? ["diff", "p.policy", "--root", "out"]
              : ["build", "p.policy", "-o", "out", ...(command === "build --check" ? ["--check"] : [])];
          const r = runCli(args, { cwd: dir });
          runs++;
          const label = `${state}, ${command}: exit ${r.status}\n${r.stderr}`;
          if (command !== "build") {
            // No lock taken or judged: out of date (V2 adds bob), exit 1 for both; the lock as it was.
            expect(r.status, label).toBe(1);
            expect(r.stderr, label).not.toContain("PC5010");
            expect(readFileSync(lock, "utf8"), label).toBe(lockBefore);
            expect(treeState(join(dir, "out"), { folderTimes: false }), label).toEqual(before);
            continue;
          }
          const held = state === "live" || state === "live pid only" || state === "empty young" || state === "garbage young";
          if (held) {
            expect(r.status, label).toBe(1);
            expect(r.stderr, label).toContain("PC5010");
            if (state.startsWith("live")) expect(r.stderr, label).toContain(String(holder.pid));
            expect(treeState(join(dir, "out"), { folderTimes: false }), label).toEqual(before);
            expect(readFileSync(lock, "utf8"), label).toBe(lockBefore);
          } else {
            expect(r.status, label).toBe(0);
            expect(readFileSync(join(dir, "out/etc/imapd.acl"), "utf8"), label).toBe("alice\nbob\n");
            expect(existsSync(lock), label).toBe(false);
          }
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }
    expect(runs).toBe(STATES.length * COMMANDS.length);
  }, 600_000);
});
