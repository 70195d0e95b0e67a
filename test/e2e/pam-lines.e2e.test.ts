/**
 * pam.d lines on the REAL Linux-PAM (pamtester, see stack.ts): what each
 * check refuses really is a bypass or a lockout, what the compiler accepts
 * really keeps an unlisted user out, and the lists run exactly where
 * `account acls;` stands. README "Inside service", "Safety checks".
 */
import { mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { codesOf, compileText, runCli } from "../helpers.js";
import { PAM_TOOLS, classifyPamtester, createSandbox, makeTempDir, pamCases, requireTools, skipBanner, type PamCase } from "./stack.js";

const missing = requireTools(PAM_TOOLS);
if (missing.length > 0) console.warn(skipBanner("pam-lines e2e (real Linux-PAM)", missing));
const run = missing.length > 0 ? describe.skip : describe;

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** A tree holding exactly these files (paths relative to the tree root, under etc/). */
async function tree(files: Record<string, string>): Promise<string> {
  const dir = await makeTempDir("policyc-pamlines-");
  dirs.push(dir);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content, { mode: 0o644 });
  }
  return dir;
}

/** `policyc build` of a policy text into a fresh tree; fails the test on errors. */
async function build(policy: string): Promise<string> {
  const dir = await makeTempDir("policyc-pamlines-");
  dirs.push(dir);
  await writeFile(join(dir, "p.policy"), policy);
  const r = runCli(["build", join(dir, "p.policy"), "-o", join(dir, "out"), "-q"]);
  expect(r.status, r.stderr).toBe(0);
  return join(dir, "out");
}

const results = async (dir: string, service: string, cases: PamCase[]) => (await pamCases(dir, service, cases)).map((r) => r.result);

/** `pamtester SERVICE USER acct_mgmt` for each [service, user], all in one sandbox: 'allow', 'deny' or 'error'. */
async function acctMany(dir: string, runs: Array<[string, string]>): Promise<string[]> {
  const sb = await createSandbox(dir);
  try {
    const script = runs
      .map(([svc, user], i) => `printf '@@%s ' ${i}; timeout 15 pamtester ${svc} ${user} acct_mgmt 2>&1 | tr '\\n' ' '; echo`)
      .join("\n");
    const r = await sb.sh(script + "\n", 120_000);
    const lines = r.stdout.split("\n").filter((l) => l.startsWith("@@"));
    expect(lines, r.stderr).toHaveLength(runs.length);
    return lines.map((l) => classifyPamtester(l));
  } finally {
    await sb.cleanup();
  }
}
const codes = codesOf;
const LIST = "account required pam_listfile.so item=user sense=allow file=/etc/e2e-u.acl onerr=fail";
const P = "platform debian;\n";
const stackPolicy = (lines: string, extra = "") =>
  P + `service e2es {\n  stack {\n${lines}\n  }\n  acl user allow "/etc/e2e-u.acl" { entries alice; }\n${extra}}\n`;

run("real PAM: the former bypasses are refused, and were bypasses", () => {
  it("an argument ending in a backslash swallows the pam_listfile line after it (PC3032)", async () => {
    expect(codes(stackPolicy('    account optional pam_permit.so "x\\\\";\n    account acls;'))).toEqual(["PC3032"]);
    // What the file would have been: PAM joins the list line to the argument.
    const dir = await tree({ "etc/pam.d/e2eb": `account optional pam_permit.so x\\\n${LIST}\n`, "etc/e2e-u.acl": "alice\n" });
    expect(await results(dir, "e2eb", [{ user: "mallory" }])).toEqual(["allow"]);
  });

  it("a template line ending in a backslash skips the comment after it and swallows the pam_listfile line (PC3034)", async () => {
    const dir = await tree({
      "etc/pam.d/e2ec": `account optional pam_permit.so \\\n# /etc/e2e-u.acl: the list\n${LIST}\n`,
      "etc/pam.d/e2ek": `# a comment \\\n${LIST}\n`,
      "etc/e2e-u.acl": "alice\n",
    });
    expect(
      await acctMany(dir, [
        ["e2ec", "mallory"],
        ["e2ek", "mallory"],
      ]),
    ).toEqual(["allow", "deny"]);
  });

  it("an argument of 1023 bytes or more is cut, and its tail read as a line of its own (PC3033)", async () => {
    expect(codes(stackPolicy(`    account acls;\n    account optional pam_permit.so ${"x".repeat(1100)};`))).toEqual(["PC3033"]);
    // What such a file does: the tail after 1023 bytes is a "sufficient" line of its own, before the lists.
    const head = "account optional pam_permit.so ";
    const dir = await tree({
      "etc/pam.d/e2em": `${head}${"x".repeat(1023 - head.length)}account sufficient pam_permit.so\n${LIST}\n`,
      "etc/e2e-u.acl": "alice\n",
    });
    expect(await results(dir, "e2em", [{ user: "mallory" }])).toEqual(["allow"]);
  });

  it("a reset after the lists wipes their refusal (PC4102); with unsafe, PAM does exactly that", async () => {
    const lines = "    account acls;\n    account [default=reset] pam_deny.so;\n    account required pam_permit.so;";
    expect(codes(stackPolicy(lines))).toEqual(["PC4102"]);
    const dir = await build(stackPolicy(lines, '  unsafe PC4102 "e2e: show what PAM does";\n'));
    expect(await results(dir, "e2es", [{ user: "mallory" }, { user: "alice" }])).toEqual(["allow", "allow"]);
  });

  it("a bracket control with a typo or capitals always fails: the compiler refuses it (PC3015)", async () => {
    expect(codes(stackPolicy("    account [sucess=ok default=ignore] pam_permit.so;"))).toEqual(["PC3015"]);
    expect(codes(stackPolicy("    account [SUCCESS=ok default=ignore] pam_permit.so;"))).toEqual(["PC3015"]);
    const dir = await tree({
      "etc/pam.d/e2et": "account [sucess=ok default=ignore] pam_permit.so\n",
      "etc/pam.d/e2ec": "account [SUCCESS=ok default=ignore] pam_permit.so\n",
      "etc/pam.d/e2eo": "account [success=ok default=ignore] pam_permit.so\n",
    });
    const [typo, capitals, right] = await acctMany(dir, [
      ["e2et", "root"],
      ["e2ec", "root"],
      ["e2eo", "root"],
    ]);
    expect([typo, capitals, right]).toEqual(["deny", "deny", "allow"]);
  });
});

run("real PAM: module arguments arrive as written", () => {
  it("pam_exec hands printf exactly the policy's arguments, brackets, blanks and backslashes included", async () => {
    const args = ["a b", "x]", "\\]", "[y", "é ü", "a\\b", "k=v w", "\\\\]]"];
    const quoted = args.map((a) => JSON.stringify(a)).join(" ");
    const dir = await build(stackPolicy(`    account acls;\n    account optional pam_exec.so stdout /usr/bin/printf "<%s>" ${quoted};`));
    const [r] = await pamCases(dir, "e2es", [{ user: "alice" }]);
    expect(r!.result).toBe("allow");
    expect(r!.output).toContain(args.map((a) => `<${a}>`).join(""));
  });
});

run("real PAM: the lists run exactly where `account acls;` stands", () => {
  it("a reset BEFORE the marker is harmless there; the old placement (lists first) let everyone in", async () => {
    const lines = "    account [success=reset default=ignore] pam_permit.so;\n    account acls;\n    account required pam_permit.so;";
    expect(codes(stackPolicy(lines))).toEqual([]);
    const dir = await build(stackPolicy(lines));
    expect(await results(dir, "e2es", [{ user: "mallory" }, { user: "alice" }])).toEqual(["deny", "allow"]);
    const old = await tree({
      "etc/pam.d/e2eold": `${LIST}\naccount [success=reset default=ignore] pam_permit.so\naccount required pam_permit.so\n`,
      "etc/e2e-u.acl": "alice\n",
    });
    expect(await results(old, "e2eold", [{ user: "mallory" }])).toEqual(["allow"]);
  });

  it("a sufficient line after the marker does not skip the lists", async () => {
    const dir = await build(stackPolicy("    account required pam_permit.so;\n    account acls;\n    account sufficient pam_permit.so;"));
    expect(await results(dir, "e2es", [{ user: "mallory" }, { user: "alice" }])).toEqual(["deny", "allow"]);
  });
});

run("real PAM: list files hold only entries", () => {
  it("a client cannot pass a ruser list by sending a header line as its remote user name", async () => {
    const dir = await build(P + 'service e2er { acl ruser allow "/etc/e2e-r.acl" { entries alice; } }\n');
    const header = "# Generated by policyc from p.policy. Do not edit: change the policy and rebuild.";
    expect(
      await results(dir, "e2er", [
        { user: "root", ruser: header },
        { user: "root", ruser: "alice" },
      ]),
    ).toEqual(["deny", "allow"]);
  });
});

run("real PAM: the lockouts the checks report are real", () => {
  it("an rhost or ruser allow list denies everyone, root included, when the item is unset (PC4105)", async () => {
    expect(codes(P + 'service login { template local; acl rhost allow "/etc/e2e-h.acl" { entries h.example.org; } }\n')).toEqual([
      "PC4105",
    ]);
    expect(codes(P + 'service sshd { acl ruser allow "/etc/e2e-r.acl" { entries root; } }\n')).toEqual(["PC4105"]);
    const dir = await build(
      P +
        'service e2eh { acl rhost allow "/etc/e2e-h.acl" { entries h.example.org; } }\nservice e2er { acl ruser allow "/etc/e2e-r.acl" { entries root; } }\n',
    );
    expect(await results(dir, "e2eh", [{ user: "root" }, { user: "root", rhost: "h.example.org" }])).toEqual(["deny", "allow"]);
    expect(await results(dir, "e2er", [{ user: "root" }, { user: "root", ruser: "root" }])).toEqual(["deny", "allow"]);
  });

  it('a tty allow list without "ssh" refuses root on the terminal item sshd sets for the account check (PC4105)', async () => {
    expect(codes(P + 'service sshd { acl tty allow "/etc/e2e-t.acl" { entries tty1; } }\n')).toEqual(["PC4105"]);
    const dir = await build(
      P +
        'service e2et { acl tty allow "/etc/e2e-t.acl" { entries tty1; } }\nservice e2ets { acl tty allow "/etc/e2e-ts.acl" { entries tty1, ssh; } }\n',
    );
    expect(
      await results(dir, "e2et", [
        { user: "root", tty: "ssh" },
        { user: "root", tty: "tty1" },
      ]),
    ).toEqual(["deny", "allow"]);
    expect(await results(dir, "e2ets", [{ user: "root", tty: "ssh" }])).toEqual(["allow"]);
  });

  it("a group list without root's group and a shell list without /bin/bash refuse root (PC4003)", async () => {
    expect(codes(P + 'service sshd { acl group allow "/etc/e2e-g.acl" { entries developers; } }\n')).toEqual(["PC4003"]);
    expect(codes(P + 'service sshd { acl shell allow "/etc/e2e-s.acl" { entries /bin/zsh; } }\n')).toEqual(["PC4003"]);
    const dir = await build(
      P +
        'service e2eg { acl group allow "/etc/e2e-g.acl" { entries developers; } }\nservice e2egr { acl group allow "/etc/e2e-gr.acl" { entries developers, root; } }\n' +
        'service e2esh { acl shell allow "/etc/e2e-s.acl" { entries /bin/zsh; } }\nservice e2eshb { acl shell allow "/etc/e2e-sb.acl" { entries /bin/zsh, /bin/bash; } }\n',
    );
    expect(
      await acctMany(dir, [
        ["e2eg", "root"],
        ["e2egr", "root"],
        ["e2esh", "root"],
        ["e2eshb", "root"],
      ]),
    ).toEqual(["deny", "allow", "deny", "allow"]);
  });
});

run("real PAM: every generated stack the compiler accepts keeps an unlisted user out", () => {
  const VALUES = ["success", "auth_err", "perm_denied", "user_unknown", "new_authtok_reqd", "ignore", "default"];
  const ACTIONS = ["ok", "done", "bad", "die", "ignore", "reset", "1", "2"];
  const control = fc.oneof(
    fc.constantFrom("required", "requisite", "sufficient", "optional"),
    fc
      .uniqueArray(fc.constantFrom(...VALUES), { minLength: 1, maxLength: 3 })
      .chain((vs) =>
        fc.tuple(...vs.map((v) => fc.constantFrom(...ACTIONS).map((a) => `${v}=${a}`))).map((pairs) => `[${pairs.join(" ")}]`),
      ),
  );
  const line = fc.record({
    type: fc.constantFrom("account", "account", "account", "auth"),
    control,
    module: fc.constantFrom("pam_permit.so", "pam_deny.so"),
  });
  const stack = fc.record({ lines: fc.array(line, { minLength: 1, maxLength: 5 }), marker: fc.option(fc.nat(5), { nil: undefined }) });

  it("~100 random stacks: pamtester denies an unlisted user on every one policyc accepts without unsafe", async () => {
    const stacks = fc.sample(stack, { numRuns: 400, seed: 20261125 });
    const accepted: string[] = [];
    for (const s of stacks) {
      if (accepted.length >= 100) break;
      const text = s.lines.map((l) => `    ${l.type} ${l.control} ${l.module};`);
      if (s.marker !== undefined) text.splice(Math.min(s.marker, text.length), 0, "    account acls;");
      const i = accepted.length;
      const service = `service e2ep${i} {\n  stack {\n${text.join("\n")}\n  }\n  acl user allow "/etc/e2e-p${i}.acl" { entries alice; }\n}\n`;
      if (!compileText(P + service).diagnostics.hasErrors) accepted.push(service);
    }
    expect(accepted.length).toBe(100);
    const dir = await build(P + accepted.join(""));
    const sb = await createSandbox(dir);
    try {
      const script = accepted
        .flatMap((_, i) =>
          ["mallory", "alice"].map(
            (u) => `printf '@@%s %s ' ${i} ${u}; timeout 15 pamtester e2ep${i} ${u} acct_mgmt 2>&1 | tr '\\n' ' '; echo`,
          ),
        )
        .join("\n");
      const r = await sb.sh(script + "\n", 120_000);
      expect(r.timedOut).toBe(false);
      const outcomes = r.stdout.split("\n").filter((l) => l.startsWith("@@"));
      expect(outcomes).toHaveLength(200);
      const allowed = (user: string) => outcomes.filter((o) => o.split(" ")[1] === user && /account management done/.test(o));
      expect(allowed("mallory").map((o) => accepted[Number(o.slice(2, o.indexOf(" ")))])).toEqual([]);
      // Not vacuous: the listed user gets through the stacks that let anyone through at all.
      expect(allowed("alice").length).toBeGreaterThan(10);
    } finally {
      await sb.cleanup();
    }
  }, 180_000);
});
