/**
 * SipHash-2-4 (Aumasson and Bernstein), the keyed hash the kernel's SYN cookies use. 64-bit
 * words are kept as pairs of u32 in a scratch array, since BigInt arithmetic would cost far more
 * than the cookie it computes. Message and key bytes are read little-endian, as the kernel's
 * siphash() reads memory on x86.
 */

/** A SipHash key: 16 bytes as four little-endian u32 words (k0 = words 0-1, k1 = words 2-3). */
export type SipHashKey = Uint32Array;

/** v0..v3 as [lo, hi] pairs: v0 = s[0..1], v1 = s[2..3], v2 = s[4..5], v3 = s[6..7]. */
const s = new Uint32Array(8);

/** x += y (64-bit) for the words at indexes x, y of `s`. */
function add(x: number, y: number): void {
  const lo = s[x] + s[y];
  s[x + 1] = (s[x + 1] + s[y + 1] + (lo > 0xffffffff ? 1 : 0)) >>> 0;
  s[x] = lo >>> 0;
}

/** Rotate the word at x left by n (0 < n < 32). */
function rotl(x: number, n: number): void {
  const lo = s[x];
  const hi = s[x + 1];
  s[x] = ((lo << n) | (hi >>> (32 - n))) >>> 0;
  s[x + 1] = ((hi << n) | (lo >>> (32 - n))) >>> 0;
}

/** Rotate by 32: swap the halves. */
function swap(x: number): void {
  const lo = s[x];
  s[x] = s[x + 1];
  s[x + 1] = lo;
}

function xorInto(x: number, y: number): void {
  s[x] ^= s[y];
  s[x + 1] ^= s[y + 1];
}

const V0 = 0;
const V1 = 2;
const V2 = 4;
const V3 = 6;

function sipRound(): void {
  add(V0, V1);
  rotl(V1, 13);
  xorInto(V1, V0);
  swap(V0);
  add(V2, V3);
  rotl(V3, 16);
  xorInto(V3, V2);
  add(V0, V3);
  rotl(V3, 21);
  xorInto(V3, V0);
  add(V2, V1);
  rotl(V1, 17);
  xorInto(V1, V2);
  swap(V2);
}

/** One message word m = (lo, hi): v3 ^= m, two rounds, v0 ^= m. */
function compress(lo: number, hi: number): void {
  s[V3] ^= lo;
  s[V3 + 1] ^= hi;
  sipRound();
  sipRound();
  s[V0] ^= lo;
  s[V0 + 1] ^= hi;
}

/**
 * SipHash-2-4 of `length` bytes of `dv` from `offset` under `key`; returns the 64-bit result as
 * [low 32 bits, high 32 bits] in `out` (reused by callers on hot paths).
 */
export function siphash24(key: SipHashKey, dv: DataView, offset: number, length: number, out: Uint32Array): Uint32Array {
  // "somepseudorandomlygeneratedbytes" as the four initial constants.
  s[V0] = key[0] ^ 0x70736575;
  s[V0 + 1] = key[1] ^ 0x736f6d65;
  s[V1] = key[2] ^ 0x6e646f6d;
  s[V1 + 1] = key[3] ^ 0x646f7261;
  s[V2] = key[0] ^ 0x6e657261;
  s[V2 + 1] = key[1] ^ 0x6c796765;
  s[V3] = key[2] ^ 0x79746573;
  s[V3 + 1] = key[3] ^ 0x74656462;
  const whole = offset + (length & ~7);
  for (let i = offset; i < whole; i += 8) compress(dv.getUint32(i, true), dv.getUint32(i + 4, true));
  // The last word: the remaining bytes, and the length's low byte in the top byte.
  let lo = 0;
  let hi = (length & 0xff) << 24;
  for (let i = whole; i < offset + length; i++) {
    const k = i - whole;
    if (k < 4) lo |= dv.getUint8(i) << (8 * k);
    else hi |= dv.getUint8(i) << (8 * (k - 4));
  }
  compress(lo >>> 0, hi >>> 0);
  s[V2] ^= 0xff;
  for (let r = 0; r < 4; r++) sipRound();
  out[0] = (s[V0] ^ s[V1] ^ s[V2] ^ s[V3]) >>> 0;
  out[1] = (s[V0 + 1] ^ s[V1 + 1] ^ s[V2 + 1] ^ s[V3 + 1]) >>> 0;
  return out;
}
