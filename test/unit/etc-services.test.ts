import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { NETBASE_VERSION, tcpServices } from "../../src/check/etcServices.js";
// @ts-expect-error: a plain JavaScript script without types
import { tcpNames } from "../../scripts/services.js";

function installedNetbase(): string | undefined {
  try {
    return execFileSync("dpkg-query", ["-W", "-f", "${Version}", "netbase"], { encoding: "utf8" }).trim();
  } catch {
    return undefined;
  }
}

describe("check: the /etc/services table listen names are checked against (README, Inside mail)", () => {
  const installed = installedNetbase();
  // With CI=true the machine is Debian 12 with netbase installed: the comparison must run.
  const comparable = installed === NETBASE_VERSION || process.env.CI === "true";
  it.runIf(comparable)(`is exactly the tcp names and aliases of the installed netbase ${NETBASE_VERSION}'s /etc/services`, () => {
    expect(installed).toBe(NETBASE_VERSION);
    const fromFile = new Map(tcpNames(readFileSync("/etc/services", "utf8")) as [string, number][]);
    expect(new Map(tcpServices("debian"))).toEqual(fromFile);
  });

  it("knows the mail ports by name, aliases included", () => {
    const names = tcpServices("debian");
    expect([names.get("smtp"), names.get("submission"), names.get("submissions"), names.get("smtps"), names.get("urd")]).toEqual([
      25, 587, 465, 465, 465,
    ]);
    expect(names.has("smpt")).toBe(false);
  });
});
