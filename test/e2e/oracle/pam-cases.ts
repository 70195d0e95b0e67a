import type { PamExpectation } from "../stack-suite.js";
import type { PamCase, TestGroup, TestUser } from "../stack.js";
import { Item, PolicyMeaning, ServiceMeaning } from "./meaning.js";
import { Accounts, HostAccounts } from "./accounts.js";
import { evaluate, stripDev } from "./evaluate.js";

// ---------------------------------------------------------------------------
// PAM cases
// ---------------------------------------------------------------------------

/** Names for test users who are on no list (readable, and what the hand-written cookbook cases use). */
const NAME_POOL = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "oscar"];
const USER_RE = /^[a-z_][a-z0-9_.-]*$/;
const GROUP_RE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
/** A user that is in no passwd: pam_unix refuses it. */
export const GHOST = "e2e-ghost";

interface Profile {
  groups: string[];
  shell: string;
}

export function pamExpectation(svc: ServiceMeaning, policy: PolicyMeaning, host: HostAccounts): PamExpectation {
  const acls = svc.account.flatMap((s) => (s.kind === "acl" ? [s.acl] : []));
  const of = (item: Item, sense?: "allow" | "deny") => acls.filter((a) => a.item === item && (!sense || a.sense === sense));
  const deniedBy = (item: Item, v: string) =>
    of(item, "deny").some((a) => a.entries.some((e) => (item === "tty" ? stripDev(e) === stripDev(v) : e === v)));

  const testUsers = new Map<string, TestUser>();
  const onHost = (n: string) => host.users.has(n);
  const used = new Set<string>([...policy.userNames, GHOST]);
  const freshName = (prefix?: string): string => {
    if (!prefix) {
      const n = NAME_POOL.find((p) => !used.has(p) && !onHost(p));
      if (n) {
        used.add(n);
        return n;
      }
      prefix = "e2e-user";
    }
    for (let i = 1; ; i++) {
      const n = i === 1 ? prefix : `${prefix}${i}`;
      if (!used.has(n) && !onHost(n)) {
        used.add(n);
        return n;
      }
    }
  };
  /** Register a test user (unless the host has it, or the name cannot be an account: then it stays absent). */
  const account = (name: string, p: Profile): string => {
    used.add(name);
    if (onHost(name) || !USER_RE.test(name) || name === GHOST) return name;
    const prev = testUsers.get(name);
    if (prev) {
      if (JSON.stringify(prev.groups) !== JSON.stringify(p.groups) || prev.shell !== p.shell) {
        throw new Error(`oracle bug: test user ${name} needed with two profiles`);
      }
      return name;
    }
    testUsers.set(name, { name, groups: [...p.groups], shell: p.shell });
    return name;
  };

  // Baseline: a user and items that pass every list when that is possible.
  const groupDenied = (g: string) => deniedBy("group", g);
  const baseGroups: string[] = [];
  for (const a of of("group", "allow")) {
    const g = a.entries.find((e) => GROUP_RE.test(e) && !groupDenied(e));
    if (g && !baseGroups.includes(g)) baseGroups.push(g);
  }
  for (const a of acls) {
    if (a.apply?.kind === "group" && GROUP_RE.test(a.apply.name) && !groupDenied(a.apply.name) && !baseGroups.includes(a.apply.name)) {
      baseGroups.push(a.apply.name);
    }
  }
  const shellAllow = of("shell", "allow");
  const shellOk = (s: string) => !deniedBy("shell", s) && shellAllow.every((a) => a.entries.includes(s));
  const baseShell = [...(shellAllow[0]?.entries ?? []), "/bin/bash", "/bin/sh"].find((s) => shellOk(s) && !s.includes(":")) ?? "/bin/bash";
  const base: Profile = { groups: baseGroups, shell: baseShell };
  const userAllow = of("user", "allow");
  let baseName: string;
  if (userAllow.length > 0) {
    const candidates = userAllow[0]!.entries.filter(
      (u) => userAllow.every((a) => a.entries.includes(u)) && !deniedBy("user", u) && USER_RE.test(u),
    );
    baseName = candidates.find((u) => !onHost(u)) ?? candidates[0] ?? freshName();
  } else {
    baseName = freshName();
  }
  account(baseName, base);
  const baseItem = (item: "rhost" | "tty" | "ruser"): string | undefined => of(item, "allow")[0]?.entries.find((e) => !deniedBy(item, e));
  const baseItems = { rhost: baseItem("rhost"), tty: baseItem("tty"), ruser: baseItem("ruser") };

  const cases: PamExpectation["cases"] = [];
  const seen = new Set<string>();
  const add = (c: PamCase, note: string) => {
    const clean: PamCase = { user: c.user };
    if (c.rhost !== undefined) clean.rhost = c.rhost;
    if (c.tty !== undefined) clean.tty = c.tty;
    if (c.ruser !== undefined) clean.ruser = c.ruser;
    if (c.file) clean.file = c.file;
    const key = JSON.stringify(clean);
    if (seen.has(key)) return;
    seen.add(key);
    cases.push({ ...clean, expect: "allow", why: note });
  };
  const withBase = (user: string, over: Partial<PamCase> = {}): PamCase => ({ user, ...baseItems, ...over });

  add(withBase(baseName), "baseline");
  add(withBase("root"), "system account");
  add(withBase(GHOST), "not in passwd");

  const unlistedUser = () => account(freshName(), base);
  let acln = 0;
  for (const a of acls) {
    acln++;
    const tag = `${a.item} ${a.sense}`;
    /** The user this list restricts (apply target), and one it does not. */
    let target = baseName;
    let nonTarget: string | undefined;
    if (a.apply?.kind === "user") {
      target = account(a.apply.name, base);
      nonTarget = target === baseName ? account(freshName(), base) : baseName;
    } else if (a.apply?.kind === "group") {
      const g = a.apply.name;
      nonTarget = account(freshName(`e2e-not-${g}`.slice(0, 30)), { ...base, groups: base.groups.filter((x) => x !== g) });
    }
    /** A value of the item that passes this list, and one that does not (for file breakage cases). */
    const unlisted = (cands: string[]) =>
      cands.find((v) => !a.entries.some((e) => (a.item === "tty" ? stripDev(e) === stripDev(v) : e === v)))!;
    let passing: PamCase | undefined;

    switch (a.item) {
      case "user": {
        const reps: string[] = [];
        for (const v of a.entries) {
          const u = account(v, base);
          add(withBase(u), `${tag}: listed`);
          reps.push(u);
        }
        const stranger = unlistedUser();
        add(withBase(stranger), `${tag}: not listed`);
        // File breakage: for an allow list, every listed user (they would pass); for a deny list, an unlisted one.
        const breakers = a.sense === "allow" ? reps : [stranger];
        for (const u of breakers) add(withBase(u, { file: { path: a.file, state: "missing" } }), `${tag}: list file missing`);
        passing = withBase(breakers[0] ?? baseName);
        break;
      }
      case "ruser": {
        for (const v of a.entries) add(withBase(baseName, { ruser: v }), `${tag}: listed`);
        const other = unlisted(["e2e-remote", "e2e-remote2", "nobody-else"]);
        add(withBase(baseName, { ruser: other }), `${tag}: not listed`);
        add({ ...withBase(baseName), ruser: undefined }, `${tag}: ruser unset`);
        passing = withBase(baseName, { ruser: a.sense === "allow" ? a.entries[0] : other });
        break;
      }
      case "group": {
        let i = 0;
        for (const g of a.entries) {
          if (!GROUP_RE.test(g)) continue;
          const groups = [...base.groups.filter((x) => !a.entries.includes(x)), g];
          add(withBase(account(freshName(`e2e-grp${acln}-${++i}`), { ...base, groups })), `${tag}: member of ${g}`);
        }
        const none = account(freshName(`e2e-grp${acln}-none`), { ...base, groups: base.groups.filter((x) => !a.entries.includes(x)) });
        add(withBase(none), `${tag}: member of no listed group`);
        passing = withBase(a.sense === "allow" ? baseName : none);
        break;
      }
      case "shell": {
        const tgtGroups = base.groups;
        const mk = (shell: string, label: string) => account(freshName(`e2e-sh${acln}-${label}`), { groups: tgtGroups, shell });
        let i = 0;
        let firstListed: string | undefined;
        for (const s of a.entries) {
          if (s.includes(":") || s.includes("\n")) continue;
          const u = a.apply?.kind === "user" ? target : mk(s, String(++i));
          firstListed ??= u;
          add(withBase(u), `${tag}: login shell ${s}`);
        }
        const other = unlisted(["/usr/sbin/nologin", "/bin/false", "/bin/e2e-shell"]);
        const otherUser = mk(other, "other");
        add(withBase(otherUser), `${tag}: login shell ${other} not listed`);
        // No case for an empty shell field: Linux-PAM >= 1.6 reads it as /bin/sh, 1.5 (Debian 12) as "" (matches nothing).
        if (nonTarget && a.apply?.kind === "group") {
          const out = account(freshName(`e2e-sh${acln}-out`), { groups: base.groups.filter((x) => x !== a.apply!.name), shell: other });
          add(withBase(out), `${tag}: not an apply target, unlisted shell`);
          add(withBase(out, { file: { path: a.file, state: "missing" } }), `${tag}: not an apply target, list file missing`);
        }
        passing = withBase(a.sense === "allow" ? (firstListed ?? target) : otherUser);
        break;
      }
      case "rhost":
      case "tty": {
        const item = a.item;
        const set = (user: string, v: string | undefined) => withBase(user, { [item]: v });
        for (const v of a.entries) {
          add(set(target, v), `${tag}: listed`);
          if (item === "tty") add(set(target, v.startsWith("/dev/") ? stripDev(v) : `/dev/${v}`), `${tag}: listed (/dev/ is stripped)`);
          if (item === "rhost" && /[a-z]/.test(v) && !a.entries.includes(v.toUpperCase())) {
            add(set(target, v.toUpperCase()), `${tag}: matching is exact (no case folding)`);
          }
        }
        const others = item === "tty" ? ["tty63", "pts/63", "ttyS9"] : ["e2e-elsewhere.example.test", "198.51.100.250", "2001:db8::250"];
        const other = unlisted(others);
        add(set(target, other), `${tag}: not listed`);
        add(set(target, undefined), `${tag}: ${item} unset`);
        if (nonTarget) {
          add(set(nonTarget, other), `${tag}: not an apply target`);
          add(set(nonTarget, undefined), `${tag}: not an apply target, ${item} unset`);
          add({ ...set(nonTarget, other), file: { path: a.file, state: "missing" } }, `${tag}: not an apply target, list file missing`);
        }
        passing = set(target, a.sense === "allow" ? a.entries[0] : other);
        // An unset item is decided before the list file is read.
        add({ ...set(target, undefined), file: { path: a.file, state: "missing" } }, `${tag}: ${item} unset, list file missing`);
        break;
      }
    }
    if (passing) {
      add({ ...passing, file: { path: a.file, state: "missing" } }, `${tag}: list file missing`);
      add({ ...passing, file: { path: a.file, state: "world-writable" } }, `${tag}: list file world-writable`);
      add({ ...passing, file: { path: a.file, state: "symlink" } }, `${tag}: list file is a symlink`);
    }
  }

  const users = [...testUsers.values()];
  const groupNames = new Set<string>();
  for (const a of acls) {
    if (a.item === "group") a.entries.filter((g) => GROUP_RE.test(g)).forEach((g) => groupNames.add(g));
    if (a.apply?.kind === "group" && GROUP_RE.test(a.apply.name)) groupNames.add(a.apply.name);
  }
  const groups: TestGroup[] = [...groupNames].map((name) => ({ name }));
  const db = new Accounts(host, users, groups);
  for (const c of cases) {
    const r = evaluate(svc.account, c, db);
    c.expect = r.expect;
    c.why = `${c.why}: ${r.why}`;
  }
  return { service: svc.pamService, users, groups, cases };
}
