/**
 * Reusable vitest suite: given a way to produce a tree dir and an
 * expectations object, asserts the tree's behaviour on the REAL Linux-PAM and
 * sendmail (see stack.ts). Defines tests only when called.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PAM_TOOLS,
  SMTP_TOOLS,
  ehloAuthMechanisms,
  expandMc,
  pamCases,
  requireTools,
  skipBanner,
  smtpProbe,
  startSendmail,
  type M4Result,
  type PamCase,
  type PamCaseResult,
  type PamResult,
  type SaslAccount,
  type Sendmail,
  type TestGroup,
  type TestUser,
} from './stack.js';

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

/** What the generated sendmail files must do. */
export interface SmtpExpectation {
  /** Canonical host name of the test host (hosts file 127.0.1.1). */
  hostName: string;
  /** Exact `O DaemonPortOptions=` values in the m4 output, in order (the harness overrides them to listen on a test port). */
  daemonPortOptions?: string[];
  /** Accounts to create in the sasldb; auth cases log in with the first one. */
  saslAccounts: SaslAccount[];
  /** The login name swaks sends for saslAccounts[0] (e.g. user@realm). */
  login: string;
  /** Exactly these mechanisms in the EHLO AUTH line, in this order. */
  offeredMechanisms: string[];
  /** Each: AUTH succeeds (235) and then relaying to foreignRecipients[0] is accepted (250). Wrong password: 535. */
  relayMechanisms: string[];
  /** Accepted (250) at RCPT without AUTH from a non-local client. */
  localRecipients: string[];
  /** Refused without AUTH with 550 5.7.1 Relaying denied. */
  foreignRecipients: string[];
  /** Routing tricks that must be refused without AUTH (550 5.7.1). */
  relayTricks: string[];
  /**
   * When set, a second daemon runs with this (different) canonical host name
   * and localRecipients must still be local: proves local-host-names is used,
   * not just the host's own name.
   */
  otherHostName?: string;
}

export interface StackExpectations {
  pam?: PamExpectation[];
  smtp?: SmtpExpectation;
}

const BEFORE_ALL_MS = 60_000;
const TEST_MS = 30_000;

/**
 * Define the e2e suite for one tree. `prepare` runs once (in beforeAll);
 * missing tools skip the tests loudly (or fail them with CI=true).
 */
export function describeStack(title: string, prepare: () => Promise<PreparedTree>, exp: StackExpectations): void {
  const missingPam = exp.pam ? requireTools(PAM_TOOLS) : [];
  const missingSmtp = exp.smtp ? requireTools(SMTP_TOOLS) : [];
  if (missingPam.length) console.warn(skipBanner(`${title}: PAM e2e tests`, missingPam));
  if (missingSmtp.length) console.warn(skipBanner(`${title}: sendmail e2e tests`, missingSmtp));

  describe(title, () => {
    let tree: PreparedTree | undefined;
    const treeDir = () => {
      if (!tree) throw new Error('tree not prepared');
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
          results = await pamCases(treeDir(), pam.service, pam.cases, { users: pam.users, groups: pam.groups });
        }, BEFORE_ALL_MS);
        pam.cases.forEach((c, i) => {
          it(`${describeCase(c)} -> ${c.expect}${c.why ? ` (${c.why})` : ''}`, () => {
            const r = results[i];
            expect(r, 'no result').toBeDefined();
            expect(r.result, `pamtester said: ${r.output}`).toBe(c.expect);
          });
        });
      });
    }

    const smtp = exp.smtp;
    if (smtp) {
      describe.skipIf(missingSmtp.length > 0)('sendmail.mc (real m4)', () => {
        let m4: M4Result | undefined;
        const got = () => {
          if (!m4) throw new Error('m4 did not run');
          return m4;
        };
        beforeAll(async () => {
          m4 = await expandMc(join(treeDir(), 'etc/mail/sendmail.mc'));
        }, BEFORE_ALL_MS);

        it('m4 expands sendmail.mc with exit 0 and nothing on stderr', () => {
          expect(got().exitCode).toBe(0);
          expect(got().problems).toEqual([]);
          expect(got().stderr).toBe('');
        });

        if (smtp.daemonPortOptions) {
          const want = smtp.daemonPortOptions;
          it(`generated cf has DaemonPortOptions ${JSON.stringify(want)}`, () => {
            const lines = got()
              .cf.split('\n')
              .filter((l) => l.startsWith('O DaemonPortOptions='))
              .map((l) => l.slice('O DaemonPortOptions='.length));
            expect(lines).toEqual(want);
          });
        }
      });

      describe.skipIf(missingSmtp.length > 0)('sendmail daemon (swaks from 127.0.0.2)', () => {
        let sm: Sendmail | undefined;
        const server = () => {
          if (!sm) throw new Error('sendmail not started');
          return sm;
        };
        beforeAll(async () => {
          sm = await startSendmail(treeDir(), { hostName: smtp.hostName, saslAccounts: smtp.saslAccounts });
        }, BEFORE_ALL_MS);
        afterAll(async () => {
          await sm?.stop();
        }, 20_000);

        const account = smtp.saslAccounts[0];

        it(`EHLO offers exactly AUTH ${smtp.offeredMechanisms.join(' ')}`, async () => {
          expect(await ehloAuthMechanisms(server())).toEqual(smtp.offeredMechanisms);
        }, TEST_MS);

        for (const to of smtp.localRecipients) {
          it(`local ${to} accepted without AUTH`, async () => {
            const r = await smtpProbe(server(), { to });
            expect(r.rcpt?.code, r.transcript).toBe(250);
          }, TEST_MS);
        }

        for (const to of [...smtp.foreignRecipients, ...smtp.relayTricks]) {
          it(`relay to ${to} refused without AUTH (550 5.7.1 Relaying denied)`, async () => {
            const r = await smtpProbe(server(), { to });
            expect(r.rcpt, r.transcript).toMatchObject({ code: 550, enhanced: '5.7.1' });
            expect(r.rcpt?.text, r.transcript).toMatch(/Relaying denied/);
          }, TEST_MS);
        }

        for (const mechanism of smtp.relayMechanisms) {
          const to = smtp.foreignRecipients[0];
          it(`relay to ${to} accepted after AUTH ${mechanism} as ${smtp.login}`, async () => {
            const r = await smtpProbe(server(), { to, auth: { mechanism, user: smtp.login, password: account.password } });
            expect(r.auth?.code, r.transcript).toBe(235);
            expect(r.rcpt?.code, r.transcript).toBe(250);
          }, TEST_MS);

          it(`AUTH ${mechanism} with a wrong password refused (535), no relaying`, async () => {
            const r = await smtpProbe(server(), { to, auth: { mechanism, user: smtp.login, password: `${account.password}-wrong` } });
            expect(r.auth?.code, r.transcript).toBe(535);
            expect(r.rcpt?.code ?? 0, r.transcript).not.toBe(250);
          }, TEST_MS);
        }
      });

      const other = smtp.otherHostName;
      if (other) {
        describe.skipIf(missingSmtp.length > 0)(`sendmail on a host named ${other} (local-host-names)`, () => {
          let sm: Sendmail | undefined;
          beforeAll(async () => {
            sm = await startSendmail(treeDir(), { hostName: other });
          }, BEFORE_ALL_MS);
          afterAll(async () => {
            await sm?.stop();
          }, 20_000);
          for (const to of smtp.localRecipients) {
            it(`${to} is still local (accepted without AUTH)`, async () => {
              if (!sm) throw new Error('sendmail not started');
              const r = await smtpProbe(sm, { to });
              expect(r.rcpt?.code, r.transcript).toBe(250);
            }, TEST_MS);
          }
        });
      }
    }
  });
}

function describeCase(c: PamCase): string {
  const items = [c.rhost && `rhost=${c.rhost}`, c.tty && `tty=${c.tty}`, c.ruser && `ruser=${c.ruser}`].filter(Boolean);
  const file = c.file ? ` with ${c.file.path} ${c.file.state}` : '';
  return `${c.user}${items.length ? ` [${items.join(' ')}]` : ''}${file}`;
}
