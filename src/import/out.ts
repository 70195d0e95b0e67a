/** What import makes of a host, before it is written as policy text (policy.ts). */

export interface AclOut {
  item: string;
  sense: string;
  file: string;
  onerr: string;
  apply?: string;
  quiet: boolean;
  /** The list file's entries; undefined when it could not be read (the policy then has no `entries`). */
  entries?: string[];
  /** Comments for the policy above the acl (why entries are missing, ...). */
  comments: string[];
}

export type StackOut = { kind: "line"; text: string } | { kind: "acls" } | { kind: "comment"; text: string };

export interface ServiceOut {
  name: string;
  pam: string;
  template?: string;
  stack?: StackOut[];
  acls: AclOut[];
  /** Comments at the start of the block. */
  comments: string[];
}

export interface MailOut {
  /** Settings as policy text (without the ';'), each with comments above it. */
  settings: { text: string; comments: string[] }[];
  /** Comments at the start of the block (what was not represented). */
  comments: string[];
}

export interface HostOut {
  platform: string;
  comments: string[];
  services: ServiceOut[];
  mail?: MailOut;
}
