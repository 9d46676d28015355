import { describe, expect, it } from 'vitest';
import { MalformedInputError } from '../../src/errors/index.js';
import {
  checkByteMasks,
  internetChecksum,
  ipv4PseudoSum,
  ipv4TcpSynFrame,
  maskedChecksumProblems,
  maskHex,
  toHex,
  type ByteMask,
} from '../../src/packet/index.js';
import { diffCaseResults } from '../differential/golden.js';

const SEQ: ByteMask = { offset: 38, length: 4, why: 'cookie' };
const CHECK: ByteMask = { offset: 50, length: 2, why: 'checksum over the cookie', checksum: true };

describe('byte masks of output frames', () => {
  const frame = ipv4TcpSynFrame();
  const hex = toHex(frame);

  it('blank out exactly the masked bytes and nothing past the frame', () => {
    const masked = maskHex(hex, [SEQ, { offset: frame.length - 1, length: 8, why: 'tail' }]);
    expect(masked.slice(76, 84)).toBe('........');
    expect(masked.slice(0, 76)).toBe(hex.slice(0, 76));
    expect(masked.slice(84, -2)).toBe(hex.slice(84, -2));
    expect(masked.endsWith('..')).toBe(true);
    expect(masked.length).toBe(hex.length);
    expect(maskHex(hex, [])).toBe(hex);
  });

  it('leave out only the masked bits of a byte when bits is given', () => {
    const low6Kept: ByteMask = { offset: 38, length: 2, why: 'clock in the high bits', bits: 0xc0 };
    const other = Uint8Array.from(frame);
    other[38] ^= 0x80;
    other[39] ^= 0x40;
    expect(maskHex(toHex(other), [low6Kept])).toBe(maskHex(hex, [low6Kept]));
    expect(maskHex(hex, [low6Kept]).slice(76, 80)).toBe([frame[38], frame[39]].map((b) => (b & 0x3f).toString(16).padStart(2, '0')).join(''));
    other[39] ^= 0x01;
    expect(maskHex(toHex(other), [low6Kept])).not.toBe(maskHex(hex, [low6Kept]));
    expect(maskHex(hex, [low6Kept, SEQ]).slice(76, 84)).toBe('........');
    expect(maskHex(hex, [SEQ, low6Kept]).slice(76, 84)).toBe('........');
    for (const bits of [0, 256, 1.5]) expect(() => checkByteMasks([{ ...low6Kept, bits }], 'here')).toThrow(MalformedInputError);
  });

  it('report wrong checksums only when a mask hides a checksum', () => {
    const broken = Uint8Array.from(frame);
    broken[38] ^= 1;
    expect(maskedChecksumProblems(toHex(broken), [SEQ, CHECK])).toEqual(['tcp at offset 34: wrong checksum']);
    expect(maskedChecksumProblems(toHex(broken), [SEQ])).toEqual([]);
    expect(maskedChecksumProblems(hex, [SEQ, CHECK])).toEqual([]);
  });

  it('must each have an offset, a length and a reason', () => {
    expect(() => checkByteMasks([SEQ, CHECK], 'here')).not.toThrow();
    for (const bad of [
      { ...SEQ, offset: -1 },
      { ...SEQ, length: 0 },
      { ...SEQ, why: ' ' },
      { ...SEQ, offset: 1.5 },
    ]) {
      expect(() => checkByteMasks([bad], 'scenario x')).toThrow(MalformedInputError);
    }
  });

  it('leave every other byte, the verdict, the maps and the checksum compared (diffCaseResults)', () => {
    const result = (data: Uint8Array, retval = 3, value = '01') => ({ retval, dataOut: toHex(data), maps: { m: [{ key: '00', value }] } });
    const other = Uint8Array.from(frame);
    // Another cookie and a checksum that is right for it: equal under the masks.
    other[38] ^= 0x80;
    other[50] = other[51] = 0;
    const sum = internetChecksum(other.subarray(34), ipv4PseudoSum(other.subarray(26, 30), other.subarray(30, 34), 6, other.length - 34));
    other[50] = sum >> 8;
    other[51] = sum & 0xff;
    expect(maskedChecksumProblems(toHex(other), [CHECK])).toEqual([]);
    expect(diffCaseResults(result(frame), result(other), [SEQ, CHECK])).toEqual([]);
    expect(diffCaseResults(result(frame), result(other))).toHaveLength(1);

    const port = Uint8Array.from(other);
    port[36] ^= 1;
    expect(diffCaseResults(result(frame), result(port), [SEQ, CHECK]).join()).toMatch(/output frame differs from byte 36/);
    const badSum = Uint8Array.from(frame);
    badSum[38] ^= 0x80;
    expect(diffCaseResults(result(frame), result(badSum), [SEQ, CHECK])).toEqual([
      'output frame: tcp at offset 34: wrong checksum (the checksum is masked, but must be right)',
    ]);
    expect(diffCaseResults(result(frame), result(other, 2), [SEQ, CHECK])).toEqual(['retval 2, expected 3']);
    expect(diffCaseResults(result(frame), result(other, 3, '02'), [SEQ, CHECK])).toEqual(['map m key 00: value 02, expected 01']);
  });
});
