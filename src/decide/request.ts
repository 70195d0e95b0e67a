/**
 * The questions the decision procedure answers: a PAM account request and a
 * mail relay request. The host's account databases are not in the policy, so
 * a request carries what the stack would read from them (groups, shell,
 * whether the user exists).
 */

/** The state of a list file on the host, for "what if" questions (default: as built). */
export type ListFileState = "present" | "missing" | "world-writable" | "symlink";

/** `pamtester SERVICE USER acct_mgmt` with its items: what a daemon asks PAM. */
export interface PamRequest {
  /** The service as the policy names it, or its PAM service name. */
  service: string;
  user: string;
  /** PAM_RHOST; undefined: unset (a console login). */
  rhost?: string;
  /** PAM_TTY; undefined: unset. */
  tty?: string;
  /** PAM_RUSER; undefined: unset. */
  ruser?: string;
  /** The user's groups (primary and supplementary); default: one group named like the user (Debian's user private group). */
  groups?: string[];
  /** The user's login shell in passwd; default /bin/bash. */
  shell?: string;
  /** Whether the user is in passwd; default true. */
  exists?: boolean;
  /** Whether /etc/nologin exists on the host; default false. */
  nologin?: boolean;
  /** List files in another state than the build leaves them, by path on the host. */
  files?: Record<string, ListFileState>;
}

/** One RCPT TO in sendmail's check_rcpt: who connects, who sends, to whom, authenticated how. */
export interface MailRequest {
  /** The client's IP address ({client_addr}); default 192.0.2.1 (TEST-NET-1, outside any real network). */
  clientAddr?: string;
  /** The client's host name as resolved ({client_name}); default none. */
  clientName?: string;
  /** The envelope sender; default the null sender. It grants no relaying. */
  sender?: string;
  recipient: string;
  /** The SMTP AUTH mechanism the client authenticated with ({auth_type}); default none. */
  auth?: string;
  /** The listen socket's name (DAEMON_OPTIONS Name=); default the first socket. */
  socket?: string;
}
