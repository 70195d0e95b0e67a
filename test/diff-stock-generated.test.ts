import fc from "fast-check";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { anyPolicy } from "./e2e/arbitrary-policy.js";
import { propertyRuns, ROOT, runCli, tempDir } from "./helpers.js";

/**
 * README "Command line", diff --stock: "prints, per generated file, a unified
 * diff from the distribution's stock file it is built from to the generated
 * file (`stock/` against `policy/`): only the policy's lines and policyc's
 * header; files without a stock file are shown as new. For review before the
 * first deploy; exit 0. It takes no `--root`." Generated policies
 * (test/e2e/arbitrary-policy.ts, fleets per host): exit 0; exactly the built
 * files, each once; "new file" for every one with no stock file in
 * templates/<platform>/<release>/ (a new file's lines are the whole built
 * file); for a pam.d file built from a stock file, the patch taken back off
 * the built file (patch -R) leaves no policyc header and only lines of the
 * stock file. With --root too: wrong usage, exit 2.
 */
const RELEASE = { debian: "12", redhat: "9" } as const;

function files(dir: string, rel = ""): string[] {
  return readdirSync(join(dir, rel)).flatMap((e) => {
    const r = rel ? `${rel}/${e}` : e;
    if (r === ".policyc") return [];
    return statSync(join(dir, r)).isDirectory() ? files(dir, r) : [r];
  });
}

/** The patch taken back off the built file (patch -R): what --stock says the stock file was. */
function takenBack(dir: string, built: string, patchText: string): { status: number | null; text: string; out: string } {
  const work = join(dir, "work");
  writeFileSync(work, built);
  const body = patchText
    .split("\n")
    .slice(1)
    .join("\n")
    .replace(/^--- .*$/m, `--- ${work}`)
    .replace(/^\+\+\+ .*$/m, `+++ ${work}`);
  const back = spawnSync("patch", ["-R", "-s", "-f", work], { input: body, encoding: "utf8" });
  return { status: back.status, text: readFileSync(work, "utf8"), out: back.stdout + back.stderr };
}

describe("diff --stock on generated policies", () => {
  it("a stock service with access lists: the patch taken back is exactly the stock file minus its placeholder lines", () => {
    fc.assert(
      fc.property(
        fc.constantFrom<"debian" | "redhat">("debian", "redhat"),
        fc.nat(100),
        fc.subarray(["user allow", "group deny", "rhost deny", "tty allow"], { minLength: 1 }),
        (platform, pick, lists) => {
          const stockDir = join(ROOT, "templates", platform, RELEASE[platform], "pam.d");
          const names = readdirSync(stockDir).sort();
          const name = names[pick % names.length]!;
          const dir = tempDir("policyc-stock-gen-");
          try {
            const acls = lists.map(
              (l, i) =>
                `  acl ${l} "/etc/lists/l${i}" { entries ${l.startsWith("rhost") ? "bad.example" : l.startsWith("tty") ? "tty1" : "root, wheel"}; }`,
            );
            writeFileSync(join(dir, "p.policy"), `platform ${platform};\nservice ${name} {\n${acls.join("\n")}\n}\n`);
            const r = runCli(["diff", "p.policy", "--stock"], { cwd: dir });
            const label = `${platform} ${name} ${lists.join(", ")}\nexit ${r.status}\n${r.stderr.slice(0, 600)}`;
            if (r.status === 1) return; // a list this service cannot have (PC4105 and the like): refused, nothing to compare
            expect(r.status, label).toBe(0);
            const patch = r.stdout.split(/^(?=diff stock\/)/m).find((x) => x.startsWith(`diff stock/etc/pam.d/${name} `));
            expect(patch, label).toBeDefined();
            expect(patch!.split("\n")[1], label).not.toMatch(/^new file/);
            expect(runCli(["build", "p.policy", "-o", "out", "-q"], { cwd: dir }).status, label).toBe(0);
            const back = takenBack(dir, readFileSync(join(dir, "out/etc/pam.d", name), "utf8"), patch!);
            expect(back.status, `${back.out}\n${patch}\n${label}`).toBe(0);
            const stock = readFileSync(join(stockDir, name), "utf8")
              .split("\n")
              .filter((l) => !/^\s*(#\s*)?\{\{[a-z_]+\}\}\s*$/.test(l))
              .join("\n");
            expect(back.text, `${patch}\n${label}`).toBe(stock);
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
        },
      ),
      propertyRuns(40),
    );
  }, 600_000);

  it("exit 0; every built file once; new wherever there is no stock file; only policy lines and the header differ", () => {
    let compared = 0;
    fc.assert(
      fc.property(anyPolicy, (p) => {
        const dir = tempDir("policyc-stock-gen-");
        try {
          writeFileSync(join(dir, "site.policy"), p.text);
          for (const [f, text] of Object.entries(p.files)) {
            mkdirSync(dirname(join(dir, f)), { recursive: true });
            writeFileSync(join(dir, f), text);
          }
          if (runCli(["build", "site.policy", "-o", "out", "-q"], { cwd: dir }).status !== 0) return;
          const stockRoot = join(ROOT, "templates", p.platform, RELEASE[p.platform]);
          for (const host of p.hosts.length ? p.hosts : [null]) {
            const tree = host ? join(dir, "out", host) : join(dir, "out");
            const r = runCli(["diff", "site.policy", "--stock", ...(host ? ["--host", host] : [])], { cwd: dir });
            const label = `${p.text}\nhost ${host}\nexit ${r.status}\n${r.stderr.slice(0, 500)}`;
            expect(r.status, label).toBe(0);
            const patches = r.stdout.split(/^(?=diff stock\/)/m).filter(Boolean);
            const listed = patches.map((x) => /^diff stock\/(\S+) policy\/(\S+)\n/.exec(x)![1]!);
            expect([...listed].sort(), label).toEqual(files(tree).sort());
            for (const [i, patchText] of patches.entries()) {
              const path = listed[i]!;
              const built = readFileSync(join(tree, path), "utf8");
              const stock = join(stockRoot, path.replace(/^etc\//, ""));
              const isNew = /^new file mode/m.test(patchText.split("\n")[1] ?? "");
              // No stock file: new. A stock file but a custom `stack` or `template`: new too (not built from it).
              // (The .mc, built from the stock .mc, is shown as new today: reported by promises3.)
              if (!existsSync(stock)) expect(isNew, `${path}\n${label}`).toBe(true);
              if (isNew) {
                const plus = patchText
                  .split("\n")
                  .filter((l) => l.startsWith("+") && !l.startsWith("+++"))
                  .map((l) => l.slice(1));
                expect(plus.join("\n") + "\n", `${path}\n${label}`).toBe(built);
                continue;
              }
              if (!path.startsWith("etc/pam.d/")) continue;
              compared++;
              const back = takenBack(dir, built, patchText);
              expect(back.status, `${path}: patch -R failed: ${back.out}\n${patchText}\n${label}`).toBe(0);
              const original = back.text;
              expect(original, `${path}\n${label}`).not.toContain("Generated by policyc");
              const stockLines = new Set(readFileSync(stock, "utf8").split("\n"));
              for (const line of original.split("\n"))
                expect(stockLines.has(line), `${path}: "${line}" is not the stock file's\n${label}`).toBe(true);
            }
          }
          const both = runCli(["diff", "site.policy", "--stock", "--root", "out"], { cwd: dir });
          expect(both.status).toBe(2);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      propertyRuns(40),
    );
    console.log(`diff --stock: ${compared} stock-based pam.d files taken back to their stock file`);
  }, 600_000);
});
