import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readCollectionSpec } from '../../src/elf/index.js';
import { XdpchainError } from '../../src/errors/index.js';

const objects = [
  ...['firewall', 'tail_call', 'load_balancer', 'loop', 'redirect'].map((n) => ({ name: n, url: new URL(`../../progs/build/${n}.o`, import.meta.url) })),
  { name: 'features', url: new URL('../fixtures/elf/features.o', import.meta.url) },
].map(({ name, url }) => ({ name, bytes: new Uint8Array(readFileSync(url)) }));

function prng(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>>= 0) / 2 ** 32;
  };
}

/** Parse a variant: only typed, diagnosed errors are acceptable (never the unexpected-error safety net). */
function check(bytes: Uint8Array, label: string): 'ok' | 'refused' {
  try {
    readCollectionSpec(bytes, { source: label });
    return 'ok';
  } catch (e) {
    if (!(e instanceof XdpchainError)) throw new Error(`${label}: raw ${(e as Error).name}: ${(e as Error).message}`);
    if (e.detail.unexpected) throw new Error(`${label}: parser bug caught by the safety net: ${e.message}`);
    return 'refused';
  }
}

describe('hostile ELF objects yield typed errors only', () => {
  it('survives truncation at every 7th length and thousands of mutations', () => {
    const rnd = prng(0xc0ffee);
    let refused = 0;
    let variants = 0;
    for (const { name, bytes } of objects) {
      for (let len = 0; len < bytes.length; len += 7) {
        variants++;
        if (check(bytes.subarray(0, len), `${name} cut at ${len}`) === 'refused') refused++;
      }
      // Byte flips, biased to the ELF header, section headers and the BTF, where structure lives.
      for (let i = 0; i < 600; i++) {
        const v = Uint8Array.from(bytes);
        const n = 1 + Math.floor(rnd() * 4);
        for (let k = 0; k < n; k++) {
          const zone = rnd();
          const at =
            zone < 0.2 ? Math.floor(rnd() * 64) : zone < 0.5 ? v.length - 1 - Math.floor(rnd() * Math.min(v.length, 31 * 64)) : Math.floor(rnd() * v.length);
          v[at] = rnd() < 0.3 ? 0xff : Math.floor(rnd() * 256);
        }
        variants++;
        if (check(v, `${name} mutation ${i}`) === 'refused') refused++;
      }
      // Huge 32-bit values written at aligned offsets (lengths, counts, offsets).
      for (let i = 0; i < 200; i++) {
        const v = Uint8Array.from(bytes);
        const at = Math.floor(rnd() * (v.length / 4)) * 4;
        new DataView(v.buffer).setUint32(at, [0xffffffff, 0x7fffffff, 0x10000, 0][i % 4], true);
        variants++;
        if (check(v, `${name} word ${at}`) === 'refused') refused++;
      }
    }
    expect(variants).toBeGreaterThan(5000);
    // Most variants must actually be refused, or the mutations are not reaching the parser.
    expect(refused).toBeGreaterThan(variants / 4);
  });
});
