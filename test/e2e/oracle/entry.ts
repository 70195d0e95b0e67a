import { readFileSync } from "node:fs";
import type { PamExpectation, StackExpectations } from "../stack-suite.js";
import { PolicyMeaning, ReadFile, flattenIncludes, hostsOf, readPolicy } from "./meaning.js";
import { HostAccounts, readHostAccounts } from "./accounts.js";
import { pamExpectation } from "./pam-cases.js";
import { smtpExpectation } from "./smtp.js";

// ---------------------------------------------------------------------------
// Entry points
// ---------------------------------------------------------------------------

function expectationsOf(policy: PolicyMeaning, host: HostAccounts): StackExpectations {
  const exp: StackExpectations = { platform: policy.platform };
  if (policy.services.length) exp.pam = policy.services.map((s) => pamExpectation(s, policy, host));
  if (policy.mail) exp.smtp = smtpExpectation(policy.mail);
  return exp;
}

/**
 * The expectations for the policy at `path` (its compiled tree must behave like this on the real stack).
 * For a policy without host blocks; one with hosts: {@link expectationsByHost}.
 */
export function expectationsFor(
  path: string,
  host: HostAccounts = readHostAccounts(),
  bytes?: Uint8Array,
  read?: ReadFile,
): StackExpectations {
  return expectationsOf(readPolicy(path, bytes, undefined, read), host);
}

/** One tree of a build: `host` null for a policy without host blocks (the tree is OUT itself), else OUT/<host>. */
export interface TreeExpectations {
  host: string | null;
  expectations: StackExpectations;
}

/**
 * The expectations for every tree `build -o OUT` writes for the policy at
 * `path`: one per host block (the shared top level plus that block), in
 * policy order, or a single tree (host null) when there are none.
 */
export function expectationsByHost(
  path: string,
  host: HostAccounts = readHostAccounts(),
  bytes: Uint8Array = readFileSync(path),
  read?: ReadFile,
): TreeExpectations[] {
  const hosts = hostsOf(flattenIncludes(path, bytes, read)).map((h) => h.name.value);
  if (hosts.length === 0) return [{ host: null, expectations: expectationsOf(readPolicy(path, bytes, undefined, read), host) }];
  return hosts.map((name) => ({ host: name, expectations: expectationsOf(readPolicy(path, bytes, name, read), host) }));
}

/**
 * Only the PAM expectations of a policy without host blocks, one per service
 * (for trees whose mail half the SMTP expectations cannot model, e.g. a mail
 * block listening on IPv6 only; the PAM half does not depend on it).
 */
export function pamExpectationsFor(
  path: string,
  host: HostAccounts = readHostAccounts(),
  bytes?: Uint8Array,
  read?: ReadFile,
): PamExpectation[] {
  const policy = readPolicy(path, bytes, undefined, read);
  return policy.services.map((s) => pamExpectation(s, policy, host));
}
