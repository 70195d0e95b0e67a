import { describe, expect, it, vi } from "vitest";
import { check } from "../../src/check/check.js";
import * as scopesModule from "../../src/check/scopes.js";
import { hostViewsOf, readAssertions } from "../../src/decide/index.js";
import { DiagnosticBag } from "../../src/diagnostics/diagnostic.js";
import { load } from "../../src/syntax/load.js";

/**
 * The decision procedure reads each host's statements (scopes: the shared
 * ones, its roles', its own) for its assertions and for the views it decides
 * on; for a fleet that is one scope per host, so check/scopes.ts makes them
 * once per program, for the check and every question, and a role's
 * statements once for all the hosts taking it.
 */
vi.mock("../../src/check/scopes.js", async (importOriginal) => {
  const actual = await importOriginal<typeof scopesModule>();
  return { ...actual, scopes: vi.fn(actual.scopes) };
});

const POLICY = `platform debian;
role shell {
  service sshd { pam sshd; acl user allow "/etc/ssh.users" { entries root, alice; } }
  expect allow sshd user alice;
}
host a { role shell; }
host b { role shell; expect deny sshd user mallory; }
host c { role shell; }
`;

describe("decide: the scopes of a program", () => {
  it("are made once for readAssertions and hostViewsOf together, whatever hostViewsOf is asked", () => {
    const bag = new DiagnosticBag();
    const program = load("p.policy", new TextEncoder().encode(POLICY), bag)!;
    const build = check(program, bag);
    expect(bag.hasErrors, JSON.stringify(bag.sorted().map((d) => d.message))).toBe(false);
    const made = vi.mocked(scopesModule.scopes);
    const checked = made.mock.results[0]!.value as unknown;
    made.mockClear();
    const assertions = readAssertions(program, bag);
    expect(assertions.map((a) => a.host)).toEqual(["a", "b", "b", "c"]);
    const views = hostViewsOf(
      build,
      program,
      () => undefined,
      () => null,
    );
    expect(views.map((v) => [v.host, v.items.length])).toEqual([
      ["a", 3],
      ["b", 4],
      ["c", 3],
    ]);
    hostViewsOf(
      build,
      program,
      () => undefined,
      () => null,
    );
    expect(made).toHaveBeenCalled();
    for (const r of made.mock.results) expect(r.value).toBe(checked);
    // The role's statement (after the one shared statement, the platform) is one object for every host.
    expect(views[0]!.items[1]).toBe(views[2]!.items[1]);
    expect(views[0]!.items[1]!.node.kind).toBe("Service");
    // Another program is another answer.
    const other = load("q.policy", new TextEncoder().encode(POLICY.replace("host c { role shell; }\n", "")), bag)!;
    expect(
      hostViewsOf(
        check(other, bag),
        other,
        () => undefined,
        () => null,
      ).map((v) => v.host),
    ).toEqual(["a", "b"]);
  });
});
