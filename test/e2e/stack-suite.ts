/**
 * Reusable vitest suite: given a way to produce a tree dir and an
 * expectations object, asserts the tree's behaviour on the REAL Linux-PAM and
 * sendmail (see stack.ts). Defines tests only when called.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CLIENT,
  PAM_TOOLS,
  SMTP_TOOLS,
  TLS_TOOLS,
  authCommands,
  ehloAuthMechanisms,
  expandMc,
  pamCases,
  requireTools,
  skipBanner,
  smtpProbe,
  smtpSession,
  startSendmail,
  type M4Result,
  type PamCase,
  type PamCaseResult,
  type PamResult,
  type Platform,
  type ProbeResult,
  type SaslAccount,
  type Sendmail,
  type SessionResult,
  type SmtpReply,
  type SmtpProbe,
  type TestGroup,
  type TestUser,
  type TlsFiles,
} from "./stack.js";

/** A tree to test, and how to remove it afterwards. */
export interface PreparedTree {
  dir: string;
  cleanup(): Promise<void>;
}

/** One PAM service and the pamtester results its account stack must give. */
export interface PamExpectation {
  service: string;
  users?: TestUser[];
  groups?: TestGroup[];
  cases: Array<PamCase & { expect: PamResult; why?: string }>;
}

/** A listening socket of the daemon, as the probes reach it (address default 127.0.0.1). */
export interface SmtpSocket {
  port: number;
  address?: string;
}

/** What the generated sendmail files must do. */
export interface SmtpExpectation {
  /** Canonical host name of the test host (hosts file 127.0.1.1). */
  hostName: string;
  /**
   * The `O DaemonPortOptions=` values in the m4 output, in order, compared as
   * sendmail reads them: comma-separated key=value pairs, keys by their first
   * letter, ports smtp/submission/smtps as numbers, M= letters as a set;
   * `Name=*` matches any name. The daemon binds exactly these sockets.
   */
  daemonPortOptions?: string[];
  /** The socket for the probes without AUTH (default 127.0.0.1:25). */
  socket?: SmtpSocket;
  /** The socket for EHLO and AUTH probes (default: `socket`). */
  authSocket?: SmtpSocket;
  /** Sockets that require AUTH (M=a): MAIL without AUTH gets 530 5.7.0; after AUTH relaying works. */
  authRequired?: SmtpSocket[];
  /** Addresses the sockets bind to (added to the test namespace's lo before the daemon starts). */
  serverAddresses?: string[];
  /** The ordinary client's source address (default 127.0.0.2; must be in no relay network). */
  clientAddress?: string;
  /** Accounts to create in the sasldb; auth cases log in with the first one, the others relay once each. */
  saslAccounts: SaslAccount[];
  /** The login name swaks sends for saslAccounts[0] (e.g. user@realm). Required when relayMechanisms is not empty. */
  login?: string;
  /** Exactly these mechanisms in the EHLO AUTH line (compared as a set: the order is the SASL library's). */
  offeredMechanisms: string[];
  /** Each: AUTH succeeds (235) and then relaying to `relayTarget` is accepted (250). Wrong password: 535. */
  relayMechanisms: string[];
  /** Offered but not trusted for relaying: AUTH succeeds (235) and relaying is still refused (550 5.7.1). */
  untrustedMechanisms?: string[];
  /** The recipient the AUTH probes relay to (default foreignRecipients[0]). */
  relayTarget?: string;
  /** Accepted (250) at RCPT without AUTH from a non-local client. */
  localRecipients: string[];
  /** Refused without AUTH with 550 5.7.1 Relaying denied. */
  foreignRecipients: string[];
  /** Routing tricks that must be refused without AUTH (550 5.7.1). */
  relayTricks: string[];
  /** In a relay domain: accepted (250) without AUTH from a non-local client (access map To:). */
  relayDomainRecipients?: string[];
  /** Clients (source addresses) relaying to `relayTarget` without AUTH: 'relay' accepted (250), 'deny' refused (550 5.7.1). */
  relayNetworkClients?: Array<{ address: string; expect: "relay" | "deny" }>;
  /**
   * Mechanisms the policy configures but sendmail withholds while no security
   * layer is active (confAUTH_OPTIONS `p`): not in EHLO (offeredMechanisms
   * leaves them out), and an AUTH with them anyway (raw client: swaks sends
   * none the server did not offer) gets {@link withheldAuthReply} 5.3.3 on
   * every AUTH socket; relaying stays refused.
   */
  withheldMechanisms?: string[];
  /** 503 (no AUTH offered at all: "AUTH not available") or 504 ("AUTH mechanism X not available"). */
  withheldAuthReply?: 503 | 504;
  /**
   * STARTTLS (the policy's `tls certificate` and `tls key`): the harness
   * creates a throwaway certificate, key and CA file/folder at `files` (the
   * policy's paths, as a deployment would) and the probes run over STARTTLS
   * (openssl s_client). Without STARTTLS, EHLO offers STARTTLS and exactly
   * offeredMechanisms; after it, EHLO offers exactly these mechanisms on every
   * AUTH socket, relayMechanisms authenticate (235) and relay (250), a wrong
   * password gets 535, untrustedMechanisms authenticate and are refused
   * relaying, and authRequired sockets take mail only after AUTH.
   */
  tls?: { files: TlsFiles; offeredMechanisms: string[]; relayMechanisms: string[]; untrustedMechanisms?: string[] };
  /**
   * When set, a second daemon runs with this (different) canonical host name
   * and localRecipients must still be local: proves local-host-names is used,
   * not just the host's own name.
   */
  otherHostName?: string;
}

export interface StackExpectations {
  /** The tree's platform (default debian): Red Hat trees get Debian stand-ins (see stack.ts). */
  platform?: Platform;
  pam?: PamExpectation[];
  smtp?: SmtpExpectation;
}

/** What ran for one tree: pamtester cases and swaks probes (filled in as the tests run). */
export interface StackStats {
  pamCases: number;
  smtpProbes: number;
}

const BEFORE_ALL_MS = 60_000;
const TEST_MS = 30_000;
const PORT_NAMES: Record<string, string> = { smtp: "25", submission: "587", smtps: "465" };

/** A DaemonPortOptions value as sendmail reads it (see {@link SmtpExpectation.daemonPortOptions}). */
export function normalizeDaemonPortOptions(value: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of value.split(",")) {
    const i = part.indexOf("=");
    if (i < 0) continue;
    const key = part.slice(0, i).trim().charAt(0).toUpperCase();
    let v = part.slice(i + 1).trim();
    if (key === "P") v = PORT_NAMES[v] ?? v;
    if (key === "M") v = [...new Set(v)].sort().join("");
    out[key] = v;
  }
  return out;
}

/**
 * Define the e2e suite for one tree. `prepare` runs once (in beforeAll);
 * missing tools skip the tests loudly (or fail them with CI=true). Returns
 * counters of what actually ran.
 */
export function describeStack(title: string, prepare: () => Promise<PreparedTree>, exp: StackExpectations): StackStats {
  const stats: StackStats = { pamCases: 0, smtpProbes: 0 };
  const platform = exp.platform ?? "debian";
  const missingPam = exp.pam ? requireTools(PAM_TOOLS) : [];
  // openssl: the throwaway certificate and the STARTTLS client (only where the policy configures TLS).
  const missingSmtp = exp.smtp ? requireTools(exp.smtp.tls ? [...SMTP_TOOLS, ...TLS_TOOLS] : SMTP_TOOLS) : [];
  if (missingPam.length) console.warn(skipBanner(`${title}: PAM e2e tests`, missingPam));
  if (missingSmtp.length) console.warn(skipBanner(`${title}: sendmail e2e tests`, missingSmtp));

  const probe = async (sm: Sendmail, p: SmtpProbe): Promise<ProbeResult> => {
    stats.smtpProbes++;
    return smtpProbe(sm, p);
  };
  const ehlo = async (sm: Sendmail, p: Pick<SmtpProbe, "socket" | "client">): Promise<string[]> => {
    stats.smtpProbes++;
    return ehloAuthMechanisms(sm, p);
  };
  const session = async (sm: Sendmail, p: Parameters<typeof smtpSession>[1]): Promise<SessionResult> => {
    stats.smtpProbes++;
    return smtpSession(sm, p);
  };

  describe(title, () => {
    let tree: PreparedTree | undefined;
    const treeDir = () => {
      if (!tree) throw new Error("tree not prepared");
      return tree.dir;
    };
    beforeAll(async () => {
      tree = await prepare();
    }, BEFORE_ALL_MS);
    afterAll(async () => {
      await tree?.cleanup();
    });

    for (const pam of exp.pam ?? []) {
      describe.skipIf(missingPam.length > 0)(`PAM service ${pam.service} (pamtester acct_mgmt)`, () => {
        let results: PamCaseResult[] = [];
        beforeAll(async () => {
          results = await pamCases(treeDir(), pam.service, pam.cases, { users: pam.users, groups: pam.groups, platform });
          stats.pamCases += results.length;
        }, BEFORE_ALL_MS);
        pam.cases.forEach((c, i) => {
          it(`${describeCase(c)} -> ${c.expect}${c.why ? ` (${c.why})` : ""}`, () => {
            const r = results[i];
            if (!r) throw new Error(`e2e: no result for case ${i}`);
            expect(r.result, `pamtester said: ${r.output}`).toBe(c.expect);
          });
        });
      });
    }

    const smtp = exp.smtp;
    if (smtp) {
      describe.skipIf(missingSmtp.length > 0)("sendmail.mc (real m4)", () => {
        let m4: M4Result | undefined;
        const got = () => {
          if (!m4) throw new Error("m4 did not run");
          return m4;
        };
        beforeAll(async () => {
          m4 = await expandMc(join(treeDir(), "etc/mail/sendmail.mc"), platform);
        }, BEFORE_ALL_MS);

        it("m4 expands sendmail.mc with exit 0 and nothing on stderr", () => {
          expect(got().exitCode).toBe(0);
          expect(got().problems).toEqual([]);
          expect(got().stderr).toBe("");
        });

        if (smtp.daemonPortOptions) {
          const want = smtp.daemonPortOptions;
          it(`generated cf has DaemonPortOptions ${JSON.stringify(want)}`, () => {
            const lines = got()
              .cf.split("\n")
              .filter((l) => l.startsWith("O DaemonPortOptions="))
              .map((l) => normalizeDaemonPortOptions(l.slice("O DaemonPortOptions=".length)));
            const wanted = want
              .map(normalizeDaemonPortOptions)
              .map((w, i) => (w.N === "*" && lines[i] ? { ...w, N: lines[i]!.N ?? "*" } : w));
            expect(lines).toEqual(wanted);
          });
        }
      });

      const socket = smtp.socket ?? { port: 25 };
      const authSocket = smtp.authSocket ?? socket;
      const client = smtp.clientAddress ?? CLIENT.ip;
      const account = smtp.saslAccounts[0];
      const relayTarget = smtp.relayTarget ?? smtp.foreignRecipients[0];
      const netClients = smtp.relayNetworkClients ?? [];
      const sendmailOptions = (hostName: string) => ({
        hostName,
        platform,
        serverAddresses: smtp.serverAddresses,
        clientAddresses: [client, ...netClients.map((c) => c.address)],
        greetSocket: socket,
      });
      const login = () => {
        if (!smtp.login || !account) throw new Error("expectations give relay mechanisms but no login/account");
        return { user: smtp.login, password: account.password };
      };

      // The probes of one daemon run concurrently (each is its own SMTP session): the stock
      // Debian .mc's greet_pause makes every session wait 1 s for the greeting.
      describe.skipIf(missingSmtp.length > 0)(`sendmail daemon (swaks from ${client}, own network namespace)`, { concurrent: true }, () => {
        let sm: Sendmail | undefined;
        const server = () => {
          if (!sm) throw new Error("sendmail not started");
          return sm;
        };
        beforeAll(async () => {
          sm = await startSendmail(treeDir(), {
            ...sendmailOptions(smtp.hostName),
            saslAccounts: smtp.saslAccounts,
            tlsFiles: smtp.tls?.files,
          });
        }, BEFORE_ALL_MS);
        afterAll(async () => {
          await sm?.stop();
        }, 20_000);

        it(
          `EHLO on port ${authSocket.port} offers exactly AUTH ${smtp.offeredMechanisms.join(" ") || "(none)"}`,
          async () => {
            const got = await ehlo(server(), { socket: authSocket, client });
            expect([...got].sort()).toEqual([...smtp.offeredMechanisms].sort());
          },
          TEST_MS,
        );

        for (const to of smtp.localRecipients) {
          it(
            `local ${to} accepted without AUTH`,
            async () => {
              const r = await probe(server(), { to, socket, client });
              expect(r.rcpt?.code, r.transcript).toBe(250);
            },
            TEST_MS,
          );
        }

        for (const to of [...smtp.foreignRecipients, ...smtp.relayTricks]) {
          it(
            `relay to ${to} refused without AUTH (550 5.7.1 Relaying denied)`,
            async () => {
              const r = await probe(server(), { to, socket, client });
              expect(r.rcpt, r.transcript).toMatchObject({ code: 550, enhanced: "5.7.1" });
              expect(r.rcpt?.text, r.transcript).toMatch(/Relaying denied/);
            },
            TEST_MS,
          );
        }

        for (const to of smtp.relayDomainRecipients ?? []) {
          it(
            `relay domain recipient ${to} accepted without AUTH`,
            async () => {
              const r = await probe(server(), { to, socket, client });
              expect(r.mail?.code, r.transcript).toBe(250);
              expect(r.rcpt?.code, r.transcript).toBe(250);
            },
            TEST_MS,
          );
        }

        for (const c of netClients) {
          it(
            `client ${c.address} ${c.expect === "relay" ? "may relay" : "may not relay"} to ${relayTarget} without AUTH (relay networks)`,
            async () => {
              const r = await probe(server(), { to: relayTarget!, socket, client: c.address });
              expect(r.mail?.code, r.transcript).toBe(250);
              if (c.expect === "relay") expect(r.rcpt?.code, r.transcript).toBe(250);
              else {
                expect(r.rcpt, r.transcript).toMatchObject({ code: 550, enhanced: "5.7.1" });
                expect(r.rcpt?.text, r.transcript).toMatch(/Relaying denied/);
              }
            },
            TEST_MS,
          );
        }

        for (const mechanism of smtp.relayMechanisms) {
          it(
            `relay to ${relayTarget} accepted after AUTH ${mechanism} as ${smtp.login}`,
            async () => {
              const r = await probe(server(), { to: relayTarget!, socket: authSocket, client, auth: { mechanism, ...login() } });
              expect(r.auth?.code, r.transcript).toBe(235);
              expect(r.rcpt?.code, r.transcript).toBe(250);
            },
            TEST_MS,
          );

          it(
            `AUTH ${mechanism} with a wrong password refused (535), no relaying`,
            async () => {
              const l = login();
              const r = await probe(server(), {
                to: relayTarget!,
                socket: authSocket,
                client,
                auth: { mechanism, user: l.user, password: `${l.password}-wrong` },
              });
              expect(r.auth?.code, r.transcript).toBe(535);
              expect(r.rcpt?.code ?? 0, r.transcript).not.toBe(250);
            },
            TEST_MS,
          );
        }

        const firstMech = smtp.relayMechanisms[0];
        if (firstMech) {
          for (const a of smtp.saslAccounts.slice(1)) {
            const user = `${a.user}@${a.realm}`;
            it(
              `account ${user} may relay after AUTH ${firstMech}`,
              async () => {
                const r = await probe(server(), {
                  to: relayTarget!,
                  socket: authSocket,
                  client,
                  auth: { mechanism: firstMech, user, password: a.password },
                });
                expect(r.auth?.code, r.transcript).toBe(235);
                expect(r.rcpt?.code, r.transcript).toBe(250);
              },
              TEST_MS,
            );
          }
        }

        for (const mechanism of smtp.untrustedMechanisms ?? []) {
          it(
            `AUTH ${mechanism} succeeds but is not trusted: relay to ${relayTarget} refused`,
            async () => {
              const r = await probe(server(), { to: relayTarget!, socket: authSocket, client, auth: { mechanism, ...login() } });
              expect(r.auth?.code, r.transcript).toBe(235);
              expect(r.rcpt, r.transcript).toMatchObject({ code: 550, enhanced: "5.7.1" });
            },
            TEST_MS,
          );
        }

        const withheldSockets = uniqueSockets([authSocket, ...(smtp.authRequired ?? [])]);
        for (const mechanism of smtp.withheldMechanisms ?? []) {
          for (const s of withheldSockets) {
            const required = (smtp.authRequired ?? []).some((r) => sameSocket(r, s));
            it(
              `port ${s.port} without TLS: AUTH ${mechanism} refused (${smtp.withheldAuthReply} 5.3.3, withheld by AuthOptions p), ${required ? "MAIL refused (530 5.7.0)" : `relay to ${relayTarget} refused`}`,
              async () => {
                const l = login();
                const r = await session(server(), {
                  socket: s,
                  client,
                  commands: [
                    `EHLO ${CLIENT.name}`,
                    ...authCommands(mechanism, l.user, l.password),
                    `MAIL FROM:<${CLIENT.from}>`,
                    `RCPT TO:<${relayTarget}>`,
                    "QUIT",
                  ],
                });
                expect([...r.ehloAuth].sort(), r.transcript).toEqual([...smtp.offeredMechanisms].sort());
                expect(r.ehloStarttls, r.transcript).toBe(smtp.tls !== undefined);
                expect(step(r, /^AUTH /), r.transcript).toMatchObject({ code: smtp.withheldAuthReply, enhanced: "5.3.3" });
                if (required) expect(step(r, /^MAIL /), r.transcript).toMatchObject({ code: 530, enhanced: "5.7.0" });
                else {
                  expect(step(r, /^MAIL /)?.code, r.transcript).toBe(250);
                  expect(step(r, /^RCPT /), r.transcript).toMatchObject({ code: 550, enhanced: "5.7.1" });
                }
              },
              TEST_MS,
            );
          }
        }

        const tls = smtp.tls;
        if (tls) {
          const mail = [`MAIL FROM:<${CLIENT.from}>`, `RCPT TO:<${relayTarget}>`, "QUIT"];

          it(
            `port ${authSocket.port} without STARTTLS: EHLO offers STARTTLS and exactly AUTH ${smtp.offeredMechanisms.join(" ") || "(none)"}`,
            async () => {
              const r = await session(server(), { socket: authSocket, client, commands: [`EHLO ${CLIENT.name}`, "QUIT"] });
              expect(r.ehloStarttls, r.transcript).toBe(true);
              expect([...r.ehloAuth].sort(), r.transcript).toEqual([...smtp.offeredMechanisms].sort());
            },
            TEST_MS,
          );

          for (const s of uniqueSockets([authSocket, ...(smtp.authRequired ?? [])])) {
            it(
              `port ${s.port} after STARTTLS: EHLO offers exactly AUTH ${tls.offeredMechanisms.join(" ") || "(none)"}`,
              async () => {
                const r = await session(server(), { socket: s, client, tls: true, commands: [`EHLO ${CLIENT.name}`, "QUIT"] });
                expect(step(r, /^EHLO /)?.code, r.transcript).toBe(250);
                expect([...r.ehloAuth].sort(), r.transcript).toEqual([...tls.offeredMechanisms].sort());
              },
              TEST_MS,
            );
          }

          for (const mechanism of tls.relayMechanisms) {
            it(
              `after STARTTLS: relay to ${relayTarget} accepted after AUTH ${mechanism} as ${smtp.login}`,
              async () => {
                const l = login();
                const r = await session(server(), {
                  socket: authSocket,
                  client,
                  tls: true,
                  commands: [`EHLO ${CLIENT.name}`, ...authCommands(mechanism, l.user, l.password), ...mail],
                });
                expect(step(r, /^AUTH /, true)?.code, r.transcript).toBe(235);
                expect(step(r, /^RCPT /)?.code, r.transcript).toBe(250);
              },
              TEST_MS,
            );

            it(
              `after STARTTLS: AUTH ${mechanism} with a wrong password refused (535), no relaying`,
              async () => {
                const l = login();
                const r = await session(server(), {
                  socket: authSocket,
                  client,
                  tls: true,
                  commands: [`EHLO ${CLIENT.name}`, ...authCommands(mechanism, l.user, `${l.password}-wrong`), ...mail],
                });
                expect(step(r, /^AUTH /, true)?.code, r.transcript).toBe(535);
                expect(step(r, /^RCPT /)?.code ?? 0, r.transcript).not.toBe(250);
              },
              TEST_MS,
            );
          }

          const first = tls.relayMechanisms[0];
          if (first) {
            for (const a of smtp.saslAccounts.slice(1)) {
              const user = `${a.user}@${a.realm}`;
              it(
                `after STARTTLS: account ${user} may relay after AUTH ${first}`,
                async () => {
                  const r = await session(server(), {
                    socket: authSocket,
                    client,
                    tls: true,
                    commands: [`EHLO ${CLIENT.name}`, ...authCommands(first, user, a.password), ...mail],
                  });
                  expect(step(r, /^AUTH /, true)?.code, r.transcript).toBe(235);
                  expect(step(r, /^RCPT /)?.code, r.transcript).toBe(250);
                },
                TEST_MS,
              );
            }
          }

          for (const mechanism of tls.untrustedMechanisms ?? []) {
            it(
              `after STARTTLS: AUTH ${mechanism} succeeds but is not trusted: relay to ${relayTarget} refused`,
              async () => {
                const l = login();
                const r = await session(server(), {
                  socket: authSocket,
                  client,
                  tls: true,
                  commands: [`EHLO ${CLIENT.name}`, ...authCommands(mechanism, l.user, l.password), ...mail],
                });
                expect(step(r, /^AUTH /, true)?.code, r.transcript).toBe(235);
                expect(step(r, /^RCPT /), r.transcript).toMatchObject({ code: 550, enhanced: "5.7.1" });
              },
              TEST_MS,
            );
          }

          for (const s of smtp.authRequired ?? []) {
            it(
              `port ${s.port} after STARTTLS: MAIL without AUTH still refused (530 5.7.0)`,
              async () => {
                const r = await session(server(), { socket: s, client, tls: true, commands: [`EHLO ${CLIENT.name}`, ...mail] });
                expect(step(r, /^MAIL /), r.transcript).toMatchObject({ code: 530, enhanced: "5.7.0" });
              },
              TEST_MS,
            );
            if (first) {
              it(
                `port ${s.port} after STARTTLS: relay to ${relayTarget} accepted after AUTH ${first}`,
                async () => {
                  const l = login();
                  const r = await session(server(), {
                    socket: s,
                    client,
                    tls: true,
                    commands: [`EHLO ${CLIENT.name}`, ...authCommands(first, l.user, l.password), ...mail],
                  });
                  expect(step(r, /^AUTH /, true)?.code, r.transcript).toBe(235);
                  expect(step(r, /^RCPT /)?.code, r.transcript).toBe(250);
                },
                TEST_MS,
              );
            }
          }
        }

        for (const s of smtp.authRequired ?? []) {
          it(
            `port ${s.port} requires AUTH: MAIL without it refused (530 5.7.0)`,
            async () => {
              const r = await probe(server(), { to: smtp.localRecipients[0] ?? `postmaster@${smtp.hostName}`, socket: s, client });
              expect(r.mail, r.transcript).toMatchObject({ code: 530, enhanced: "5.7.0" });
              expect(r.rcpt?.code ?? 0, r.transcript).not.toBe(250);
            },
            TEST_MS,
          );
          if (firstMech) {
            it(
              `port ${s.port}: relay to ${relayTarget} accepted after AUTH ${firstMech}`,
              async () => {
                const r = await probe(server(), { to: relayTarget!, socket: s, client, auth: { mechanism: firstMech, ...login() } });
                expect(r.auth?.code, r.transcript).toBe(235);
                expect(r.rcpt?.code, r.transcript).toBe(250);
              },
              TEST_MS,
            );
          }
        }
      });

      const other = smtp.otherHostName;
      if (other && smtp.localRecipients.length > 0) {
        describe.skipIf(missingSmtp.length > 0)(`sendmail on a host named ${other} (local-host-names)`, () => {
          let sm: Sendmail | undefined;
          beforeAll(async () => {
            sm = await startSendmail(treeDir(), sendmailOptions(other));
          }, BEFORE_ALL_MS);
          afterAll(async () => {
            await sm?.stop();
          }, 20_000);
          for (const to of smtp.localRecipients) {
            it(
              `${to} is still local (accepted without AUTH)`,
              async () => {
                if (!sm) throw new Error("sendmail not started");
                const r = await probe(sm, { to, socket, client });
                expect(r.rcpt?.code, r.transcript).toBe(250);
              },
              TEST_MS,
            );
          }
        });
      }
    }
  });
  return stats;
}

const sameSocket = (a: SmtpSocket, b: SmtpSocket) => a.port === b.port && (a.address ?? "127.0.0.1") === (b.address ?? "127.0.0.1");
const uniqueSockets = (list: readonly SmtpSocket[]): SmtpSocket[] => list.filter((s, i) => list.findIndex((t) => sameSocket(s, t)) === i);

/**
 * The final reply to the first command of a session matching `cmd`; with
 * `last`, to the last command of that AUTH exchange (the reply after the
 * 334 continuations: 235, 535, ...).
 */
function step(r: SessionResult, cmd: RegExp, last = false): SmtpReply | null {
  const i = r.steps.findIndex((s) => cmd.test(s.command));
  if (i < 0) return null;
  if (!last) return r.steps[i]!.reply;
  let j = i;
  while (r.steps[j]?.reply?.code === 334 && r.steps[j + 1]) j++;
  return r.steps[j]!.reply;
}

function describeCase(c: PamCase): string {
  const items = [
    c.rhost !== undefined && `rhost=${c.rhost}`,
    c.tty !== undefined && `tty=${c.tty}`,
    c.ruser !== undefined && `ruser=${c.ruser}`,
  ].filter(Boolean);
  const file = c.file ? ` with ${c.file.path} ${c.file.state}` : "";
  return `${c.user}${items.length ? ` [${items.join(" ")}]` : ""}${file}`;
}
