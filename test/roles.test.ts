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

describe("roles: hosts from an Ansible inventory", () => {
  const ROLES = `platform debian;
inventory "INV";
role shell {
  service sshd {
    acl user allow "/etc/security/ssh.users" {
      entries $admins;
    }
  }
}
role relay {
  mail { domain $mail_domain; listen smtp; relay networks 192.0.2.0/24; }
}
users admins = root;
host mx1 {
  domains mail_domain = mx1.example.net;
}
`;
  const INI = `# comment
[shell]
bastion ansible_host=192.0.2.10
mx1

[relay]
mx1 ansible_user=deploy

[mailhosts:children]
relay

[mailhosts:vars]
x=1
`;
  const YAML = `all:
  children:
    shell:
      hosts:
        bastion: { ansible_host: 192.0.2.10 }
        mx1:
    mailhosts:
      children:
        relay:
          hosts:
            mx1:
              ansible_user: deploy
`;

  for (const [kind, name, text] of [
    ["INI", "hosts.ini", INI],
    ["YAML", "hosts.yml", YAML],
  ] as const) {
    it(`${kind}: every host is a host, each group its role; a host block of the same name adds its own`, () => {
      const path = policy(ROLES.replace("INV", name), { [name]: text });
      const out = join(tempDir(), "out");
      const run = runCli(["build", path, "-o", out]);
      // mailhosts has no role: warned about once, at the group in the inventory.
      expect(run.stderr).toMatch(new RegExp(`${name.replace(".", "\\.")}:\\d+:\\d+: warning PC1042: Inventory group "mailhosts"`));
      expect(run.status).toBe(0);
      expect(readFileSync(join(out, "bastion/etc/security/ssh.users"), "utf8")).toBe("root\n");
      expect(readFileSync(join(out, "mx1/etc/security/ssh.users"), "utf8")).toBe("root\n");
      expect(readFileSync(join(out, "mx1/etc/mail/local-host-names"), "utf8")).toContain("mx1.example.net");
      expect(() => readFileSync(join(out, "bastion/etc/mail/local-host-names"))).toThrow();
    });
  }

  it("a host of the inventory that takes no role's list is reported at the role's reference, and a bad inventory at its line", () => {
    const path = policy(ROLES.replace("INV", "hosts.ini"), { "hosts.ini": "[relay]\nmx2\n" });
    const d = jsonCheck(path);
    expect(d.map((x) => x.code)).toContain("PC2011");
    const bad = policy(ROLES.replace("INV", "hosts.yml"), { "hosts.yml": "all:\n  hosts: [a]\n" });
    const e = jsonCheck(bad);
    expect(e.map((x) => [x.code, x.location.file.endsWith("hosts.yml"), x.location.line])).toEqual([["PC1041", true, 2]]);
  });

  it("expands host ranges in INI and YAML inventories, and reports a bad one at its line", () => {
    for (const [name, text] of [
      ["hosts.ini", "[shell]\nweb[08:10].example.net\n[relay]\nmx1\n"],
      [
        "hosts.yml",
        "all:\n  children:\n    shell:\n      hosts:\n        web[08:10].example.net:\n    relay:\n      hosts:\n        mx1:\n",
      ],
    ]) {
      const path = policy(ROLES.replace("INV", name!), { [name!]: text! });
      const out = join(tempDir(), "out");
      const run = runCli(["build", path, "-o", out]);
      expect(run.status).toBe(0);
      for (const host of ["web08.example.net", "web09.example.net", "web10.example.net"]) {
        expect(readFileSync(join(out, host, "etc/security/ssh.users"), "utf8")).toBe("root\n");
      }
    }
    const bad = policy(ROLES.replace("INV", "hosts.ini"), { "hosts.ini": "[relay]\nmx1\n[shell]\nweb[1:3:0]\n" });
    const d = jsonCheck(bad);
    expect(d.map((x) => [x.code, x.location.file.endsWith("hosts.ini"), x.location.line, x.location.column])).toEqual([
      ["PC1041", true, 4, 1],
    ]);
  });

  it("lists the inventory among the policy's files: a dependency file (build -M) names it", () => {
    const path = policy(ROLES.replace("INV", "hosts.ini"), { "hosts.ini": "[relay]\nmx1\n" });
    const out = join(tempDir(), "out");
    const deps = join(tempDir(), "deps.mk");
    expect(runCli(["build", path, "-o", out, "-M", deps]).status).toBe(0);
    expect(readFileSync(deps, "utf8")).toMatch(/hosts\.ini/);
  });

  it("reads an inventory with the include rules: relative, inside the policy's folder", () => {
    const path = policy(ROLES.replace("INV", "../outside.ini"));
    expect(jsonCheck(path).map((x) => x.code)).toEqual(["PC1040"]);
  });
});
