import { describe, expect, it } from "vitest";
import { explain } from "../../src/api.js";

/** README "Programmatic API": explain() gives the answers `policyc explain --format json` gives. */
const POLICY = `platform debian;
users admins = root, alice;
service sshd {
  acl user allow "/etc/sshd.allow" {
    entries $admins;
  }
}
mail {
  domain example.com;
  listen smtp;
  relay domains partner.example;
}
`;

describe("api: explain()", () => {
  it("answers a PAM question with the decision and the line that decided", () => {
    const allowed = explain(POLICY, { kind: "pam", service: "sshd", user: "alice" }, { path: "site.policy" });
    expect(allowed.ok).toBe(true);
    expect(allowed.answers).toHaveLength(1);
    expect(allowed.answers[0]).toMatchObject({ kind: "pam", host: null, decision: "allow" });
    const refused = explain(POLICY, { kind: "pam", service: "sshd", user: "mallory" }, { path: "site.policy" });
    expect(refused.answers[0]).toMatchObject({ decision: "deny" });
    expect(JSON.stringify(refused.answers[0])).toContain("/etc/sshd.allow");
    const nologin = explain(POLICY, { kind: "pam", service: "sshd", user: "alice", nologin: true }, { path: "site.policy" });
    expect(nologin.answers[0]).toMatchObject({ decision: "deny" });
  });

  it("answers a mail question: a relay domain is accepted, anything else refused", () => {
    expect(explain(POLICY, { kind: "mail", recipient: "bob@partner.example" }).answers[0]).toMatchObject({ decision: "accept" });
    expect(explain(POLICY, { kind: "mail", recipient: "victim@elsewhere.example" }).answers[0]).toMatchObject({ decision: "refuse" });
  });

  it("is not ok, with the diagnostics, for a policy with errors or a service it lacks", () => {
    const bad = explain("service {", { kind: "pam", service: "sshd", user: "alice" });
    expect(bad.ok).toBe(false);
    expect(bad.answers).toEqual([]);
    expect(bad.diagnostics.some((d) => d.severity === "error")).toBe(true);
    expect(explain(POLICY, { kind: "pam", service: "ftp", user: "alice" }).ok).toBe(false);
  });
});
