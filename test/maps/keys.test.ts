/** The program path builds hash-map keys straight from memory; they must equal the user path's keys. */
import { describe, expect, it } from 'vitest';
import { keyString, keyStringAt, readU32 } from '../../src/maps/map.js';

describe('map keys read from memory', () => {
  it('keyStringAt gives keyString of the same bytes for every size, and readU32 reads little-endian', () => {
    const mem = new Uint8Array(256);
    for (let i = 0; i < mem.length; i++) mem[i] = (i * 151 + 7) & 0xff;
    for (const size of [1, 2, 3, 4, 5, 8, 12, 13, 16, 36, 64, 65, 100]) {
      for (const at of [0, 3, 17]) expect(keyStringAt(mem, at, size)).toBe(keyString(mem.subarray(at, at + size)));
    }
    expect(readU32(Uint8Array.from([0x78, 0x56, 0x34, 0x12]))).toBe(0x12345678);
    expect(readU32(Uint8Array.from([0xff, 0xff, 0xff, 0xff]))).toBe(0xffffffff);
  });
});
