import type { AddressSpace } from '../vm/address-space.js';
import type { HelperSpec } from '../vm/helper.js';

const M = 0xffffffff;

/**
 * x86 csum_partial: the 32-bit ones'-complement sum of `bytes` read as little-endian 32-bit
 * words (a short tail zero-padded) plus `seed`, with end-around carries. Such a sum is 0 only
 * when every summand is 0; otherwise it is the value in [1, 2^32-1] congruent to the plain sum
 * modulo 2^32-1, whatever order or word size the kernel accumulates in.
 */
export function csumPartial(bytes: Uint8Array, seed: number): number {
  let sum = seed >>> 0;
  let any = sum !== 0;
  const full = bytes.length & ~3;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < full; i += 4) {
    const w = dv.getUint32(i, true);
    if (w !== 0) any = true;
    sum += w;
    if (sum >= 2 ** 52) sum = (sum % M) + M;
  }
  let tail = 0;
  for (let i = full; i < bytes.length; i++) tail |= bytes[i] << (8 * (i - full));
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
  let ret = seed >>> 0;
  if (from.length && to.length) ret = csumAdd(csumPartial(to, ret), ~csumPartial(from, 0) >>> 0);
  else if (to.length) ret = csumPartial(to, ret);
  else if (from.length) ret = ~csumPartial(from, ~ret >>> 0) >>> 0;
  return csumFrom32To16(ret);
}

function readArg(space: AddressSpace, addr: number, size: number): Uint8Array {
  return size === 0 ? new Uint8Array(0) : space.bytes(addr, size);
}

export const checksumHelpers: HelperSpec[] = [
  {
    id: 28,
    name: 'bpf_csum_diff',
    fn: (c) => {
      const fromSize = c.lo(2);
      const toSize = c.lo(4);
      const from = readArg(c.space, fromSize ? c.addr(1) : 0, fromSize);
      const to = readArg(c.space, toSize ? c.addr(3) : 0, toSize);
      return csumDiff(from, to, c.lo(5));
    },
  },
];
