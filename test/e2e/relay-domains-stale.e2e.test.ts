/**
 * README "Generated files": sendmail.cf always reads class R from
 * /etc/mail/relay-domains and lets every host listed there relay, "so the
 * policy owns it and a stale copy on the host cannot open the relay". Here a
 * host (a copy of /etc/mail, used as /etc/mail in a private mount and UTS namespace)
 * has a stale relay-domains naming elsewhere.example; the built tree is laid
 * over it as a deploy would, the .cf and access.db are made as on the host,
 * and the real sendmail -bt runs check_rcpt for a foreign client: refused.
 * The control keeps the stale file (the tree without its relay-domains):
 * there the same request relays, so the test can tell the two apart.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers.js";
import { CF_M4, requireTools, skipBanner } from "./stack.js";

const missing = requireTools(["mount-namespace", "sendmail", "m4", "makemap", `file:${CF_M4.debian}`]);
if (missing.length > 0) console.warn(skipBanner("stale /etc/mail/relay-domains on the host (real sendmail -bt)", missing));

const POLICY = "platform debian;\nmail {\n  domain mx.example.test;\n  listen smtp;\n}\n";
const PATH = `${process.env.PATH}:/usr/sbin:/sbin`;

let work = "";
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** A host's /etc/mail: this machine's with a stale relay-domains, the tree's laid over it (all of it, or all but relay-domains), the .cf and access.db made. */
function host(name: string, tree: string, layRelayDomains: boolean): string {
  const mail = join(work, name);
  cpSync("/etc/mail", mail, { recursive: true, verbatimSymlinks: true });
  writeFileSync(join(mail, "relay-domains"), "elsewhere.example\n");
  cpSync(join(tree, "etc/mail"), mail, {
    recursive: true,
    filter: (src) => layRelayDomains || !src.endsWith("/relay-domains"),
  });
  const make = spawnSync("sh", ["-c", "m4 sendmail.mc > sendmail.cf && makemap hash access < access"], {
    cwd: mail,
    encoding: "utf8",
    env: { ...process.env, PATH },
  });
  if (make.status !== 0) throw new Error(`m4/makemap on ${name}: ${make.stderr}`);
  return mail;
}

/** check_rcpt's last answer for a foreign client sending to victim@elsewhere.example, with the host's /etc/mail. */
function foreignRelay(mail: string): string {
  const script = [
    ".D{client_addr}198.51.100.7",
    ".D{client_name}c.example.org",
    ".D{client_resolve}OK",
    ".D{auth_type}",
    ".Df",
    ".D{mail_from}<>",
    "check_rcpt <victim@elsewhere.example>",
    "",
  ].join("\n");
  // A private mount namespace (the host's /etc/mail) and UTS namespace (a qualified name: no 60 s pause).
  const inHost = 'mount --bind "$0" /etc/mail && hostname mx.example.test && exec "$@"';
  const sendmail = ["sendmail", "-bt", "-C", "/etc/mail/sendmail.cf", "-O", "DontProbeInterfaces=true"];
  const r = spawnSync("unshare", ["-mu", "--propagation=private", "sh", "-c", inHost, mail, ...sendmail], {
    input: script,
    encoding: "utf8",
    env: { ...process.env, PATH },
    timeout: 60_000,
  });
  const answer = /^check_rcpt\s+returns:(.*)$/m.exec(r.stdout)?.[1];
  if (answer === undefined) throw new Error(`no answer from sendmail -bt: ${r.stdout} ${r.stderr}`);
  return answer.trim();
}

describe.skipIf(missing.length > 0)('a stale /etc/mail/relay-domains on the host (README "Generated files")', () => {
  let tree = "";
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "policyc-relay-domains-"));
    writeFileSync(join(work, "p.policy"), POLICY);
    tree = join(work, "out");
    const b = runCli(["build", join(work, "p.policy"), "-o", tree, "-q"]);
    if (b.status !== 0) throw new Error(`build: ${b.stderr}`);
  });

  it("is replaced by the tree's empty one: a foreign client cannot relay to the domain it named", () => {
    expect(foreignRelay(host("deployed", tree, true))).toMatch(/^\$# error .*Relaying denied/);
  });

  it("(control) kept, it would open the relay to that domain", () => {
    expect(foreignRelay(host("stale", tree, false))).not.toMatch(/\$# (error|discard)/);
  });
});
