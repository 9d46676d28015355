import type { HelperSpec } from '../vm/helper.js';

const EINVAL = -22;
/** The kernel's per-CPU scratchpad for bpf_csum_diff holds 128 words. */
const CSUM_DIFF_MAX_BYTES = 512;

/**
 * Ones'-complement sum as x86's csum_partial returns it: 32-bit, end-around carry, so the
 * result is 0 only when every summand is 0, else ((S - 1) mod (2^32 - 1)) + 1.
 */
export function onesComplementSum32(words: Iterable<number>, seed: number): number {
  let sum = seed >>> 0;
  let any = sum !== 0;
  for (const w of words) {
    sum += w >>> 0;
    if (w !== 0) any = true;
    // Fold periodically so the running sum stays an exact double.
    if (sum > 0x1f_ffff_ffff_ffff / 2) sum = (sum % 0xffffffff) + 0xffffffff;
  }
  if (!any) return 0;
  return ((sum - 1) % 0xffffffff) + 1;
}

export const checksumHelpers: HelperSpec[] = [
  {
    id: 28,
    name: 'bpf_csum_diff',
    fn: (c) => {
      const fromSize = c.lo(2);
      const toSize = c.lo(4);
      if ((fromSize | toSize) & 3 || fromSize + toSize > CSUM_DIFF_MAX_BYTES) return EINVAL;
      const words: number[] = [];
      const dv = c.space.dv;
      if (fromSize > 0) {
        const from = c.addr(1);
        c.space.bytes(from, fromSize);
        for (let i = 0; i < fromSize; i += 4) words.push(~dv.getUint32(from + i, true) >>> 0);
      }
      if (toSize > 0) {
        const to = c.addr(3);
        c.space.bytes(to, toSize);
        for (let i = 0; i < toSize; i += 4) words.push(dv.getUint32(to + i, true));
      }
      return onesComplementSum32(words, c.lo(5));
    },
  },
];
