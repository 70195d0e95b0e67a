/**
 * README "Roles", at the level a user sees it: the CLI on policy files.
 * examples/roles/ with its golden tree is in test/golden.test.ts; one case per
 * role diagnostic is in test/baselines/PC22xx-*.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, tempDir } from "./helpers.js";

function policy(text: string, extra: Record<string, string> = {}): string {
  const dir = tempDir("policyc-roles-");
  for (const [name, body] of Object.entries(extra)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), body);
  }
  writeFileSync(join(dir, "main.policy"), text);
  return join(dir, "main.policy");
}

interface JsonDiagnostic {
  code: string;
  message: string;
  location: { file: string; line: number; column: number };
  related?: { message: string; location: { file: string; line: number; column: number } }[];
}

function jsonCheck(path: string): JsonDiagnostic[] {
  const run = runCli(["check", "--format", "json", path]);
  return (JSON.parse(run.stdout) as { diagnostics: JsonDiagnostic[] }).diagnostics;
}

const SHELL = `platform debian;
role shell {
  service sshd {
    acl user allow "/etc/security/ssh.users" {
      entries $admins;
    }
  }
  expect allow sshd user root;
}
`;

describe("roles: hosts take them", () => {
  it("builds each host with its roles' statements and its own values for the lists a role leaves open", () => {
    const path = policy(`${SHELL}
host a {
  role shell;
  users admins = root, alice;
}
host b {
  users admins = root, bob;
  role shell;
  expect deny sshd user alice;
}
`);
    const out = join(tempDir(), "out");
    const run = runCli(["build", path, "-o", out]);
    expect(run.status).toBe(0);
    expect(readFileSync(join(out, "a/etc/security/ssh.users"), "utf8")).toBe("root\nalice\n");
    expect(readFileSync(join(out, "b/etc/security/ssh.users"), "utf8")).toBe("root\nbob\n");
    expect(readFileSync(join(out, "a/etc/pam.d/sshd"), "utf8")).toContain("/etc/security/ssh.users");
  });

  it("runs a role's assertions once for each host that takes it", () => {
    const path = policy(`${SHELL}
host a { role shell; users admins = root; }
host b { role shell; users admins = alice; }
`);
    const run = runCli(["test", path]);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/^ok .*expect allow sshd user root; \(host a\)$/m);
    expect(run.stdout).toMatch(/^FAIL .*expect allow sshd user root; \(host b\)$/m);
  });

  it("reports a list left open by a role and defined by no host that takes it, at the role's reference", () => {
    const path = policy(`${SHELL}
host a { role shell; }
`);
    const d = jsonCheck(path);
    expect(d.filter((x) => x.code.startsWith("PC20")).map((x) => [x.code, x.location.line])).toEqual([["PC2011", 5]]);
  });
});

describe("roles: conflicts point at both statements", () => {
  it("a list, a service and a mail block defined in two roles a host takes", () => {
    const path = policy(
      `platform debian;
role one {
  users x = root;
  service sshd { pam sshd; }
  mail { domain one.example; listen smtp; }
}
role two {
  users x = root;
  service sshd { pam sshd; }
  mail { domain two.example; listen smtp; }
}
host h { role one, two; }
`,
    );
    const d = jsonCheck(path);
    expect(d.map((x) => [x.code, x.location.line, x.related?.[0]?.location.line])).toEqual([
      ["PC2001", 8, 3],
      ["PC2002", 9, 4],
      ["PC2008", 10, 5],
    ]);
  });

  it("a role in an included file and a host's own definition: each location in its own file", () => {
    const path = policy(
      `platform debian;
include "roles/base.policy";
host h {
  role base;
  users staff = root;
}
`,
      { "roles/base.policy": "role base {\n  users staff = root, alice;\n}\n" },
    );
    const d = jsonCheck(path);
    expect(d).toHaveLength(1);
    expect(d[0]!.code).toBe("PC2001");
    expect(d[0]!.location.file).toMatch(/main\.policy$/);
    expect(d[0]!.location.line).toBe(5);
    expect(d[0]!.related![0]!.location.file).toMatch(/roles\/base\.policy$/);
    expect(d[0]!.related![0]!.location.line).toBe(2);
  });

  it("two hosts may take roles that would conflict with each other's", () => {
    const path = policy(`platform debian;
role one { users x = root; }
role two { users x = root, alice; }
host a { role one; }
host b { role two; }
`);
    expect(jsonCheck(path)).toEqual([]);
  });
});

describe("roles: fmt", () => {
  it("formats roles and role lists, and formatting again changes nothing", () => {
    const path = policy(`platform debian;
role   web{users admins=root;
service sshd { pam sshd; } }
host h {role web ,  other;
}
role other {}
`);
    expect(runCli(["fmt", path]).status).toBe(0);
    const once = readFileSync(path, "utf8");
    expect(once).toBe(`platform debian;
role web {
  users admins = root;
  service sshd {
    pam sshd;
  }
}
host h {
  role web, other;
}
role other {}
`);
    expect(runCli(["fmt", "--check", path]).status).toBe(0);
    expect(runCli(["check", path]).status).toBe(0);
  });
});
