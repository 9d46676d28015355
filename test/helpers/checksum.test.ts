import { describe, expect, it } from 'vitest';
import { onesComplementSum32 } from '../../src/helpers/checksum.js';

/** Reference: the same sum with BigInt and explicit end-around carries, word by word. */
function reference(words: number[], seed: number): number {
  let s = BigInt(seed >>> 0);
  for (const w of words) {
    s += BigInt(w >>> 0);
    if (s > 0xffffffffn) s = (s & 0xffffffffn) + 1n;
  }
  return Number(s);
}

describe('csum_partial 32-bit ones-complement sum', () => {
  it('is 0 only for all-zero input', () => {
    expect(onesComplementSum32([0, 0], 0)).toBe(0);
    expect(onesComplementSum32([0xffffffff], 0)).toBe(0xffffffff);
    expect(onesComplementSum32([1, 0xfffffffe], 0)).toBe(0xffffffff);
  });

  it('matches an end-around-carry reference on random inputs', () => {
    let x = 12345;
    const rnd = (): number => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return x;
    };
    for (let t = 0; t < 2000; t++) {
      const n = rnd() % 130;
      const words = Array.from({ length: n }, () => (rnd() % 4 === 0 ? 0xffffffff : rnd()));
      const seed = rnd() % 3 === 0 ? 0 : rnd();
      expect(onesComplementSum32(words, seed)).toBe(reference(words, seed));
    }
  });
});
