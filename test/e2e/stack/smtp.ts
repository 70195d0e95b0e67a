import { chmod, copyFile, mkdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { exec } from "./process.js";
import { CLIENT, Sendmail } from "./sendmail.js";

// ---------------------------------------------------------------------------
// SMTP probes (swaks)
// ---------------------------------------------------------------------------

/** One SMTP reply: code, enhanced status (when given), and the text after them. */
export interface SmtpReply {
  code: number;
  enhanced: string | null;
  text: string;
}

/** A probe: MAIL FROM the test client, RCPT TO `to`, optionally after AUTH. */
export interface SmtpProbe {
  to: string;
  from?: string;
  auth?: { mechanism: string; user: string; password: string };
  /** The socket to connect to (default 127.0.0.1:25). */
  socket?: { port: number; address?: string };
  /** The client's source address (default {@link CLIENT}.ip, 127.0.0.2: not local, so relaying rules apply). */
  client?: string;
}

/** What swaks saw. Missing replies are null (the session stopped earlier). */
export interface ProbeResult {
  /** AUTH mechanisms from the EHLO reply (empty when none offered). */
  ehloAuth: string[];
  auth: SmtpReply | null;
  mail: SmtpReply | null;
  rcpt: SmtpReply | null;
  transcript: string;
  exitCode: number | null;
}

/**
 * Run swaks inside the daemon's network namespace, from the client address,
 * up to RCPT (`--quit-after RCPT`), and parse the replies.
 */
export async function smtpProbe(server: Pick<Sendmail, "netns">, probe: SmtpProbe): Promise<ProbeResult> {
  return swaks(server, probe, "RCPT");
}

/** Tools {@link startSendmail} with `tlsFiles` and {@link smtpSession} with `tls` need. */
export const TLS_TOOLS = ["openssl"] as const;

/** Where the policy says the TLS files are on the host (absolute paths). */
export interface TlsFiles {
  certificate: string;
  key: string;
  ca?: string;
  caPath?: string;
}

/** Create a throwaway certificate, key and CA file/folder at `files` inside the sandbox root (see SendmailOptions.tlsFiles). */
export async function createTlsFiles(root: string, files: TlsFiles, hostName: string): Promise<void> {
  const inEtc = (p: string) => {
    if (!p.startsWith("/etc/") || p.split("/").includes(".."))
      throw new Error(`e2e: TLS path ${p} is outside /etc; the harness can only create it inside the /etc copy`);
    return join(root, p);
  };
  const cert = inEtc(files.certificate);
  const key = inEtc(files.key);
  for (const f of [cert, key]) await mkdir(dirname(f), { recursive: true, mode: 0o755 });
  await rm(cert, { force: true });
  await rm(key, { force: true });
  const r = await exec("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    key,
    "-out",
    cert,
    "-days",
    "2",
    "-subj",
    `/CN=${hostName}`,
  ]);
  if (r.code !== 0) throw new Error(`e2e: openssl could not make a test certificate: ${r.stderr}`);
  await chmod(key, 0o600);
  await chmod(cert, 0o644);
  if (files.ca) {
    const ca = inEtc(files.ca);
    await mkdir(dirname(ca), { recursive: true, mode: 0o755 });
    await rm(ca, { force: true });
    await copyFile(cert, ca);
    await chmod(ca, 0o644);
  }
  if (files.caPath) {
    const dir = inEtc(files.caPath);
    await mkdir(dir, { recursive: true, mode: 0o755 });
    const h = await exec("openssl", ["x509", "-noout", "-hash", "-in", cert]);
    if (h.code !== 0) throw new Error(`e2e: openssl x509 -hash failed: ${h.stderr}`);
    const named = join(dir, `${h.stdout.trim()}.0`);
    await rm(named, { force: true });
    await copyFile(cert, named);
    await chmod(named, 0o644);
  }
}

/** One SMTP session of {@link smtpSession}: the final reply to each command sent (null: none). */
export interface SessionResult {
  /** The commands actually sent (continuations are left out when the reply before was not 334), with their final replies. */
  steps: Array<{ command: string; reply: SmtpReply | null }>;
  /** AUTH mechanisms of the last EHLO reply in the session (after STARTTLS when `tls`). */
  ehloAuth: string[];
  /** The last EHLO reply listed STARTTLS. */
  ehloStarttls: boolean;
  transcript: string;
  exitCode: number | null;
}

/**
 * A raw SMTP session, for what swaks will not do: send AUTH for a mechanism
 * the server did not advertise, or run over STARTTLS without Perl's TLS
 * modules. Plain: a small Perl client (core IO::Socket::INET) from the
 * client address; `tls`: `openssl s_client -starttls smtp -bind CLIENT`
 * (it sends its own EHLO and STARTTLS), synchronised with a NOOP. Each
 * command waits for its final reply; a command starting with `+` is an AUTH
 * continuation, sent (without the `+`) only when the reply before was 334.
 */
export async function smtpSession(
  server: Pick<Sendmail, "netns">,
  p: { socket?: { port: number; address?: string }; client?: string; tls?: boolean; commands: readonly string[] },
): Promise<SessionResult> {
  const addr = p.socket?.address ?? "127.0.0.1";
  const port = String(p.socket?.port ?? 25);
  const client = p.client ?? CLIENT.ip;
  for (const c of p.commands) if (/[\r\n]/.test(c)) throw new Error(`e2e: SMTP command with a line break: ${JSON.stringify(c)}`);
  const args = p.tls
    ? ["bash", "-c", TLS_SESSION, "smtp-tls", addr, port, client, CLIENT.name, ...p.commands]
    : ["perl", "-e", PLAIN_SESSION, addr, port, client, ...p.commands];
  const r = await exec("nsenter", [`--net=${server.netns}`, ...args], { timeoutMs: 60_000 });
  if (r.timedOut) throw new Error(`e2e: SMTP session timed out\n${r.stdout}${r.stderr}`);
  const transcript = r.stdout + r.stderr;
  return { ...parseSession(r.stdout), transcript, exitCode: r.code };
}

/** Perl: connect from ARGV[2], read the greeting, send each command and print its reply lines. */
const PLAIN_SESSION = String.raw`
use strict; use IO::Socket::INET;
$| = 1;
my ($server, $port, $local, @cmds) = @ARGV;
my $s = IO::Socket::INET->new(PeerAddr => $server, PeerPort => $port, LocalAddr => $local, Proto => 'tcp', Timeout => 15)
  or do { print "*** connect: $!\n"; exit 2 };
sub reply { my $code = '';
  while (defined(my $l = <$s>)) { $l =~ s/\r?\n$//; print "<- $l\n"; if ($l =~ /^(\d{3}) /) { $code = $1; last } }
  print "*** no reply\n" if $code eq '';
  return $code }
my $last = reply();
for my $c (@cmds) {
  if ($c =~ s/^\+//) { next unless $last eq '334' }
  print " -> $c\n"; print $s "$c\r\n"; $last = reply();
  last if $last eq '';
}
close $s;
`;

/** Bash: openssl s_client does EHLO + STARTTLS; a NOOP marks where the TLS session's replies start. */
const TLS_SESSION = `
set -u
server=$1 port=$2 local=$3 helo=$4; shift 4
err=$(mktemp)
trap 'rm -f "$err"' EXIT
coproc C { exec openssl s_client -quiet -verify_quiet -starttls smtp -name "$helo" -bind "$local:0" -connect "$server:$port" 2>"$err"; }
in=\${C[0]} out=\${C[1]} pid=$C_PID
reply() { local l; last=
  while IFS= read -r -t 15 -u "$in" l; do l=\${l%$'\\r'}; echo "<- $l"
    case $l in [0-9][0-9][0-9]' '*) last=\${l:0:3}; return 0;; esac
  done; echo "*** no reply"; return 1; }
printf 'NOOP\\r\\n' >&"$out"
ok=
while IFS= read -r -t 15 -u "$in" l; do case \${l%$'\\r'} in '250 2.0.0 OK'*) ok=1; break;; esac; done
if [ -z "$ok" ]; then echo "*** no TLS session"; cat "$err"; kill "$pid" 2>/dev/null; exit 2; fi
echo "=== TLS session started"
last=250
for c in "$@"; do
  case $c in +*) [ "$last" = 334 ] || continue; c=\${c#+};; esac
  echo " -> $c"; printf '%s\\r\\n' "$c" >&"$out"
  reply || break
done
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
exit 0
`;

/** Parse a {@link smtpSession} transcript (` -> CMD` and `<- REPLY` lines). */
export function parseSession(t: string): Pick<SessionResult, "steps" | "ehloAuth" | "ehloStarttls"> {
  const steps: SessionResult["steps"] = [];
  let ehloAuth: string[] = [];
  let ehloStarttls = false;
  let current: SessionResult["steps"][number] | undefined;
  let inEhlo = false;
  for (const line of t.split("\n")) {
    const cmd = /^ -> (.*)$/.exec(line);
    if (cmd) {
      current = { command: cmd[1]!, reply: null };
      steps.push(current);
      inEhlo = /^EHLO\b/i.test(cmd[1]!);
      if (inEhlo) {
        ehloAuth = [];
        ehloStarttls = false;
      }
      continue;
    }
    const m = /^<-\s+(\d{3})([ -])(.*)$/.exec(line);
    if (!m) continue;
    if (inEhlo && m[1] === "250") {
      const auth = /^AUTH[ =](.*)$/.exec(m[3]!);
      if (auth) ehloAuth = auth[1]!.trim().split(/\s+/);
      if (/^STARTTLS\b/.test(m[3]!)) ehloStarttls = true;
    }
    if (m[2] === " " && current) {
      const e = /^(\d\.\d{1,3}\.\d{1,3})\s+(.*)$/.exec(m[3]!);
      current.reply = { code: Number(m[1]), enhanced: e ? e[1]! : null, text: e ? e[2]! : m[3]! };
    }
  }
  return { steps, ehloAuth, ehloStarttls };
}

/** AUTH commands for {@link smtpSession}: PLAIN with an initial response, LOGIN as continuations. */
export function authCommands(mechanism: string, user: string, password: string): string[] {
  const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
  if (mechanism === "PLAIN") return [`AUTH PLAIN ${b64(`\0${user}\0${password}`)}`];
  if (mechanism === "LOGIN") return ["AUTH LOGIN", `+${b64(user)}`, `+${b64(password)}`];
  throw new Error(`e2e: smtpSession cannot authenticate with ${mechanism} (only PLAIN and LOGIN)`);
}

/** The AUTH mechanisms offered in the EHLO reply to a non-local client. */
export async function ehloAuthMechanisms(server: Pick<Sendmail, "netns">, p: Pick<SmtpProbe, "socket" | "client"> = {}): Promise<string[]> {
  const r = await swaks(server, { ...p, to: `postmaster@${CLIENT.name}` }, "EHLO");
  if (!r.transcript.includes("250")) throw new Error(`e2e: no EHLO reply\n${r.transcript}`);
  return r.ehloAuth;
}

export async function swaks(server: Pick<Sendmail, "netns">, p: SmtpProbe, quitAfter: "RCPT" | "EHLO"): Promise<ProbeResult> {
  const args = [
    `--net=${server.netns}`,
    "swaks",
    "--server",
    p.socket?.address ?? "127.0.0.1",
    "--port",
    String(p.socket?.port ?? 25),
    "--local-interface",
    p.client ?? CLIENT.ip,
    "--helo",
    CLIENT.name,
    "--from",
    p.from ?? CLIENT.from,
    "--to",
    p.to,
    "--quit-after",
    quitAfter,
    "--timeout",
    "15",
  ];
  if (p.auth) args.push("--auth", p.auth.mechanism, "--auth-user", p.auth.user, "--auth-password", p.auth.password);
  const r = await exec("nsenter", args, { timeoutMs: 30_000 });
  if (r.timedOut) throw new Error(`e2e: swaks timed out\n${r.stdout}${r.stderr}`);
  const transcript = r.stdout + r.stderr;
  return { ...parseTranscript(transcript), transcript, exitCode: r.code };
}

/** Parse a swaks transcript into the replies to EHLO (AUTH line), AUTH, MAIL and RCPT. */
export function parseTranscript(t: string): Omit<ProbeResult, "transcript" | "exitCode"> {
  const lines = t.split("\n");
  const replyAfter = (cmd: RegExp): SmtpReply | null => {
    // The reply to the LAST matching command (AUTH has 334 continuations).
    let i = -1;
    lines.forEach((l, k) => {
      if (cmd.test(l)) i = k;
    });
    if (i < 0) return null;
    for (let k = i + 1; k < lines.length; k++) {
      const m = /^<(?:-|\*\*)\s+(\d{3})([ -])(.*)$/.exec(lines[k]!);
      if (m && m[2] === " ") {
        if (m[1] === "334") continue;
        const e = /^(\d\.\d{1,3}\.\d{1,3})\s+(.*)$/.exec(m[3]!);
        return { code: Number(m[1]), enhanced: e ? e[1]! : null, text: e ? e[2]! : m[3]! };
      }
      if (/^ -> (MAIL|RCPT|QUIT|DATA|EHLO|HELO)\b/.test(lines[k]!)) return null;
    }
    return null;
  };
  const authLine = lines.map((l) => /^<-\s+250[- ]AUTH[ =](.*)$/.exec(l)).find((m) => m);
  return {
    ehloAuth: authLine ? authLine[1]!.trim().split(/\s+/) : [],
    auth: replyAfter(/^ -> AUTH\b/),
    mail: replyAfter(/^ -> MAIL FROM:/),
    rcpt: replyAfter(/^ -> RCPT TO:/),
  };
}
