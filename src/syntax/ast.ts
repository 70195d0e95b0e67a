/**
 * The policy AST. Every node is `{ kind, loc, ... }` and is made only by the
 * builders in build.ts. Locations are UTF-16 offsets into the source text;
 * SourceFile maps them to lines and columns.
 *
 * A node's `loc` holds every location of it: its whole span (`start`, `end`)
 * and, for the tokens that are no nodes of their own, where they are: a
 * block's keyword and braces (BlockLoc), a statement's keyword (KeywordLoc),
 * a setting's ";" (SettingLoc). So a diagnostic about a block points at its
 * keyword with `node.loc.keyword`, and nothing re-scans the text to find a
 * brace. These are computed from offsets the span stores (build.ts), so they
 * cost no object per node. Tools that compare ASTs without positions drop
 * `loc` and with it every location. The children of each node kind are
 * listed in visit.ts.
 */

export interface Loc {
  start: number;
  end: number;
}

/** The locations of a statement that starts with a keyword: `platform`, `include`, a list's kind word. */
export interface KeywordLoc extends Loc {
  readonly keyword: Loc;
}

/** The locations of a block: its keyword (`service`, `mail`, `acl`, ...), its "{" and its "}". */
export interface BlockLoc extends Loc {
  readonly keyword: Loc;
  readonly open: Loc;
  readonly close: Loc;
}

/** The locations of a setting: its ";" (its name is the node `name`). */
export interface SettingLoc extends Loc {
  readonly semi: Loc;
}

/** A bare word: a name, a keyword argument, or a literal such as a user name or a path. */
export interface Word {
  kind: "Word";
  value: string;
  loc: Loc;
}

/** A double-quoted string; `value` has its escapes decoded, `raw` is as written. */
export interface Str {
  kind: "String";
  value: string;
  raw: string;
  loc: Loc;
}

/**
 * A list reference, `$staff`: the only way to name a list where values
 * stand. `value` is the text as written (with its "$"), so that code that
 * expects a literal sees something no name check accepts; `name` is the list.
 */
export interface Ref {
  kind: "Ref";
  name: string;
  value: string;
  loc: Loc;
}

/** A list or setting value. Bare words and strings are always literals; only a Ref names a list. */
export type Value = Word | Str | Ref;

/** A `[ ... ]` token of a PAM stack line (control or argument), as written. */
export interface Bracket {
  kind: "Bracket";
  raw: string;
  loc: Loc;
}

/** `key=value` argument of a PAM module in a custom stack. */
export interface KeyValue {
  kind: "KeyValue";
  key: Word;
  value: Value;
  loc: Loc;
}

export type StackArg = Value | Bracket | KeyValue;

export interface Comment {
  kind: "Comment";
  /** The whole comment including its `#`. */
  text: string;
  loc: Loc;
}

/** `platform debian;` */
export interface Platform {
  kind: "Platform";
  name: Word;
  loc: KeywordLoc;
}

export const LIST_KINDS = ["users", "groups", "hosts", "networks", "ttys", "shells", "domains"] as const;
export type ListKind = (typeof LIST_KINDS)[number];

/** `users mail_staff = alice, bob;` */
export interface ListDef {
  kind: "ListDef";
  listKind: ListKind;
  name: Word;
  values: Value[];
  loc: KeywordLoc;
}

/** `NAME;`, `NAME values;` or `NAME SUB values;` inside a block, e.g. `relay domains partners;`. */
export interface Setting {
  kind: "Setting";
  name: Word;
  sub: Word | null;
  values: Value[];
  loc: SettingLoc;
}

/** `service imap { ... }` */
export interface Service {
  kind: "Service";
  name: Word;
  items: ServiceItem[];
  loc: BlockLoc;
}

export type ServiceItem = Setting | Stack | Acl;

/** `stack { ... }`: a custom PAM stack replacing the platform's template. */
export interface Stack {
  kind: "Stack";
  lines: StackEntry[];
  loc: BlockLoc;
}

export type StackEntry = StackLine | StackAcls;

/** `auth required pam_env.so readenv=1;` */
export interface StackLine {
  kind: "StackLine";
  type: Word;
  control: Word | Bracket;
  module: Word;
  args: StackArg[];
  loc: Loc;
}

/** `account acls;`: where the access lists go in a custom stack. */
export interface StackAcls {
  kind: "StackAcls";
  type: Word;
  marker: Word;
  loc: Loc;
}

/** `acl user allow "/etc/imapd.acl" { ... }` */
export interface Acl {
  kind: "Acl";
  item: Word;
  sense: Word;
  file: Value;
  items: Setting[];
  loc: BlockLoc;
}

/** `mail { ... }` */
export interface Mail {
  kind: "Mail";
  items: MailItem[];
  loc: BlockLoc;
}

export type MailItem = Setting | Listen;

/** `listen submission { address 127.0.0.1; modifiers E, a; }` (`listen smtp;` is a Setting). */
export interface Listen {
  kind: "Listen";
  port: Value;
  items: Setting[];
  loc: BlockLoc;
}

/** `include "lists/staff.policy";`: the statements of another file, in place. */
export interface Include {
  kind: "Include";
  path: Str;
  loc: KeywordLoc;
}

/** `host mx1 { ... }`: statements for one host of several; the top level is shared by all. */
export interface Host {
  kind: "Host";
  name: Word;
  items: HostBodyItem[];
  loc: BlockLoc;
}

/** `expect allow sshd user root from 10.0.0.5;`: an assertion about what the built tree answers. */
export interface Expect {
  kind: "Expect";
  /** allow, deny (PAM) or accept, refuse (relay). */
  verdict: Word;
  /** A service, or `relay`. */
  subject: Word;
  clauses: ExpectClause[];
  loc: KeywordLoc;
}

/** One clause of an assertion: `user root`, `from 10.0.0.5`, `groups wheel, adm`. */
export interface ExpectClause {
  kind: "ExpectClause";
  key: Word;
  values: Value[];
  loc: Loc;
}

/** `role web { ... }`: statements that each host taking the role adds to its own (README "Roles"). */
export interface Role {
  kind: "Role";
  name: Word;
  items: HostItem[];
  loc: BlockLoc;
}

/** `role web, mail;` inside a host block: the roles the host takes, in order. */
export interface RoleUse {
  kind: "RoleUse";
  /** The role names, as written (a `$NAME` or a string here is refused, PC2202). */
  values: Value[];
  loc: KeywordLoc;
}

export type HostItem = Platform | ListDef | Service | Mail | Expect;

/** What a host or role block's body holds: statements, and `role A, B;` (only hosts may take roles). */
export type HostBodyItem = HostItem | RoleUse;

/** `inventory "hosts.ini";`: the hosts of an Ansible inventory, each taking the roles named like its groups. */
export interface Inventory {
  kind: "Inventory";
  path: Str;
  loc: KeywordLoc;
}

export type Statement = HostItem | Include | Host | Role | Inventory;

/** A whole policy file. */
export interface Policy {
  kind: "Policy";
  statements: Statement[];
  comments: Comment[];
  loc: Loc;
}

export type Node =
  | Policy
  | Include
  | Inventory
  | Host
  | Role
  | RoleUse
  | Statement
  | ExpectClause
  | Setting
  | Stack
  | StackEntry
  | Acl
  | Listen
  | Word
  | Str
  | Ref
  | Bracket
  | KeyValue
  | Comment;
