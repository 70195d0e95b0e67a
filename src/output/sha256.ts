import { chunks } from "./chunks.js";

/**
 * SHA-256 of a string's UTF-8 bytes, hex: the manifest's and the journal's
 * file hashes (README "Generated files").
 *
 * A build of a small policy hashes a few kilobytes, and loading node:crypto
 * (with node's streams) for that costs about 3 ms, a twentieth of node's
 * start-up (README "Performance", cold start). So the first
 * WASM_BUDGET bytes a process hashes go through SHA-256 in WebAssembly
 * (assembled by scripts/sha256-wasm.js, checked against node:crypto by
 * test/unit/sha256.test.ts); anything beyond, and a string too large for
 * its memory, goes through node:crypto, which is faster on large inputs.
 * The digest is the same either way.
 */
export function sha256(content: string): string {
  if (wasmBudget > 0 && content.length <= WASM_MAX_CHARS) {
    const bytes = Buffer.from(content, "utf8");
    if (bytes.length <= wasmBudget) {
      wasmBudget -= bytes.length;
      return wasmSha256(bytes);
    }
  }
  wasmBudget = 0;
  const { createHash } = process.getBuiltinModule("node:crypto") as typeof import("node:crypto");
  // In pieces: hashing a 12 MB string at once copies it into a 12 MB buffer first.
  const hash = createHash("sha256");
  for (const piece of chunks(content)) hash.update(piece, "utf8");
  return hash.digest("hex");
}

/**
 * Bytes hashed in WebAssembly per process (a small build's files: the
 * cookbook's are 6 KB, hashed twice into an empty OUT), then node:crypto:
 * the module's first tier takes about 3 µs a 64-byte block, so beyond a few
 * hundred blocks loading node:crypto costs less.
 */
const WASM_BUDGET = 1 << 14;
let wasmBudget = WASM_BUDGET;
/** The message starts at 1024 in one 64 KiB page; with its padding (at most 72 bytes) it must fit. */
const DATA = 1024;
const WASM_MAX_BYTES = 65536 - DATA - 128;
/** A string of this many UTF-16 units or fewer has at most WASM_MAX_BYTES bytes in UTF-8. */
const WASM_MAX_CHARS = Math.floor(WASM_MAX_BYTES / 3);

/** scripts/sha256-wasm.js's output. */
export const SHA256_WASM =
  "AGFzbQEAAAABBgFgAn9/AAMCAQAFAwEAAQcOAgFtAgAGYmxvY2tzAAAK+AMB9QMBDH8CQANAIAAgAU8NAUEAIQoDQCAKQQJ0IAAgCkECdGoiDS0AAEEYdCANLQABQRB0ciANLQACQQh0ciANLQADcjYCwAIgCkEBaiIKQRBJDQALA0AgCkECdCENIA0gDSgChAIhCyALQQd4IAtBEnhzIAtBA3ZzIA0oArgCIQwgDEEReCAMQRN4cyAMQQp2c2ogDSgCgAJqIA0oAqQCajYCwAIgCkEBaiIKQcAASQ0AC0EAKAIAIQJBACgCBCEDQQAoAgghBEEAKAIMIQVBACgCECEGQQAoAhQhB0EAKAIYIQhBACgCHCEJQQAhCgNAIApBAnQhDSAJIAZBBnggBkELeHMgBkEZeHNqIAYgB3EgBkF/cyAIcXNqIA0oAkBqIA0oAsACaiELIAJBAnggAkENeHMgAkEWeHMgAiADcSACIARxcyADIARxc2ohDCAIIQkgByEIIAYhByAFIAtqIQYgBCEFIAMhBCACIQMgCyAMaiECIApBAWoiCkHAAEkNAAtBAEEAKAIAIAJqNgIAQQBBACgCBCADajYCBEEAQQAoAgggBGo2AghBAEEAKAIMIAVqNgIMQQBBACgCECAGajYCEEEAQQAoAhQgB2o2AhRBAEEAKAIYIAhqNgIYQQBBACgCHCAJajYCHCAAQcAAaiEADAALCwsLiAIBAEHAAAuAApgvikKRRDdxz/vAtaXbtelbwlY58RHxWaSCP5LVXhyrmKoH2AFbgxK+hTEkw30MVXRdvnL+sd6Apwbcm3Txm8HBaZvkhke+78adwQ/MoQwkbyzpLaqEdErcqbBc2oj5dlJRPphtxjGoyCcDsMd/Wb/zC+DGR5Gn1VFjygZnKSkUhQq3JzghGy78bSxNEw04U1RzCmW7Cmp2LsnCgYUscpKh6L+iS2YaqHCLS8KjUWzHGeiS0SQGmdaFNQ70cKBqEBbBpBkIbDceTHdIJ7W8sDSzDBw5SqrYTk/KnFvzby5o7oKPdG9jpXgUeMiECALHjPr/vpDrbFCk96P5vvJ4ccY=";

const IV = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
let wasm: { memory: WebAssembly.Memory; blocks: (p: number, end: number) => void } | undefined;

/** FIPS 180-4 padding around the message, then the module's compression of every block. */
export function wasmSha256(message: Uint8Array): string {
  if (message.length > WASM_MAX_BYTES) throw new RangeError(`${message.length} bytes do not fit the WebAssembly memory`);
  if (!wasm) {
    const { m, blocks } = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(SHA256_WASM, "base64"))).exports;
    wasm = { memory: m as WebAssembly.Memory, blocks: blocks as (p: number, end: number) => void };
  }
  const memory = new Uint8Array(wasm.memory.buffer);
  const state = new Int32Array(wasm.memory.buffer, 0, 8);
  state.set(IV);
  const n = message.length;
  const padded = (n + 9 + 63) & ~63;
  memory.set(message, DATA);
  memory.fill(0, DATA + n, DATA + padded);
  memory[DATA + n] = 0x80;
  const view = new DataView(wasm.memory.buffer);
  view.setUint32(DATA + padded - 8, Math.floor(n / 2 ** 29));
  view.setUint32(DATA + padded - 4, (n * 8) >>> 0);
  wasm.blocks(DATA, DATA + padded);
  let hex = "";
  for (let i = 0; i < 8; i++) hex += (state[i]! >>> 0).toString(16).padStart(8, "0");
  return hex;
}
