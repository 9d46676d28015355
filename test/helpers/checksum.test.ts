import { describe, expect, it } from 'vitest';
import { csumDiff, csumFrom32To16, csumPartial } from '../../src/helpers/checksum.js';

/** Reference csum_partial: BigInt sum of LE words with explicit end-around carries, word by word. */
function reference(bytes: Uint8Array, seed: number): number {
  const padded = new Uint8Array((bytes.length + 3) & ~3);
  padded.set(bytes);
  const dv = new DataView(padded.buffer);
  let s = BigInt(seed >>> 0);
  for (let i = 0; i < padded.length; i += 4) {
    s += BigInt(dv.getUint32(i, true));
    if (s > 0xffffffffn) s = (s & 0xffffffffn) + 1n;
  }
  return Number(s);
}

let x = 12345;
const rnd = (): number => {
  x = (Math.imul(x, 1103515245) + 12345) >>> 0;
  return x;
};
const randomBytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => (rnd() % 5 === 0 ? 0xff : rnd() & 0xff));

describe('csum_partial', () => {
  it('is 0 only for all-zero input', () => {
    expect(csumPartial(new Uint8Array(8), 0)).toBe(0);
    expect(csumPartial(new Uint8Array([0xff, 0xff, 0xff, 0xff]), 0)).toBe(0xffffffff);
  });

  it('matches an end-around-carry reference for any length, including odd tails', () => {
    for (let t = 0; t < 2000; t++) {
      const bytes = randomBytes(rnd() % 70);
      const seed = rnd() % 3 === 0 ? 0 : rnd();
      expect(csumPartial(bytes, seed)).toBe(reference(bytes, seed));
    }
  });
});

describe("bpf_csum_diff (kernel ≥ 6.12 definition, values observed on this machine's kernel)", () => {
  it('folds a lone seed to 16 bits: 0xdeadbeef → 0x9d9d', () => {
    expect(csumDiff(new Uint8Array(0), new Uint8Array(0), 0xdeadbeef)).toBe(0x9d9d);
  });

  it('csum_from32to16 adds the halves with carry', () => {
    expect(csumFrom32To16(0x0001ffff)).toBe(0x0001);
    expect(csumFrom32To16(0xffffffff)).toBe(0xffff);
    expect(csumFrom32To16(0)).toBe(0);
  });

  it('the diff of equal buffers cancels to 0xffff (negative zero) and folds the sum otherwise', () => {
    const a = randomBytes(20);
    expect(csumDiff(a, a, 0)).toBe(0xffff);
    const b = Uint8Array.from(a);
    b[3] ^= 0x10;
    expect(csumDiff(a, b, 0)).not.toBe(0xffff);
  });
});
