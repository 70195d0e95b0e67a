/**
 * README "Importing a host": an .mc without confAUTH_MECHANISMS offers
 * sendmail's default mechanisms (EXTERNAL GSSAPI KERBEROS_V4 DIGEST-MD5
 * CRAM-MD5), and of those only the ones Cyrus SASL's mech_list names: the
 * import offers that intersection, and its comment says what of mech_list
 * is not offered.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, tempDir } from "../helpers.js";
import { buildFiles, writeRoot } from "./helpers.js";

const POLICY = `platform debian;
mail {
  domain mx.example.test;
  listen smtp;
  auth mechanisms SCRAM-SHA-256, CRAM-MD5, PLAIN;
  auth backend sasldb;
}
`;

/** A host root built from POLICY whose .mc lost its confAUTH_MECHANISMS (and TRUST_AUTH_MECH), with mech_list as given. */
function host(mechList: string): string {
  const files = buildFiles(POLICY);
  const mc = "etc/mail/sendmail.mc";
  files.set(
    mc,
    files
      .get(mc)!
      .split("\n")
      .filter((l) => !/confAUTH_MECHANISMS|TRUST_AUTH_MECH/.test(l))
      .join("\n"),
  );
  const sasl = [...files.keys()].find((p) => p.endsWith("Sendmail.conf.2"))!;
  files.set(sasl, files.get(sasl)!.replace(/^mech_list: .*$/m, `mech_list: ${mechList}`));
  const root = tempDir("policyc-import-mech-");
  writeRoot(root, files);
  return root;
}

function importOf(root: string) {
  const out = join(tempDir("policyc-import-mech-out-"), "host.policy");
  const r = runCli(["import", "--root", root, "-o", out, "--allow-lossy", "-q"]);
  expect(r.status, r.stderr).toBe(0);
  return readFileSync(out, "utf8");
}

describe("import: mech_list without confAUTH_MECHANISMS", () => {
  it("offers the mechanisms in both sendmail's default and mech_list, and says which were dropped", () => {
    const text = importOf(host("SCRAM-SHA-256 CRAM-MD5 PLAIN"));
    expect(text).toMatch(/auth mechanisms CRAM-MD5;/);
    expect(text).not.toMatch(/auth mechanisms[^;]*(SCRAM|PLAIN)/);
    expect(text.replace(/\n\s*#\s*/g, " ")).toContain("SCRAM-SHA-256 PLAIN of mech_list are not offered.");
  });

  it("offers no AUTH when mech_list names none of sendmail's default", () => {
    const text = importOf(host("PLAIN LOGIN"));
    expect(text).not.toMatch(/auth mechanisms/);
    expect(text.replace(/\n\s*#\s*/g, " ")).toContain("none, so no AUTH; PLAIN LOGIN of mech_list are not offered.");
  });
});
