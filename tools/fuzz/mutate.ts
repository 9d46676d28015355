import { concat } from '../../src/packet/bytes.js';
import type { Rng } from './prng.js';

/** Byte values that sit on boundaries parsers get wrong: zero, all ones, the sign bit's edges. */
export const INTERESTING_BYTES = [0x00, 0xff, 0x7f, 0x80, 0x01, 0xfe] as const;
/** 32-bit values for length, offset and count fields: empty, one, tiny, page-ish, sign edges, huge. */
export const INTERESTING_U32 = [0, 1, 2, 4, 7, 8, 12, 16, 64, 255, 256, 4095, 4096, 65535, 65536, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff] as const;

/** A value for a 32-bit field: an interesting one, a small step from the old one, or random. */
export function interestingU32(rng: Rng, old: number): number {
  switch (rng.below(4)) {
    case 0:
      return (old + rng.below(17) - 8) >>> 0;
    case 1:
      return rng.u32();
    default:
      return rng.pick(INTERESTING_U32);
  }
}

type ByteMutation = (rng: Rng, input: Uint8Array, others: readonly Uint8Array[]) => Uint8Array;

const span = (rng: Rng, length: number): [number, number] => {
  const start = rng.below(length + 1);
  const len = Math.min(length - start, 1 + rng.below(rng.oneIn(4) ? 256 : 16));
  return [start, start + len];
};

const BYTE_MUTATIONS: readonly ByteMutation[] = [
  function flipBit(rng, input) {
    if (input.length === 0) return input;
    const i = rng.below(input.length);
    input[i] ^= 1 << rng.below(8);
    return input;
  },
  function setInterestingByte(rng, input) {
    if (input.length === 0) return input;
    input[rng.below(input.length)] = rng.pick(INTERESTING_BYTES);
    return input;
  },
  function setInterestingWord(rng, input) {
    if (input.length < 4) return input;
    const at = rng.below(input.length - 3) & (rng.oneIn(2) ? ~3 : ~0);
    const dv = new DataView(input.buffer, input.byteOffset, input.byteLength);
    dv.setUint32(at, interestingU32(rng, dv.getUint32(at, true)), rng.oneIn(4) ? false : true);
    return input;
  },
  function randomByte(rng, input) {
    if (input.length === 0) return input;
    input[rng.below(input.length)] = rng.below(256);
    return input;
  },
  function truncate(rng, input) {
    return input.slice(0, rng.below(input.length + 1));
  },
  function deleteRange(rng, input) {
    const [a, b] = span(rng, input.length);
    return concat([input.subarray(0, a), input.subarray(b)]);
  },
  function duplicateRange(rng, input) {
    const [a, b] = span(rng, input.length);
    return concat([input.subarray(0, b), input.subarray(a, b), input.subarray(b)]);
  },
  function insertRandom(rng, input) {
    const at = rng.below(input.length + 1);
    const extra = Uint8Array.from({ length: 1 + rng.below(16) }, () => rng.below(256));
    return concat([input.subarray(0, at), extra, input.subarray(at)]);
  },
  function splice(rng, input, others) {
    if (others.length === 0) return input;
    const other = rng.pick(others);
    const [a, b] = span(rng, other.length);
    const at = rng.below(input.length + 1);
    // Either overwrite in place (offsets stay valid, contents change) or insert (everything after shifts).
    if (rng.oneIn(2)) {
      const out = input.slice();
      out.set(other.subarray(a, Math.min(b, a + out.length - at)), at);
      return out;
    }
    return concat([input.subarray(0, at), other.subarray(a, b), input.subarray(at)]);
  },
];

/** Apply one to four bytewise mutations (bit flips, interesting values, truncation, splicing, ...). */
export function mutateBytes(rng: Rng, input: Uint8Array, others: readonly Uint8Array[] = []): Uint8Array {
  let out: Uint8Array = input.slice();
  const rounds = 1 + rng.below(4);
  for (let i = 0; i < rounds; i++) out = rng.pick(BYTE_MUTATIONS)(rng, out, others);
  return out;
}

/** Bytewise mutations confined to [start, end) of the input: deep structures stay reachable. */
export function mutateRange(rng: Rng, input: Uint8Array, start: number, end: number): Uint8Array {
  const out = input.slice();
  const rounds = 1 + rng.below(4);
  for (let i = 0; i < rounds && end > start; i++) {
    const at = start + rng.below(end - start);
    if (rng.oneIn(3) && at + 4 <= end) {
      const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
      dv.setUint32(at, interestingU32(rng, dv.getUint32(at, true)), true);
    } else if (rng.oneIn(2)) out[at] = rng.pick(INTERESTING_BYTES);
    else out[at] ^= 1 << rng.below(8);
  }
  return out;
}
