/**
 * The decision procedure: what the built tree answers to one request, PAM or
 * mail, and why. One module used by every command that answers questions
 * about a policy (explain, test, the assertions of build and check). It reads
 * the checked model, the AST of the host's statements (for where entries came
 * from) and the pam.d files the build writes; it never writes anything.
 */
import type { Build, Model } from "../check/model.js";
import type { HostItem } from "../syntax/ast.js";
import type { Located, Program } from "../syntax/load.js";
import { decideMail, type MailDecision } from "./mail.js";
import { entryOrigins } from "./origin.js";
import { decidePam, findService, type EntryOrigin, type PamDecision, type PamFiles } from "./pam.js";
import type { MailRequest, PamRequest } from "./request.js";
import { scopesOf } from "./scopes.js";

export * from "./diff.js";
export * from "./expect.js";
export * from "./mail.js";
export * from "./pam.js";
export * from "./request.js";
export * from "./who.js";

/** A file of the built tree (its path under OUT, without a host prefix). */
export interface TreeFile {
  path: string;
  content: string;
}

/** One host's model with what the decisions read besides it. */
export interface HostView {
  host: string | null;
  model: Model;
  items: readonly Located<HostItem>[];
  pamFiles: PamFiles;
  origin: EntryOrigin;
}

/**
 * The hosts of a build, each with its pam.d files: the generated ones, else
 * `platformFile(platform, name)` (the platform's stock file a generated one
 * may include, e.g. su for su-l), else the platform's host files (HOST_FILES).
 */
export function hostViews(
  build: Build,
  program: Program,
  files: readonly TreeFile[],
  platformFile: (model: Model, name: string) => string | null,
): HostView[] {
  // One pass over the files, not one per host: a fleet has hosts x files.
  const named = build.hosts.some((h) => h.name !== null);
  const pam = new Map<string | null, Map<string, string>>();
  for (const f of files) {
    const cut = named ? f.path.indexOf("/") : -1;
    if (named && cut < 0) continue;
    if (!f.path.startsWith("etc/pam.d/", cut + 1)) continue;
    const host = named ? f.path.slice(0, cut) : null;
    let own = pam.get(host);
    if (!own) pam.set(host, (own = new Map()));
    own.set(f.path.slice(cut + 1 + "etc/pam.d/".length), f.content);
  }
  return hostViewsOf(build, program, (host) => pam.get(host), platformFile);
}

/**
 * hostViews for a build whose files were not kept (check drops each host's
 * files once emitted): `pamOf(host)` gives the generated pam.d files of a
 * host by name under pam.d/.
 */
export function hostViewsOf(
  build: Build,
  program: Program,
  pamOf: (host: string | null) => ReadonlyMap<string, string> | undefined,
  platformFile: (model: Model, name: string) => string | null,
): HostView[] {
  // The program's scopes (made once); a scope's items are put together when read, so only for the hosts asked about.
  const scopes = new Map(scopesOf(program).map((s) => [s.host?.name ?? null, s]));
  return build.hosts.map(({ name, model }) => {
    const pam = pamOf(name);
    const own = scopes.get(name)?.items ?? [];
    return {
      host: name,
      model,
      items: own,
      pamFiles: (n) => pam?.get(n) ?? platformFile(model, n),
      origin: entryOrigins(own),
    };
  });
}

/** A PAM request on one host; undefined when the host has no such service. */
export function explainPam(view: HostView, request: PamRequest): PamDecision | undefined {
  const service = findService(view.model, request.service);
  if (!service) return undefined;
  return decidePam(view.model, service, request, view.pamFiles, view.origin);
}

/** A mail request on one host. */
export function explainMail(view: HostView, request: MailRequest): MailDecision {
  return decideMail(view.model.mail, view.host, request);
}
