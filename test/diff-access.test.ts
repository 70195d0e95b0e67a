import fc from "fast-check";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compile, viewsOf } from "../src/compile.js";
import { diffAccess, explainPam, type HostView } from "../src/decide/index.js";
import { policy } from "./e2e/arbitrary-policy.js";
import { runCli, TEMPLATES, tempDir } from "./helpers.js";

/**
 * README "Access diff", as properties over generated policies
 * (test/e2e/arbitrary-policy.ts): a text change that keeps access (entries
 * reordered, lists renamed) is no change; adding one user to an allow list
 * is that one gain; and wherever the decision procedure (which the
 * end-to-end suite holds to pamtester and sendmail -bt) answers a request
 * differently on OLD and NEW, diff-access reports a change for that service.
 */
const RUNS = Number(process.env.DIFF_ACCESS_RUNS ?? 150);
const USERS = ["alice", "bob", "carol", "root", "dave", "zed", "mallory", "x"];

function built(text: string): { build: NonNullable<ReturnType<typeof compile>["build"]>; view: HostView } | null {
  const r = compile("p.policy", new TextEncoder().encode(text), { templates: TEMPLATES });
  if (!r.files || !r.build || !r.program) return null;
  return { build: r.build, view: viewsOf({ build: r.build, program: r.program, files: r.files }, TEMPLATES)[0]! };
}

/** The same policy with every list's values reversed and every list renamed. */
function reshuffled(text: string): string {
  return text
    .replace(/^(users|groups|hosts|networks|ttys|shells|domains) (\S+) = (.*);$/gm, (_, kind: string, name: string, values: string) => {
      const parts = values.split(", ").reverse();
      return `${kind} ${name}_renamed = ${parts.join(", ")};`;
    })
    .replace(/\$([A-Za-z0-9_.\/:@+-]+)/g, "$$$1_renamed");
}

const accepted = fc.sample(policy, { seed: 14, numRuns: RUNS * 3 }).filter((g) => built(g.text));

describe("diff-access: changes in access, not in text (generated policies)", () => {
  it(`finds no change when only the text changes (entries reordered, lists renamed), ${accepted.length} policies`, () => {
    expect(accepted.length).toBeGreaterThanOrEqual(RUNS);
    for (const g of accepted) {
      const other = built(reshuffled(g.text));
      expect(other, reshuffled(g.text)).not.toBeNull();
      expect(diffAccess(built(g.text)!.build, other!.build), g.text).toEqual([]);
    }
  });

  it("reports a change for every service whose answers differ, and one user added to an allow list as exactly that gain", () => {
    let mutated = 0;
    let differing = 0;
    for (const g of accepted) {
      // The first user allow list's entries gain "zed".
      const m = /acl user allow (\S+) \{ ([^}]*?)entries ([^;]*);/.exec(g.text);
      if (!m || /\bzed\b/.test(m[3]!)) continue;
      const text = g.text.replace(m[0], `acl user allow ${m[1]} { ${m[2]}entries ${m[3]}, zed;`);
      const a = built(g.text)!;
      const b = built(text);
      if (!b) continue;
      mutated++;
      const changes = diffAccess(a.build, b.build);
      expect(
        changes.map((c) => `${c.effect} ${c.text.replace(/ \(.*\)$/, "")}`),
        text,
      ).toEqual([expect.stringMatching(/^gain zed gains \S+$/)]);
      const scopes = new Set(changes.map((c) => c.scope));
      for (const s of a.view.model.services)
        for (const user of USERS) {
          const req = { service: s.name, user, groups: [user, "wheel"], rhost: "198.51.100.10", tty: "tty1", ruser: "bob" };
          const before = explainPam(a.view, req)!;
          const after = explainPam(b.view, req)!;
          if (before.decision !== after.decision || before.status !== after.status) {
            differing++;
            expect(scopes.has(s.name), `${s.name} answers ${user} differently but diff-access is silent\n${text}`).toBe(true);
          }
        }
    }
    expect(mutated).toBeGreaterThan(10);
    expect(differing).toBeGreaterThan(0);
  });
});

describe("policyc diff-access", () => {
  const dir = tempDir("policyc-diff-access-");
  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const OLD = write(
    "old.policy",
    `platform debian;
users staff = alice, bob;
networks lan = 10.20.0.0/16;
host shell1 {
  service sshd { acl user allow /etc/ssh.users { entries $staff, root; onerr fail; } }
}
host mx1 {
  mail { domain mx1.example.test; listen smtp; relay networks $lan; }
}
`,
  );
  const SAME = write(
    "same.policy",
    `platform debian;
users people = bob, alice;   # renamed and reordered
networks office = 10.20.0.0/16;
host shell1 {
  service sshd {
    acl user allow /etc/ssh.users {
      entries root, $people;
    }
  }
}
host mx1 { mail { domain mx1.example.test; listen smtp; relay networks $office; } }
`,
  );
  const NEW = write(
    "new.policy",
    `platform debian;
users staff = alice, bob, carol;
networks lan = 10.20.0.0/16, 10.1.0.0/16;
host shell1 {
  service sshd { acl user allow /etc/ssh.users { entries $staff, root; onerr succeed; } }
}
host mx1 {
  mail { domain mx1.example.test; listen smtp; relay networks $lan; }
}
`,
  );

  it("prints nothing and exits 0 when only the text changed, --fail-on any included", () => {
    const r = runCli(["diff-access", OLD, SAME, "--fail-on", "any"]);
    expect(r).toMatchObject({ status: 0, stdout: "" });
  });

  it("says each change in words, per host and service", () => {
    const r = runCli(["diff-access", OLD, NEW]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      [
        "gain   carol gains sshd on shell1 (user allow /etc/ssh.users)",
        "gain   onerr fail -> succeed on sshd on shell1 (user allow /etc/ssh.users): fails open",
        "gain   relay networks widen by 65,536 addresses (10.1.0.0/16) on mx1",
        "",
      ].join("\n"),
    );
  });

  it("fails a CI gate on a gain with --fail-on gain, and not on a loss", () => {
    expect(runCli(["diff-access", OLD, NEW, "--fail-on", "gain"]).status).toBe(1);
    const r = runCli(["diff-access", NEW, OLD, "--fail-on", "gain"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("loss   carol loses sshd on shell1");
    expect(r.stdout).toContain("relay networks narrow by 65,536 addresses (10.1.0.0/16) on mx1");
  });

  it("prints a Markdown table and one JSON document", () => {
    const m = runCli(["diff-access", OLD, NEW, "--format", "markdown"]);
    expect(m.stdout).toMatch(
      /^\*\*Access changes:\*\* 3\n\n\| host \| scope \| effect \| change \|\n\|---\|---\|---\|---\|\n\| shell1 \| sshd \| gain \| carol gains/,
    );
    const j = JSON.parse(runCli(["diff-access", OLD, NEW, "--format", "json"]).stdout);
    expect(j).toMatchObject({ format: "policyc-access-diff", version: 1, gains: 3, losses: 0 });
    expect(j.changes[0]).toEqual({
      host: "shell1",
      scope: "sshd",
      effect: "gain",
      text: "carol gains sshd on shell1 (user allow /etc/ssh.users)",
    });
  });

  it("exits 2 on wrong usage and 1 on a policy with errors", () => {
    expect(runCli(["diff-access", OLD]).status).toBe(2);
    expect(runCli(["diff-access", OLD, NEW, "--fail-on", "loss"]).status).toBe(2);
    const bad = write("bad.policy", "platform debian;\nservice x { acl user allow /etc/x { entries $nope; } }\n");
    const r = runCli(["diff-access", OLD, bad]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("PC2011");
  });
});
