/**
 * Hand-written, as a cross-check of the oracle (oracle.ts): oracle.test.ts
 * requires the oracle's expectations for examples/cookbook.policy to include
 * every case here (examples.e2e.test.ts then runs them on the real stack).
 *
 * What the tree for examples/cookbook.policy must do on the real stack:
 *   platform debian; users alice,bob may use service imap (PAM "imap",
 *   pam_listfile item=user sense=allow file=/etc/imapd.acl onerr=fail);
 *   mail domain mx.example.test; listen on smtp on all interfaces;
 *   AUTH DIGEST-MD5 CRAM-MD5 offered and trusted for relaying;
 *   SASL account mailman (sasldb).
 */
import type { StackExpectations } from "./stack-suite.js";

const ACL = "/etc/imapd.acl";

export const cookbookExpectations: StackExpectations = {
  pam: [
    {
      service: "imap",
      users: [{ name: "alice" }, { name: "bob" }, { name: "carol" }],
      cases: [
        { user: "alice", expect: "allow" },
        { user: "bob", expect: "allow" },
        { user: "carol", expect: "deny", why: "in passwd, not in the list" },
        { user: "root", expect: "deny", why: "not in the list" },
        // onerr=fail: pam_listfile returns PAM_SERVICE_ERR ("Error in service module"): a refusal.
        { user: "alice", file: { path: ACL, state: "missing" }, expect: "error", why: "onerr=fail" },
        { user: "bob", file: { path: ACL, state: "missing" }, expect: "error", why: "onerr=fail" },
        { user: "alice", file: { path: ACL, state: "world-writable" }, expect: "deny", why: "pam_listfile refuses it" },
        { user: "alice", file: { path: ACL, state: "symlink" }, expect: "deny", why: "pam_listfile lstat()s the list" },
      ],
    },
  ],
  smtp: {
    hostName: "mx.example.test",
    daemonPortOptions: ["Port=smtp, Name=MTA"],
    saslAccounts: [{ user: "mailman", realm: "mx.example.test", password: "e2e-Secret-1" }],
    login: "mailman@mx.example.test",
    offeredMechanisms: ["DIGEST-MD5", "CRAM-MD5"],
    relayMechanisms: ["DIGEST-MD5", "CRAM-MD5"],
    localRecipients: ["postmaster@mx.example.test"],
    foreignRecipients: ["someone@foreign.example"],
    relayTricks: [
      "user%foreign.example@mx.example.test",
      "foreign.example!user@mx.example.test",
      '"user@foreign.example"@mx.example.test',
      "@mx.example.test:user@foreign.example",
    ],
    otherHostName: "e2e-host.harness.test",
  },
};
