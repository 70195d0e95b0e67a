// The WebAssembly SHA-256 compression function of src/output/sha256.ts, assembled here
// from the instructions below (FIPS 180-4, section 6.2.2). Prints the module as base64:
//
//   node scripts/sha256-wasm.js          (test/unit/sha256.test.ts checks src/ holds this output)
//
// The module exports its memory "m" (one 64 KiB page) and blocks(p, end), which runs the
// compression over the 64-byte blocks in [p, end) of that memory. The state H is 8 i32 at
// offset 0, the round constants K at 64, the message schedule W at 320; callers put the
// padded message from offset 1024.

import { fileURLToPath } from "node:url";

const K = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be,
  0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa,
  0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85,
  0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
  0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f,
  0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/** LEB128, signed and unsigned. */
function sleb(v) {
  const out = [];
  v |= 0;
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && !(b & 0x40)) || (v === -1 && b & 0x40)) return [...out, b];
    out.push(b | 0x80);
  }
}
function uleb(v) {
  const out = [];
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
}

export function sha256Wasm() {
  // Locals: the parameters p and end, then a..h, the round i, t1, t2 and a scratch x.
  const [P, END, A, B, C, D, E, F, G, H, I, T1, T2, X] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13];
  const code = [];
  const op = (...bytes) => code.push(...bytes);
  const get = (l) => op(0x20, l);
  const set = (l) => op(0x21, l);
  const tee = (l) => op(0x22, l);
  const i32 = (v) => op(0x41, ...sleb(v));
  const add = () => op(0x6a);
  const and = () => op(0x71);
  const or = () => op(0x72);
  const xor = () => op(0x73);
  const shl = () => op(0x74);
  const shrU = () => op(0x76);
  const rotr = () => op(0x78);
  const load = (offset) => op(0x28, 2, ...uleb(offset));
  const load8 = (offset) => op(0x2d, 0, ...uleb(offset));
  const store = (offset) => op(0x36, 2, ...uleb(offset));
  const rot = (l, n) => (get(l), i32(n), rotr());
  /** i += 1; loop again while i < n (the innermost loop). */
  const next = (n) => (get(I), i32(1), add(), tee(I), i32(n), op(0x49), op(0x0d, 0));

  op(0x02, 0x40); // block $done
  op(0x03, 0x40); // loop $block
  (get(P), get(END), op(0x4f), op(0x0d, 1)); // p >= end: br $done
  // W[0..15]: the block's big-endian words.
  (i32(0), set(I));
  op(0x03, 0x40);
  (get(I), i32(2), shl()); // the address of W[i] (plus 320)
  (get(P), get(I), i32(2), shl(), add(), tee(X), load8(0), i32(24), shl());
  (get(X), load8(1), i32(16), shl(), or());
  (get(X), load8(2), i32(8), shl(), or());
  (get(X), load8(3), or());
  store(320);
  next(16);
  op(0x0b);
  // W[16..63] = σ1(W[i-2]) + W[i-7] + σ0(W[i-15]) + W[i-16]
  op(0x03, 0x40);
  (get(I), i32(2), shl(), set(X));
  get(X);
  (get(X), load(320 - 60), set(T1));
  (rot(T1, 7), rot(T1, 18), xor(), get(T1), i32(3), shrU(), xor());
  (get(X), load(320 - 8), set(T2));
  (rot(T2, 17), rot(T2, 19), xor(), get(T2), i32(10), shrU(), xor());
  add();
  (get(X), load(320 - 64), add());
  (get(X), load(320 - 28), add());
  store(320);
  next(64);
  op(0x0b);
  // a..h = H
  [A, B, C, D, E, F, G, H].forEach((l, k) => (i32(0), load(k * 4), set(l)));
  // 64 rounds.
  (i32(0), set(I));
  op(0x03, 0x40);
  (get(I), i32(2), shl(), set(X));
  // t1 = h + Σ1(e) + Ch(e, f, g) + K[i] + W[i]
  get(H);
  (rot(E, 6), rot(E, 11), xor(), rot(E, 25), xor(), add());
  (get(E), get(F), and(), get(E), i32(-1), xor(), get(G), and(), xor(), add());
  (get(X), load(64), add());
  (get(X), load(320), add());
  set(T1);
  // t2 = Σ0(a) + Maj(a, b, c)
  (rot(A, 2), rot(A, 13), xor(), rot(A, 22), xor());
  (get(A), get(B), and(), get(A), get(C), and(), xor(), get(B), get(C), and(), xor(), add());
  set(T2);
  (get(G), set(H), get(F), set(G), get(E), set(F));
  (get(D), get(T1), add(), set(E));
  (get(C), set(D), get(B), set(C), get(A), set(B));
  (get(T1), get(T2), add(), set(A));
  next(64);
  op(0x0b);
  // H += a..h; p += 64; next block.
  [A, B, C, D, E, F, G, H].forEach((l, k) => (i32(0), i32(0), load(k * 4), get(l), add(), store(k * 4)));
  (get(P), i32(64), add(), set(P));
  op(0x0c, 0); // br $block
  op(0x0b); // end loop
  op(0x0b); // end block
  op(0x0b); // end function

  const body = [1, 12, 0x7f, ...code]; // one group of 12 i32 locals (2..13)
  const section = (id, bytes) => [id, ...uleb(bytes.length), ...bytes];
  const vec = (items) => [...uleb(items.length), ...items.flat()];
  const name = (s) => [...uleb(s.length), ...Buffer.from(s)];
  const k = [...Buffer.from(new Int32Array(K).buffer)]; // little-endian, as i32.load reads them
  return Buffer.from([
    ...[0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0],
    ...section(1, vec([[0x60, 2, 0x7f, 0x7f, 0]])), // type 0: (i32, i32) -> ()
    ...section(3, vec([[0]])), // function 0 has type 0
    ...section(5, vec([[0, 1]])), // one memory, one page
    ...section(
      7,
      vec([
        [...name("m"), 2, 0],
        [...name("blocks"), 0, 0],
      ]),
    ),
    ...section(10, vec([[...uleb(body.length), ...body]])),
    ...section(11, vec([[0, 0x41, ...sleb(64), 0x0b, ...uleb(k.length), ...k]])), // K at 64
  ]).toString("base64");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(sha256Wasm());
