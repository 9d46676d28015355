/**
 * 64-bit integer arithmetic on (lo, hi) pairs of int32, without BigInt on the common paths.
 * Results are written to `out[0]` (lo) and `out[1]` (hi) to avoid allocating.
 */
export type Pair = Int32Array;

const TWO32 = 4294967296;

export function add64(out: Pair, al: number, ah: number, bl: number, bh: number): void {
  const l = (al >>> 0) + (bl >>> 0);
  out[0] = l | 0;
  out[1] = (ah + bh + (l >= TWO32 ? 1 : 0)) | 0;
}

export function sub64(out: Pair, al: number, ah: number, bl: number, bh: number): void {
  const l = (al >>> 0) - (bl >>> 0);
  out[0] = l | 0;
  out[1] = (ah - bh - (l < 0 ? 1 : 0)) | 0;
}

/** Low 64 bits of the product: 16-bit limbs for lo×lo (exact in doubles), imul for the cross terms. */
export function mul64(out: Pair, al: number, ah: number, bl: number, bh: number): void {
  const a0 = al & 0xffff;
  const a1 = al >>> 16;
  const b0 = bl & 0xffff;
  const b1 = bl >>> 16;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  out[0] = ((mid & 0xffff) << 16) | (p00 & 0xffff);
  const carry = a1 * b1 + Math.floor(p01 / 65536) + Math.floor(p10 / 65536) + Math.floor(mid / 65536);
  out[1] = (carry + Math.imul(al, bh) + Math.imul(ah, bl)) | 0;
}

export function lsh64(out: Pair, al: number, ah: number, n: number): void {
  n &= 63;
  if (n === 0) {
    out[0] = al;
    out[1] = ah;
  } else if (n < 32) {
    out[1] = (ah << n) | (al >>> (32 - n));
    out[0] = al << n;
  } else {
    out[1] = al << (n - 32);
    out[0] = 0;
  }
}

export function rsh64(out: Pair, al: number, ah: number, n: number): void {
  n &= 63;
  if (n === 0) {
    out[0] = al;
    out[1] = ah;
  } else if (n < 32) {
    out[0] = (al >>> n) | (ah << (32 - n));
    out[1] = ah >>> n;
  } else {
    out[0] = ah >>> (n - 32);
    out[1] = 0;
  }
}

export function arsh64(out: Pair, al: number, ah: number, n: number): void {
  n &= 63;
  if (n === 0) {
    out[0] = al;
    out[1] = ah;
  } else if (n < 32) {
    out[0] = (al >>> n) | (ah << (32 - n));
    out[1] = ah >> n;
  } else {
    out[0] = ah >> (n - 32);
    out[1] = ah >> 31;
  }
}

/** The pair as an unsigned bigint (slow path only). */
export const toU64 = (lo: number, hi: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
/** The pair as a signed bigint (slow path only). */
export const toS64 = (lo: number, hi: number): bigint => BigInt.asIntN(64, toU64(lo, hi));

export function fromBig(out: Pair, v: bigint): void {
  const u = BigInt.asUintN(64, v);
  out[0] = Number(u & 0xffffffffn) | 0;
  out[1] = Number(u >> 32n) | 0;
}

/** True when the unsigned pair is below 2^53, so Number arithmetic is exact. */
const smallU = (hi: number): boolean => hi >>> 0 < 0x200000;

/** Unsigned division; divisor 0 gives 0 (RFC 9669). */
export function udiv64(out: Pair, al: number, ah: number, bl: number, bh: number): void {
  if (bl === 0 && bh === 0) {
    out[0] = 0;
    out[1] = 0;
  } else if (smallU(ah) && smallU(bh)) {
    const q = Math.floor(((ah >>> 0) * TWO32 + (al >>> 0)) / ((bh >>> 0) * TWO32 + (bl >>> 0)));
    out[0] = (q % TWO32) | 0;
    out[1] = Math.floor(q / TWO32) | 0;
  } else {
    fromBig(out, toU64(al, ah) / toU64(bl, bh));
  }
}

/** Unsigned modulo; divisor 0 leaves the dividend. */
export function umod64(out: Pair, al: number, ah: number, bl: number, bh: number): void {
  if (bl === 0 && bh === 0) {
    out[0] = al;
    out[1] = ah;
  } else if (smallU(ah) && smallU(bh)) {
    const r = ((ah >>> 0) * TWO32 + (al >>> 0)) % ((bh >>> 0) * TWO32 + (bl >>> 0));
    out[0] = (r % TWO32) | 0;
    out[1] = Math.floor(r / TWO32) | 0;
  } else {
    fromBig(out, toU64(al, ah) % toU64(bl, bh));
  }
}

/** Signed division truncating toward zero; divisor 0 gives 0; INT64_MIN / -1 gives INT64_MIN. */
export function sdiv64(out: Pair, al: number, ah: number, bl: number, bh: number): void {
  if (bl === 0 && bh === 0) {
    out[0] = 0;
    out[1] = 0;
  } else {
    fromBig(out, toS64(al, ah) / toS64(bl, bh));
  }
}

/** Signed modulo with the dividend's sign; divisor 0 leaves the dividend; INT64_MIN % -1 is 0. */
export function smod64(out: Pair, al: number, ah: number, bl: number, bh: number): void {
  if (bl === 0 && bh === 0) {
    out[0] = al;
    out[1] = ah;
  } else {
    fromBig(out, toS64(al, ah) % toS64(bl, bh));
  }
}

/** Unsigned 64-bit compare: negative, zero or positive. */
export function ucmp64(al: number, ah: number, bl: number, bh: number): number {
  const h = (ah >>> 0) - (bh >>> 0);
  return h !== 0 ? h : (al >>> 0) - (bl >>> 0);
}

/** Signed 64-bit compare. */
export function scmp64(al: number, ah: number, bl: number, bh: number): number {
  const h = (ah | 0) - (bh | 0);
  return h !== 0 ? h : (al >>> 0) - (bl >>> 0);
}

export const bswap16 = (v: number): number => ((v & 0xff) << 8) | ((v >>> 8) & 0xff);
export const bswap32 = (v: number): number => ((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24);
