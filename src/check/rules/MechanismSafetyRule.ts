import type { CheckContext } from "../context.js";
import { Messages } from "../../diagnostics/messages.js";
import type { Model } from "../model.js";

/** Mechanisms saslauthd (and so PAM) cannot verify: they need the secret on the server. */
const NEEDS_SECRET = new Set(["CRAM-MD5", "DIGEST-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256", "OTP", "NTLM"]);

/**
 * README "Safety checks": warns about SMTP AUTH mechanisms that expose
 * passwords (PLAIN and LOGIN without requiring encryption), that are
 * obsolete or weak (DIGEST-MD5, CRAM-MD5), or that the chosen SASL backend
 * cannot verify, and about plaintext-only AUTH hidden behind a STARTTLS the
 * policy does not configure.
 */
export function MechanismSafetyRule(model: Model, { diagnostics }: CheckContext): void {
  const mail = model.mail;
  if (!mail) return;
  for (const m of mail.mechanisms) {
    if ((m.value === "PLAIN" || m.value === "LOGIN") && !mail.authOptions.includes("p")) {
      diagnostics.report(Messages.PlaintextWithoutTls, m, { value: m.value });
    }
    if (m.value === "DIGEST-MD5") diagnostics.report(Messages.DigestObsolete, m);
    if (m.value === "CRAM-MD5") diagnostics.report(Messages.CramWeak, m);
    if (mail.backend === "saslauthd" && NEEDS_SECRET.has(m.value)) {
      diagnostics.report(Messages.BackendCannotVerify, m, { value: m.value });
    }
  }
  // noplaintext hides PLAIN and LOGIN until STARTTLS, which needs a certificate.
  const plaintext = mail.mechanisms.filter((m) => m.value === "PLAIN" || m.value === "LOGIN");
  if (mail.authOptions.includes("p") && !mail.tls && plaintext.length > 0 && plaintext.length === mail.mechanisms.length) {
    diagnostics.report(Messages.NoUsableMechanism, plaintext[0]!, { value: plaintext.map((m) => m.value).join(" and ") });
  }
}
