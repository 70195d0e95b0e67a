/**
 * `policyc import`: a host's files under a root folder as a policy. The
 * reader stands beside the pipeline (like src/format): it reads host files
 * (host.ts), pam.d (pamd.ts, pam.ts), the .mc as m4 text (m4.ts) and the
 * mail files (mail.ts), and writes policy text (policy.ts). What a policy
 * cannot hold is a warning with the file and line under the root, and a
 * comment in the policy where it was.
 */
import { PLATFORMS, type PlatformName, RELEASES } from "../check/model.js";
import { DiagnosticBag } from "../diagnostics/diagnostic.js";
import { Messages } from "../diagnostics/messages.js";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { HostFiles } from "./host.js";
import { readM4 } from "./m4.js";
import { importMail } from "./mail.js";
import type { HostOut } from "./out.js";
import { importPam } from "./pam.js";
import { policyText } from "./policy.js";

export interface ImportOptions {
  root: string;
  /** "debian", "redhat-9", ...; undefined: guessed from the root's files. */
  platform?: string;
  templates: string;
}

export interface ImportResult {
  /** The policy text, unformatted; undefined when nothing could be imported. */
  text?: string;
  diagnostics: DiagnosticBag;
  /** How many warnings say that something was not represented. */
  lossy: number;
}

/** Every platform word --platform takes: each platform, and each with a release ("debian-12"). */
export function knownPlatforms(): string[] {
  return PLATFORMS.flatMap((p) => [p, ...RELEASES[p].map((r) => `${p}-${r}`)]);
}

export function importHost(o: ImportOptions): ImportResult {
  const diagnostics = new DiagnosticBag();
  const files = new HostFiles(o.root, diagnostics);
  if (files.kind("") !== "dir") {
    diagnostics.report(Messages.ImportRoot, undefined, { path: o.root, reason: "it is not a folder" });
    return { diagnostics, lossy: 0 };
  }
  let word = o.platform;
  let guessed = false;
  if (!word) {
    guessed = true;
    word = guessPlatform(o.root);
  }
  const [name, release] = word.split("-", 2) as [string, string | undefined];
  if (!(PLATFORMS as readonly string[]).includes(name)) {
    diagnostics.report(Messages.ImportRoot, undefined, {
      path: o.root,
      reason: `the platform ${word} is not one of ${PLATFORMS.join(", ")}`,
    });
    return { diagnostics, lossy: 0 };
  }
  const platform = name as PlatformName;
  if (release !== undefined && !RELEASES[platform].includes(release)) {
    diagnostics.report(Messages.ImportRoot, undefined, {
      path: o.root,
      reason: `the platform ${word} is not one policyc knows; the releases of ${platform} are ${RELEASES[platform].map((r) => `${platform}-${r}`).join(", ")}`,
    });
    return { diagnostics, lossy: 0 };
  }
  const rel = release ?? RELEASES[platform][0]!;
  const pam = importPam({ files, platform, release: rel, templates: o.templates, diagnostics });
  const mail = importMail({ files, platform, release: rel, templates: o.templates, diagnostics });
  const host: HostOut = {
    platform: release ? `${platform}-${release}` : platform,
    comments: [
      `Imported by policyc import from ${o.root}${guessed ? ` (platform ${platform}: guessed from its files; --platform says otherwise)` : ""}.`,
      ...files.skipped.map((f) => `Not imported: ${f}.`),
      ...(pam.hostFiles.length
        ? [
            `Left to the host (files other PAM services include, hidden files and backups: a policy never writes them): ${pam.hostFiles.join(", ")}.`,
          ]
        : []),
    ],
    services: pam.services,
    ...(mail ? { mail } : {}),
  };
  if (host.services.length === 0 && !mail) {
    diagnostics.report(Messages.ImportRoot, undefined, {
      path: o.root,
      reason: "it holds no etc/pam.d service file and no etc/mail/sendmail.mc",
    });
    return { diagnostics, lossy: 0 };
  }
  return { text: policyText(host), diagnostics, lossy: diagnostics.warningCount };
}

/**
 * The platform a root's files are from: the .mc's OSTYPE, the distribution's
 * marker files, what the pam.d files include (Debian's @include common-*,
 * Red Hat's system-auth and password-auth), where the SASL config is.
 * Without any of these: debian.
 */
function guessPlatform(root: string): "debian" | "redhat" {
  const quiet = new HostFiles(root, new DiagnosticBag());
  const mc = quiet.read("etc/mail/sendmail.mc");
  if (mc) {
    const os = readM4(mc.file.text).calls.find((c) => c.name === "OSTYPE");
    const name = os?.args?.[0]?.trim();
    if (name === "linux") return "redhat";
    if (name === "debian") return "debian";
  }
  if (quiet.exists("etc/redhat-release") || quiet.exists("etc/pam.d/system-auth") || quiet.exists("etc/pam.d/password-auth"))
    return "redhat";
  if (quiet.exists("etc/debian_version") || quiet.exists("etc/pam.d/common-auth")) return "debian";
  let names: string[] = [];
  try {
    names = readdirSync(join(root, "etc/pam.d")).slice(0, 200);
  } catch {
    // no pam.d
  }
  for (const n of names) {
    const t = quiet.read(`etc/pam.d/${n}`);
    if (!t) continue;
    // policyc's Red Hat templates put #%PAM-1.0 between its header and the line naming the service.
    if (/^# Generated by policyc from .*\n#%PAM-1\.0\n# PAM service "/.test(t.file.text)) return "redhat";
    if (/^\s*@include\s+common-/m.test(t.file.text)) return "debian";
    if (/^\s*-?\w+\s+(include|substack)\s+(system-auth|password-auth)\b/m.test(t.file.text)) return "redhat";
  }
  if (quiet.exists("etc/sasl2/Sendmail.conf")) return "redhat";
  return "debian";
}
