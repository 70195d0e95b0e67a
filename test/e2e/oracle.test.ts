/**
 * The e2e oracle checked against hand-written expectations: for the cookbook
 * it must ask for at least every case cookbook.expect.ts spells out, and its
 * pam_listfile model must give the outcomes the Linux-PAM source gives.
 * Needs no tools (the oracle only parses).
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers.js";
import { cookbookExpectations } from "./cookbook.expect.js";
import { expectationsByHost, expectationsFor, readHostAccounts, relayNetworkClients, type HostAccounts } from "./oracle.js";
import { normalizeDaemonPortOptions, type PamExpectation, type StackExpectations } from "./stack-suite.js";

const host = readHostAccounts();
const caseKey = (c: PamExpectation["cases"][number]) =>
  JSON.stringify([c.user, c.rhost ?? null, c.tty ?? null, c.ruser ?? null, c.file ?? null, c.expect]);

describe("oracle: examples/cookbook.policy covers the hand-written cookbook.expect.ts", () => {
  const oracle = expectationsFor(join(ROOT, "examples/cookbook.policy"), host);

  for (const hand of cookbookExpectations.pam ?? []) {
    it(`PAM service ${hand.service}: every hand-written case, same outcome`, () => {
      const mine = oracle.pam?.find((p) => p.service === hand.service);
      expect(mine, `oracle has no service ${hand.service}`).toBeDefined();
      const keys = new Set(mine!.cases.map(caseKey));
      for (const c of hand.cases) expect(keys, `missing ${caseKey(c)}`).toContain(caseKey(c));
      const users = new Set(mine!.users?.map((u) => u.name));
      for (const u of hand.users ?? []) expect(users.has(u.name) || host.users.has(u.name), `user ${u.name}`).toBe(true);
    });
  }

  it("SMTP: same host, sockets and mechanisms; a superset of the recipients and tricks", () => {
    const hand = cookbookExpectations.smtp!;
    const mine = oracle.smtp!;
    expect(mine.hostName).toBe(hand.hostName);
    expect(mine.daemonPortOptions?.map(normalizeDaemonPortOptions)).toEqual(hand.daemonPortOptions?.map(normalizeDaemonPortOptions));
    expect([...mine.offeredMechanisms].sort()).toEqual([...hand.offeredMechanisms].sort());
    expect(mine.relayMechanisms).toEqual(expect.arrayContaining(hand.relayMechanisms));
    expect(mine.localRecipients).toEqual(expect.arrayContaining(hand.localRecipients));
    expect(mine.foreignRecipients).toEqual(expect.arrayContaining(hand.foreignRecipients));
    expect(mine.relayTricks).toEqual(expect.arrayContaining(hand.relayTricks));
    expect(mine.saslAccounts.map((a) => [a.user, a.realm])).toEqual(
      expect.arrayContaining(hand.saslAccounts.map((a) => [a.user, a.realm])),
    );
    expect(mine.login).toBe(hand.login);
    expect(mine.otherHostName).toBeDefined();
  });
});

/** A host with only root, as a minimal passwd/group. */
const bareHost: HostAccounts = {
  users: new Map([["root", { gid: 0, shell: "/bin/bash" }]]),
  groups: new Map([["root", { gid: 0, members: [] }]]),
};
const oracleFor = (text: string) => expectationsFor("test.policy", bareHost, new TextEncoder().encode(text));
const outcome = (p: PamExpectation, pred: (c: PamExpectation["cases"][number]) => boolean) => p.cases.filter(pred).map((c) => c.expect);

describe("oracle: pam_listfile semantics", () => {
  it("an unset rhost never matches: a deny list allows, an allow list denies, and neither reads the list file", () => {
    const [deny] = oracleFor('platform debian; service s { acl rhost deny "/etc/d" { entries h1; } }').pam!;
    expect(outcome(deny!, (c) => c.rhost === undefined && !c.file && c.user !== "root" && c.user !== "e2e-ghost")).toEqual(["allow"]);
    expect(outcome(deny!, (c) => c.rhost === undefined && c.file?.state === "missing")).toEqual(["allow"]);
    expect(outcome(deny!, (c) => c.rhost === "h1")).toEqual(["deny"]);
    const [allow] = oracleFor('platform debian; service s { acl rhost allow "/etc/a" { entries h1; } }').pam!;
    expect(outcome(allow!, (c) => c.rhost === undefined && !c.file)).toEqual(["deny"]);
    expect(outcome(allow!, (c) => c.rhost === "H1")).toEqual(["deny"]);
  });

  it("apply=@group: users outside the group are not restricted, even when the list file is missing", () => {
    const [p] = oracleFor('platform redhat; service login { template local; acl tty allow "/etc/t" { apply @ops; entries tty1; } }').pam!;
    const outsider = p!.users!.find((u) => !u.groups?.includes("ops"))!.name;
    expect(new Set(outcome(p!, (c) => c.user === outsider))).toEqual(new Set(["allow"]));
    expect(outcome(p!, (c) => c.user !== outsider && c.tty === "tty63")).toEqual(["deny"]);
    expect(outcome(p!, (c) => c.user !== outsider && c.tty === "/dev/tty1" && !c.file)).toEqual(["allow"]);
  });

  it("onerr: a missing list is an error with fail, a pass with succeed; a world-writable one is refused either way", () => {
    const [fail] = oracleFor('platform debian; service s { acl user allow "/etc/u" { entries alice; } }').pam!;
    expect(outcome(fail!, (c) => c.user === "alice" && c.file?.state === "missing")).toEqual(["error"]);
    const [succeed] = oracleFor('platform debian; service s { acl user allow "/etc/u" { entries alice; onerr succeed; } }').pam!;
    expect(outcome(succeed!, (c) => c.user === "alice" && c.file?.state === "missing")).toEqual(["allow"]);
    expect(outcome(succeed!, (c) => c.file?.state === "world-writable")).toEqual(["deny"]);
  });

  it("the first failing line decides: a deny before an error is a deny", () => {
    const [p] = oracleFor(
      'platform debian; service s { acl user allow "/etc/u" { entries alice; } acl rhost deny "/etc/h" { entries bad; } }',
    ).pam!;
    const unlisted = p!.cases.find((c) => c.why?.startsWith("user allow: not listed"))!.user;
    // A user the first list refuses never reaches the second list's missing file.
    const c = { user: unlisted, file: { path: "/etc/h", state: "missing" as const }, rhost: "e2e-elsewhere.example.test" };
    expect(p!.cases.map(caseKey)).not.toContain(caseKey({ ...c, expect: "error" }));
    expect(
      outcome(p!, (x) => x.user === "alice" && x.file?.path === "/etc/h" && x.file.state === "missing" && x.rhost !== undefined),
    ).toEqual(["error"]);
  });

  it("a shell list uses the login shell", () => {
    const [p] = oracleFor('platform debian; service s { acl shell allow "/etc/s" { entries /bin/sh; } }').pam!;
    const sh = p!.users!.find((u) => u.shell === "/bin/sh")!.name;
    expect(outcome(p!, (c) => c.user === sh && !c.file)).toEqual(["allow"]);
    const nologin = p!.users!.find((u) => u.shell === "/usr/sbin/nologin")!.name;
    expect(outcome(p!, (c) => c.user === nologin && !c.file)).toEqual(["deny"]);
  });
});

describe("oracle: relay networks", () => {
  it("picks the first and last hosts inside each network and addresses just outside it", () => {
    expect(relayNetworkClients(["198.51.100.0/23"])).toEqual([
      { address: "198.51.100.1", expect: "relay" },
      { address: "198.51.101.254", expect: "relay" },
      { address: "198.51.99.254", expect: "deny" },
      { address: "198.51.102.1", expect: "deny" },
    ]);
  });
});

describe("oracle: includes and host blocks", () => {
  const files: Record<string, string> = {
    "/p/main.policy":
      'platform debian;\ninclude "lists/staff.policy";\nservice sshd { acl user allow "/etc/u" { entries $staff; } }\nhost a { service imap { acl user allow "/etc/i" { entries $more; } } }\nhost b { mail { domain b.example.test; listen smtp; } }\n',
    "/p/lists/staff.policy": 'users staff = alice;\ninclude "more.policy";\n',
    "/p/lists/more.policy": "users more = $staff, bob;\n",
  };
  const read = (p: string) => {
    if (!(p in files)) throw new Error(`no such file ${p}`);
    return new TextEncoder().encode(files[p]!);
  };
  const trees = expectationsByHost("/p/main.policy", bareHost, read("/p/main.policy"), read);
  const users = (e: StackExpectations, service: string) =>
    new Set(
      e
        .pam!.find((p) => p.service === service)!
        .cases.filter((c) => c.expect === "allow")
        .map((c) => c.user),
    );

  it("one tree per host, in policy order", () => {
    expect(trees.map((t) => t.host)).toEqual(["a", "b"]);
  });

  it("includes resolve relative to the including file, lists across files", () => {
    const a = trees[0]!.expectations;
    expect(users(a, "sshd")).toEqual(new Set(["alice"]));
    expect(users(a, "imap")).toEqual(new Set(["alice", "bob"]));
  });

  it("a host gets the shared top level plus its own block, not the other hosts'", () => {
    const [a, b] = trees.map((t) => t.expectations);
    expect(a!.pam!.map((p) => p.service).sort()).toEqual(["imap", "sshd"]);
    expect(a!.smtp).toBeUndefined();
    expect(b!.pam!.map((p) => p.service)).toEqual(["sshd"]);
    expect(b!.smtp?.hostName).toBe("b.example.test");
  });

  it("a policy with hosts needs a host name; one without has a single tree", () => {
    expect(() => expectationsFor("/p/main.policy", bareHost, read("/p/main.policy"), read)).toThrow(/host blocks/);
    const one = expectationsByHost(
      "t.policy",
      bareHost,
      new TextEncoder().encode('platform debian; service s { acl user allow "/etc/u" { entries alice; } }'),
    );
    expect(one.map((t) => t.host)).toEqual([null]);
  });

  it("an include cycle or an include outside the folder is refused", () => {
    const cyc = (p: string) => new TextEncoder().encode(p.endsWith("x.policy") ? 'include "y.policy";' : 'include "x.policy";');
    expect(() => expectationsByHost("/q/x.policy", bareHost, cyc("/q/x.policy"), cyc)).toThrow(/cycle/);
    expect(() => expectationsByHost("/q/x.policy", bareHost, new TextEncoder().encode('include "../etc/p.policy";'), cyc)).toThrow(
      /outside/,
    );
  });
});

describe("oracle: auth options noplaintext (confAUTH_OPTIONS p)", () => {
  const mail = (extra: string) =>
    oracleFor(
      `platform debian; mail { domain mx.example.test; listen smtp; auth mechanisms ${extra}; auth options noplaintext; relay authenticated; accounts alice; }`,
    ).smtp!;

  it("PLAIN and LOGIN are withheld without TLS: not offered, AUTH refused with 503 when nothing is offered", () => {
    const s = mail("PLAIN, LOGIN");
    expect(s.offeredMechanisms).toEqual([]);
    expect(s.relayMechanisms).toEqual([]);
    expect(s.withheldMechanisms).toEqual(["PLAIN", "LOGIN"]);
    expect(s.withheldAuthReply).toBe(503);
    expect(s.tls).toBeUndefined();
  });

  it("504 when another mechanism is still offered", () => {
    const s = mail("PLAIN, CRAM-MD5");
    expect(s.offeredMechanisms).toEqual(["CRAM-MD5"]);
    expect(s.withheldMechanisms).toEqual(["PLAIN"]);
    expect(s.withheldAuthReply).toBe(504);
  });

  it("with a certificate and key they are offered and trusted after STARTTLS, at the policy's paths", () => {
    const s = oracleFor(
      "platform debian; mail { domain mx.example.test; listen smtp; tls certificate /etc/ssl/c.pem; tls key /etc/ssl/k.key; auth mechanisms PLAIN, LOGIN; auth options noplaintext; relay authenticated PLAIN; accounts alice; }",
    ).smtp!;
    expect(s.offeredMechanisms).toEqual([]);
    expect(s.tls).toEqual({
      files: { certificate: "/etc/ssl/c.pem", key: "/etc/ssl/k.key" },
      offeredMechanisms: ["PLAIN", "LOGIN"],
      relayMechanisms: ["PLAIN"],
      untrustedMechanisms: ["LOGIN"],
    });
  });
});
