import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeRaw } from '../../src/isa/raw.js';
import { programTag } from '../../src/runtime/tag.js';

describe('program tag', () => {
  it('matches the tag bpftool prog show printed for the same instructions (kernel 6.18, SHA-256)', () => {
    // Instructions of a small XDP program; the kernel printed tag c03ed94f1724c22d for them.
    const insns = decodeRaw(new Uint8Array(readFileSync(new URL('../fixtures/tag/xor-first-byte.bin', import.meta.url))));
    expect(programTag(insns)).toBe('c03ed94f1724c22d');
  });

  it('ignores map fd immediates but not other constants', () => {
    const ld = (src: number, imm: number) => [
      { opcode: 0x18, dst: 1, src, off: 0, imm },
      { opcode: 0, dst: 0, src: 0, off: 0, imm: 0 },
      { opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0 },
    ];
    expect(programTag(ld(1, 5))).toBe(programTag(ld(1, 9)));
    expect(programTag(ld(0, 5))).not.toBe(programTag(ld(0, 9)));
  });
});
