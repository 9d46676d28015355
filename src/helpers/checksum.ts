import type { HelperSpec } from '../vm/helper.js';
import { inlineCsumDiff } from '../vm/wasm/inline-maps.js';

const M = 0xffffffff;

/**
 * x86 csum_partial: the 32-bit ones'-complement sum of `bytes` read as little-endian 32-bit
 * words (a short tail zero-padded) plus `seed`, with end-around carries. Such a sum is 0 only
 * when every summand is 0; otherwise it is the value in [1, 2^32-1] congruent to the plain sum
 * modulo 2^32-1, whatever order or word size the kernel accumulates in.
 */
export function csumPartial(bytes: Uint8Array, seed: number): number {
  return csumPartialAt(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), 0, bytes.length, seed);
}

/** csumPartial of `length` bytes at `offset` of `dv`, without copying them (the helper's hot path). */
function csumPartialAt(dv: DataView, offset: number, length: number, seed: number): number {
  let sum = seed >>> 0;
  let any = sum !== 0;
  const full = offset + (length & ~3);
  for (let i = offset; i < full; i += 4) {
    const w = dv.getUint32(i, true);
    if (w !== 0) any = true;
    sum += w;
    if (sum >= 2 ** 52) sum = (sum % M) + M;
  }
  let tail = 0;
  for (let i = full; i < offset + length; i++) tail |= dv.getUint8(i) << (8 * (i - full));
  tail >>>= 0;
  if (tail !== 0) any = true;
  sum += tail;
  return any ? ((sum - 1) % M) + 1 : 0;
}

/** csum_add with end-around carry. */
function csumAdd(a: number, b: number): number {
  const r = (a >>> 0) + (b >>> 0);
  return r > M ? r - M : r;
}

/** csum_from32to16: fold a 32-bit partial sum to 16 bits (not complemented). */
export function csumFrom32To16(sum: number): number {
  const rotated = ((sum >>> 16) | (sum << 16)) >>> 0;
  return (((sum >>> 0) + rotated) >>> 16) & 0xffff;
}

/**
 * bpf_csum_diff as the current kernel defines it: csum_partial of `to` minus csum_partial of
 * `from`, seeded, folded to 16 bits. Sizes need not be multiples of 4.
 */
export function csumDiff(from: Uint8Array, to: Uint8Array, seed: number): number {
  const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
  return csumDiffAt(view(from), 0, from.length, view(to), 0, to.length, seed);
}

function csumDiffAt(fromDv: DataView, from: number, fromSize: number, toDv: DataView, to: number, toSize: number, seed: number): number {
  let ret = seed >>> 0;
  if (fromSize && toSize) ret = csumAdd(csumPartialAt(toDv, to, toSize, ret), ~csumPartialAt(fromDv, from, fromSize, 0) >>> 0);
  else if (toSize) ret = csumPartialAt(toDv, to, toSize, ret);
  else if (fromSize) ret = ~csumPartialAt(fromDv, from, fromSize, ~ret >>> 0) >>> 0;
  return csumFrom32To16(ret);
}

export const checksumHelpers: HelperSpec[] = [
  {
    id: 28,
    name: 'bpf_csum_diff',
    wasm: inlineCsumDiff,
    fn: (c) => {
      const fromSize = c.lo(2);
      const toSize = c.lo(4);
      const from = fromSize ? c.space.check(c.addr(1), fromSize) : 0;
      const to = toSize ? c.space.check(c.addr(3), toSize) : 0;
      const dv = c.space.dv;
      return csumDiffAt(dv, from, fromSize, dv, to, toSize, c.lo(5));
    },
  },
];
