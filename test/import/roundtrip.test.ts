/**
 * README "Command line", import: build(P) -> import -> build gives the same
 * files, byte for byte but the headers (policyc's header line and the policy
 * file and line named above each pam_listfile line). On every example, on
 * policies written for the cases the importer must get right, and on
 * policies fast-check generates (test/e2e/arbitrary-policy.ts).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { policy } from "../e2e/arbitrary-policy.js";
import { compileText, ROOT, runCli, tempDir } from "../helpers.js";
import { buildFiles, comparable, importRoot, writeRoot } from "./helpers.js";

async function roundTrip(text: string, path = "test.policy") {
  const first = buildFiles(text, path);
  const root = tempDir("policyc-import-");
  writeRoot(root, first);
  const imported = await importRoot(root);
  const second = buildFiles(imported.text, "imported.policy");
  return { first, second, imported };
}

const examples = readdirSync(join(ROOT, "examples"))
  .filter((f) => f.endsWith(".policy"))
  .map((f) => join("examples", f));

describe("import: build -> import -> build gives the same files (headers aside)", () => {
  it.each(examples)("%s", async (path) => {
    const { first, second, imported } = await roundTrip(readFileSync(join(ROOT, path), "utf8"), path);
    expect(imported.findings).toEqual([]);
    expect(comparable(second)).toEqual(comparable(first));
  });

  it("the fleet example, host by host", async () => {
    const files = buildFiles(readFileSync(join(ROOT, "examples/fleet/fleet.policy"), "utf8"), "examples/fleet/fleet.policy");
    const hosts = new Set([...files.keys()].map((p) => p.split("/")[0]!));
    expect(hosts.size).toBeGreaterThan(1);
    for (const host of hosts) {
      const mine = new Map([...files].filter(([p]) => p.startsWith(host + "/")).map(([p, c]) => [p.slice(host.length + 1), c]));
      const root = tempDir("policyc-import-");
      writeRoot(root, mine);
      const imported = await importRoot(root);
      expect(imported.findings, host).toEqual([]);
      expect(comparable(buildFiles(imported.text)), host).toEqual(comparable(mine));
    }
  });

  it("services named apart from their PAM service, custom stacks, every acl parameter, TLS, auth options, greet pause", async () => {
    const text = `platform debian;
users ops = root, alice;
service imapd { pam imap; acl user allow "/etc/imapd.acl" { entries $ops; onerr succeed; } }
service mailbox { pam pop3; template local; acl tty allow "/etc/pop.ttys" { entries tty1, ttyS0; apply @staff; quiet; } }
service ftp {
  pam vsftpd;
  stack {
    auth [success=1 default=ignore] pam_unix.so nullok "odd=a b" [x=y z];
    auth requisite pam_deny.so;
    -session optional pam_systemd.so;
    account acls;
    account required pam_unix.so;
  }
  acl user deny "/etc/ftpusers" { entries $ops, bob; }
  acl rhost deny "/etc/ftp.hosts" { entries 192.0.2.1, "2001:db8::1", bad.example; }
}
mail {
  domain mx.example.test, example.test;
  listen smtp { address 192.0.2.25; name MX; }
  listen 465;
  listen submission { family inet6; modifiers E, a; }
  auth mechanisms PLAIN, SCRAM-SHA-256;
  auth options noplaintext, noanonymous;
  auth backend saslauthd;
  relay authenticated SCRAM-SHA-256;
  relay networks 192.0.2.0/23, 10.1.2.3/32;
  greet pause 2000;
  tls certificate /etc/ssl/certs/mx.pem;
  tls key /etc/ssl/private/mx.key;
  tls ca /etc/ssl/certs/ca-certificates.crt;
  tls ca-path /etc/ssl/certs;
  accounts alice;
}
`;
    const { first, second, imported } = await roundTrip(text);
    expect(imported.findings).toEqual([]);
    expect(comparable(second)).toEqual(comparable(first));
  });

  it("a custom stack whose rules are the service template's stays a stack", async () => {
    const text = `platform debian;
service imapd {
  pam imap;
  stack {
    auth include common-auth;
    account acls;
    account include common-account;
    password include common-password;
    session include common-session;
  }
  acl user allow "/etc/imapd.acl" { entries alice; }
}
`;
    const { first, second, imported } = await roundTrip(text);
    expect(imported.findings).toEqual([]);
    expect(imported.text).toContain("stack {");
    expect(comparable(second)).toEqual(comparable(first));
  });

  it("generated policies survive build -> import -> build (fast-check, test/e2e/arbitrary-policy.ts)", async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(policy, async (p) => {
        if (p.mustRefuse.length || !compileText(p.text).files) return;
        accepted++;
        const { first, second, imported } = await roundTrip(p.text);
        expect(imported.findings, p.text).toEqual([]);
        expect(comparable(second), `${p.text}\n--- imported\n${imported.text}`).toEqual(comparable(first));
      }),
      { numRuns: 150, seed: 18 },
    );
    expect(accepted).toBeGreaterThan(60);
  });
});

describe("import of a host policyc refuses as it is", () => {
  it("an open relay and skippable lists: unsafe in the block and PC7009 (exit 1; --allow-lossy writes it), and the same files again", () => {
    const text = `platform debian;
service ftp {
  pam vsftpd;
  stack {
    account sufficient pam_permit.so;
    account acls;
    account required pam_unix.so;
  }
  acl user deny "/etc/ftpusers" { entries root; }
  unsafe PC4102 "lab";
}
mail {
  domain mx.example.test;
  listen smtp;
  relay networks 0.0.0.0/0;
  unsafe PC4101 "isolated lab network";
}
`;
    const first = buildFiles(text);
    const root = tempDir("policyc-import-");
    writeRoot(root, first);
    const policy = join(tempDir("policyc-import-out-"), "host.policy");
    const strict = runCli(["import", "--root", root, "-o", policy]);
    expect(strict.status).toBe(1);
    expect(strict.stderr).toContain("warning PC7009: The host is configured in a way policyc refuses (PC4101:");
    expect(strict.stderr).toContain("warning PC7009: The host is configured in a way policyc refuses (PC4102:");
    expect(existsSync(policy)).toBe(false);
    const lossy = runCli(["import", "--root", root, "-o", policy, "--allow-lossy", "-q"]);
    expect(lossy.status, lossy.stderr).toBe(0);
    const imported = readFileSync(policy, "utf8");
    expect(imported).toMatch(/service ftp \{\n {2}unsafe PC4102 /);
    expect(imported).toMatch(/mail \{\n {2}unsafe PC4101 /);
    expect(comparable(buildFiles(imported))).toEqual(comparable(first));
  });
});
