import { interestingU32, mutateBytes, mutateRange } from './mutate.js';
import type { Rng } from './prng.js';

/** A 32-bit field of a capture: where it is, in the file's byte order. */
interface Field {
  at: number;
  size: 2 | 4;
}

/** pcap: version, snap length and link type of the header; captured and original length of each record. */
function pcapFields(bytes: Uint8Array, dv: DataView, little: boolean): Field[] {
  const fields: Field[] = [
    { at: 4, size: 2 },
    { at: 6, size: 2 },
    { at: 16, size: 4 },
    { at: 20, size: 4 },
  ];
  for (let at = 24; at + 16 <= bytes.length;) {
    fields.push({ at: at + 8, size: 4 }, { at: at + 12, size: 4 });
    at += 16 + dv.getUint32(at + 8, little);
  }
  return fields;
}

/**
 * pcapng: each block's type and both lengths, the interface's link type and snap length, the
 * packet block's interface id and lengths, and the first option's code and length.
 */
function pcapngFields(bytes: Uint8Array, dv: DataView, little: boolean): Field[] {
  const fields: Field[] = [];
  for (let at = 0; at + 12 <= bytes.length;) {
    const type = dv.getUint32(at, little);
    const len = dv.getUint32(at + 4, little);
    if (len < 12 || at + len > bytes.length) break;
    fields.push({ at, size: 4 }, { at: at + 4, size: 4 }, { at: at + len - 4, size: 4 });
    if (type === 1) fields.push({ at: at + 8, size: 2 }, { at: at + 12, size: 4 }, { at: at + 16, size: 2 }, { at: at + 18, size: 2 });
    if (type === 6) fields.push({ at: at + 8, size: 4 }, { at: at + 20, size: 4 }, { at: at + 24, size: 4 });
    if (type === 0x0a0d0d0a) fields.push({ at: at + 8, size: 4 }, { at: at + 12, size: 2 });
    at += len;
  }
  return fields;
}

/**
 * Mutate a pcap or pcapng file: a length, link type or block field set to an edge value, the
 * bytes of one record, or bytewise over the whole file.
 */
export function mutateCapture(rng: Rng, seed: Uint8Array, others: readonly Uint8Array[]): Uint8Array {
  if (seed.length < 24 || rng.oneIn(4)) return mutateBytes(rng, seed, others);
  const out = seed.slice();
  const dv = new DataView(out.buffer);
  const magic = dv.getUint32(0, true);
  const ng = magic === 0x0a0d0d0a;
  const little = ng ? dv.getUint32(8, true) === 0x1a2b3c4d : magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const fields = ng ? pcapngFields(out, dv, little) : pcapFields(out, dv, little);
  if (fields.length === 0 || rng.oneIn(4)) return mutateRange(rng, out, 0, out.length);
  const rounds = 1 + rng.below(2);
  for (let i = 0; i < rounds; i++) {
    const f = rng.pick(fields);
    if (f.at + f.size > out.length) continue;
    if (f.size === 2) dv.setUint16(f.at, interestingU32(rng, dv.getUint16(f.at, little)) & 0xffff, little);
    else dv.setUint32(f.at, interestingU32(rng, dv.getUint32(f.at, little)), little);
  }
  return out;
}
