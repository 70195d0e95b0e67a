/**
 * README "Performance", cold start: the first 16 KiB a process hashes go
 * through SHA-256 in WebAssembly instead of node:crypto. Its digests must be
 * node:crypto's, byte for byte, for every length around the 64-byte blocks
 * and their padding, any UTF-8, and across the switch to node:crypto.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sha256, SHA256_WASM, wasmSha256 } from "../../src/output/sha256.js";
import { ROOT } from "../helpers.js";

const native = (bytes: Uint8Array | string) => createHash("sha256").update(bytes).digest("hex");

describe("SHA-256 in WebAssembly", () => {
  it("is the module scripts/sha256-wasm.js assembles", () => {
    const r = spawnSync(process.execPath, [join(ROOT, "scripts/sha256-wasm.js")], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect(SHA256_WASM).toBe(r.stdout.trim());
  });

  it("gives the FIPS 180-4 examples' digests", () => {
    expect(wasmSha256(Buffer.from("abc"))).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(wasmSha256(Buffer.from(""))).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(wasmSha256(Buffer.from("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))).toBe(
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    );
  });

  it("equals node:crypto for every length from 0 to 1,100 bytes and up to the largest it takes", () => {
    const bytes = Buffer.alloc(64384);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
    for (let n = 0; n <= 1100; n++) expect(wasmSha256(bytes.subarray(0, n)), `${n} bytes`).toBe(native(bytes.subarray(0, n)));
    for (const n of [4095, 4096, 4097, 65535 - 1024 - 128 - 1, 64384])
      expect(wasmSha256(bytes.subarray(0, n))).toBe(native(bytes.subarray(0, n)));
    expect(() => wasmSha256(Buffer.alloc(64385))).toThrow(RangeError);
  });

  it("equals node:crypto on any string's UTF-8 (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 300 }), (s) => {
        expect(wasmSha256(Buffer.from(s, "utf8"))).toBe(native(s));
      }),
      { numRuns: 500 },
    );
  });

  it("sha256() gives node:crypto's digest before, across and after its switch to node:crypto, large strings included", () => {
    const texts = [
      "",
      "root\nalice\n",
      "x".repeat(10_000),
      "\ud800 lone surrogates \udc00".repeat(3),
      "y".repeat(10_000), // beyond the 16 KiB budget: node:crypto from here on
      "z".repeat(10),
      "é€𝄞".repeat(5000),
      "user1, user2\n".repeat(1_000_000),
    ];
    for (const t of texts) expect(sha256(t)).toBe(native(t));
  });
});
