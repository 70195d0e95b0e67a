import { readFileSync } from "node:fs";
import type { TestGroup, TestUser } from "../stack.js";

// ---------------------------------------------------------------------------
// Accounts: the host's passwd/group (the sandbox is a copy of /etc) plus test users
// ---------------------------------------------------------------------------

export interface HostAccounts {
  users: Map<string, { gid: number; shell: string }>;
  groups: Map<string, { gid: number; members: string[] }>;
}

/** Read passwd and group of an /etc directory (default: this host's, which the sandboxes copy). */
export function readHostAccounts(etc = "/etc"): HostAccounts {
  const lines = (f: string) =>
    readFileSync(`${etc}/${f}`, "utf8")
      .split("\n")
      .filter((l) => l && !l.startsWith("#"));
  const users = new Map<string, { gid: number; shell: string }>();
  for (const l of lines("passwd")) {
    const f = l.split(":");
    users.set(f[0]!, { gid: Number(f[3]), shell: f[6] ?? "" });
  }
  const groups = new Map<string, { gid: number; members: string[] }>();
  for (const l of lines("group")) {
    const f = l.split(":");
    groups.set(f[0]!, { gid: Number(f[2]), members: f[3] ? f[3].split(",") : [] });
  }
  return { users, groups };
}

/** The account database a PAM sandbox will have: the host's plus the test users and groups (as stack.ts adds them). */
export class Accounts {
  private readonly users = new Map<string, { gid: number; shell: string }>();
  private readonly groups = new Map<string, { gid: number; members: Set<string> }>();
  private fresh = -1;

  constructor(host: HostAccounts, testUsers: readonly TestUser[], testGroups: readonly TestGroup[]) {
    for (const [n, u] of host.users) this.users.set(n, { ...u });
    for (const [n, g] of host.groups) this.groups.set(n, { gid: g.gid, members: new Set(g.members) });
    const ensure = (name: string) => {
      let g = this.groups.get(name);
      if (!g) this.groups.set(name, (g = { gid: this.fresh--, members: new Set() }));
      return g;
    };
    for (const g of testGroups) ensure(g.name);
    for (const u of testUsers) this.users.set(u.name, { gid: ensure(u.name).gid, shell: u.shell ?? "/bin/bash" });
    for (const u of testUsers) for (const g of u.groups ?? []) ensure(g).members.add(u.name);
    for (const g of testGroups) for (const m of g.members ?? []) ensure(g.name).members.add(m);
  }

  exists(user: string): boolean {
    return this.users.has(user);
  }

  shell(user: string): string | undefined {
    return this.users.get(user)?.shell;
  }

  /** pam_modutil_user_in_group_nam_nam: primary gid or member list; false when either is unknown. */
  inGroup(user: string, group: string): boolean {
    const u = this.users.get(user);
    const g = this.groups.get(group);
    if (!u || !g) return false;
    return u.gid === g.gid || g.members.has(user);
  }
}
