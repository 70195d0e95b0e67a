/**
 * README "Roles" and "Performance": a statement of the top level or of a
 * role is lowered once per distinct resolution of the lists it names and
 * shared by the hosts (src/check/lower/shared.ts); emit renders a shared
 * service or access list once. Nothing of it may show: each host's files
 * and the findings must be what the host alone gives.
 */
import { describe, expect, it } from "vitest";
import type { CompileResult } from "../src/compile.js";
import { compileText } from "./helpers.js";

/**
 * A policy of the shared part and host blocks; with `only`, the other blocks
 * are blanked out (spaces and line ends), so every place stays where it was.
 */
function withHosts(shared: string, hosts: Record<string, string>, only?: string): string {
  return (
    shared +
    Object.entries(hosts)
      .map(([name, body]) => {
        const block = `host ${name} {\n${body}\n}\n`;
        return only === undefined || name === only ? block : block.replace(/[^\n]/g, " ");
      })
      .join("")
  );
}

function filesOf(r: CompileResult, prefix = ""): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of r.files ?? []) if (f.path.startsWith(prefix)) out[f.path] = f.content;
  return out;
}

function findings(r: CompileResult): string[] {
  return r.diagnostics.sorted().map((d) => {
    const at = d.span ? `${d.span.file.path}:${d.span.file.position(d.span.start).line}:${d.span.file.position(d.span.start).column}` : "";
    return `${at} ${d.code} ${d.suppressed ? "(suppressed) " : ""}${d.message}`;
  });
}

const SHARED = `platform debian;
users staff = root, alice, bob;
users ops = $staff, $admins;
networks office = 192.0.2.0/24;
role shell {
  service sshd {
    acl user allow "/etc/security/ssh.users" { entries $staff, $admins; }
    acl user deny "/etc/security/ssh.deny" { entries $ops, mallory; }
  }
  service login {
    acl user allow "/etc/security/login.users" { entries $staff; }
    acl rhost deny "/etc/security/login.hosts" { entries badhost.example.com; }
  }
}
role relay {
  mail { domain $mail_domain; listen smtp; relay networks $office; }
}
`;

const HOSTS: Record<string, string> = {
  a: "role shell, relay; users admins = root, carol; domains mail_domain = a.example.net;",
  b: "role shell, relay; users admins = alice, dave; domains mail_domain = b.example.net;",
  // The same values as b, from other definitions; and one list more (other names).
  c: "role shell, relay; users admins = alice, dave; domains mail_domain = b.example.net; users extra = erin;",
  // A host list naming a shared one, and repeating entries of it.
  d: "role relay, shell; users admins = $staff, bob, zed; domains mail_domain = D.Example.NET.;",
  e: "role shell; users admins = root;",
};

describe("check: shared statements lowered once", () => {
  it("gives every host of a fleet the files it gets alone", () => {
    const whole = compileText(withHosts(SHARED, HOSTS));
    expect(findings(whole)).toEqual([]);
    for (const name of Object.keys(HOSTS)) {
      const alone = compileText(withHosts(SHARED, HOSTS, name));
      expect(filesOf(whole, `${name}/`)).toEqual(filesOf(alone));
    }
    const all = filesOf(whole);
    expect(all["a/etc/security/ssh.users"]).toBe("root\nalice\nbob\ncarol\n");
    expect(all["d/etc/security/ssh.users"]).toBe("root\nalice\nbob\nzed\n");
    expect(all["d/etc/security/ssh.deny"]).toBe("root\nalice\nbob\nzed\nmallory\n");
    expect(all["e/etc/security/login.users"]).toBe("root\nalice\nbob\n");
  });

  it("reports what each host alone reports, once, where it is written", () => {
    const shared = `platform debian;
role shell {
  service sshd {
    acl user allow "/etc/security/ssh.users" { entries $admins, operatr, $nosuch, $loop; }
    acl user allow "relative/path" { entries $admins; }
  }
  service ftp {
    acl user allow "/etc/security/ftp.users" { entries $admins; }
    unsafe PC4002 "not used";
  }
  service imap {
    acl user allow "/etc/security/imap.users" { entries operatr, $nosuch, $team, extra; }
  }
}
users team = root, operatr;
`;
    const hosts: Record<string, string> = {
      a: "role shell; users admins = root;",
      // A list named like a literal of the role: the literal is ambiguous here (PC2012).
      e: "role shell; users admins = root; users extra = bob;",
      // Names that make the role's literal and reference look like typos for this host only.
      b: "role shell; users admins = root; users operator = bob; users nosuc = bob;",
      // A cycle through the list the role names.
      c: "role shell; users admins = root, $loop; users loop = $admins;",
      d: "role shell; users admins = root; users loop = erin;",
    };
    const whole = findings(compileText(withHosts(shared, hosts)));
    const union = new Set<string>();
    for (const name of Object.keys(hosts)) for (const f of findings(compileText(withHosts(shared, hosts, name)))) union.add(f);
    expect(new Set(whole)).toEqual(union);
    expect(whole.length).toBe(union.size);
    expect(whole.some((f) => f.includes("PC2006") && f.includes('"operatr"'))).toBe(true);
    expect(whole.some((f) => f.includes("PC2009"))).toBe(true);
    expect(whole.some((f) => f.includes("PC2012"))).toBe(true);
    expect(whole.filter((f) => f.includes("PC2006") && f.includes('"operatr"')).length).toBe(3);
  });
});
