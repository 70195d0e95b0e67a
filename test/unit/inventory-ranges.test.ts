/**
 * README "Hosts from an inventory": host ranges expanded as Ansible does.
 * The expected names are what ansible-inventory --list (ansible-core 2.14.18)
 * printed for the same patterns in an INI inventory.
 */
import { describe, expect, it } from "vitest";
import { expandHostPattern } from "../../src/syntax/inventory.js";

describe("inventory: host ranges", () => {
  it("expands numbers (leading zeros kept), letters in a-zA-Z order, steps and several ranges, in Ansible's order", () => {
    expect(expandHostPattern("www[01:03].example.com")).toEqual(["www01.example.com", "www02.example.com", "www03.example.com"]);
    expect(expandHostPattern("db-[a:c]")).toEqual(["db-a", "db-b", "db-c"]);
    expect(expandHostPattern("n[1:10:3]x")).toEqual(["n1x", "n4x", "n7x", "n10x"]);
    expect(expandHostPattern("m[8:10]-[a:b]")).toEqual(["m8-a", "m8-b", "m9-a", "m9-b", "m10-a", "m10-b"]);
    expect(expandHostPattern("[:2]z")).toEqual(["0z", "1z", "2z"]);
    expect(expandHostPattern("L[x:B]")).toEqual(["Lx", "Ly", "Lz", "LA", "LB"]);
    expect(expandHostPattern("plain.example.com")).toEqual(["plain.example.com"]);
  });

  it("refuses what Ansible refuses, and the ranges that make no host", () => {
    // Ansible: "host range must specify equal-length begin and end formats", "range() arg 3 must not be zero".
    expect(expandHostPattern("h[01:3]")).toEqual({ reason: expect.stringContaining("as many digits") });
    expect(expandHostPattern("h[1:3:0]")).toEqual({ reason: expect.stringContaining("at least 1") });
    expect(expandHostPattern("L[Y:b]")).toEqual({ reason: expect.stringContaining("begin <= end") });
    expect(expandHostPattern("h[1]")).toEqual({ reason: expect.stringContaining("BEGIN:END") });
    expect(expandHostPattern("h[1:]")).toEqual({ reason: expect.stringContaining("end") });
    expect(expandHostPattern("h[1:x]")).toEqual({ reason: expect.stringContaining("numbers or of letters") });
    // Ansible makes no host of these, silently: policyc says so.
    expect(expandHostPattern("h[5:1]")).toEqual({ reason: expect.stringContaining("begin <= end") });
  });

  it("stops at a bound on the names a range makes", () => {
    expect(expandHostPattern("h[0:99999999]")).toEqual({ reason: expect.stringContaining("more than 1,000,000 hosts") });
    expect(expandHostPattern("h[0:9][0:9]", 50)).toEqual({ reason: expect.stringContaining("more than 50 hosts") });
  });
});
