import { interestingU32, mutateBytes } from './mutate.js';
import type { Rng } from './prng.js';

/** Bytes after the 12-byte common record, per BTF kind (vlen = the record's member count). */
function trailing(kind: number, vlen: number): number {
  switch (kind) {
    case 1:
    case 14:
    case 17:
      return 4; // int encoding, var linkage, decl_tag component
    case 3:
      return 12; // array: type, index type, nelems
    case 4:
    case 5:
    case 15:
    case 19:
      return vlen * 12; // members, datasec vars, enum64 values
    case 6:
    case 13:
      return vlen * 8; // enum values, func_proto params
    default:
      return 0;
  }
}

interface BtfRecord {
  /** Offset of the record in the blob. */
  at: number;
  /** Where its members (if any) start and end. */
  extraEnd: number;
}

/** The records of a well-formed BTF blob (a seed), found by walking the type section. */
function btfRecords(blob: Uint8Array): BtfRecord[] {
  if (blob.length < 24) return [];
  const dv = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const start = dv.getUint32(4, true) + dv.getUint32(8, true);
  const end = Math.min(start + dv.getUint32(12, true), blob.length);
  const out: BtfRecord[] = [];
  for (let at = start; at + 12 <= end;) {
    const info = dv.getUint32(at + 4, true);
    const next = at + 12 + trailing((info >>> 24) & 0x1f, info & 0xffff);
    out.push({ at, extraEnd: Math.min(next, end) });
    at = next;
  }
  return out;
}

/**
 * Mutate a BTF blob in place, keeping its size (so an ELF around it stays consistent): header
 * fields (hdr_len, section offsets and lengths), a type record's kind, vlen, kind_flag, name or
 * type id, or a member's fields. Type ids are chosen near the edges (0, the last id, past the end).
 */
export function mutateBtfInPlace(rng: Rng, blob: Uint8Array): void {
  if (blob.length < 24) return;
  const dv = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const records = btfRecords(blob);
  const typeId = (): number => rng.pick([0, 1, records.length, records.length + 1, rng.below(records.length + 2), 0xffffffff, 0x7fffffff]);
  if (records.length === 0 || rng.oneIn(6)) {
    const at = rng.pick([4, 8, 12, 16, 20]);
    dv.setUint32(at, interestingU32(rng, dv.getUint32(at, true)), true);
    return;
  }
  const r = rng.pick(records);
  const info = dv.getUint32(r.at + 4, true);
  switch (rng.below(6)) {
    case 0: // kind, including the unknown ones past ENUM64
      dv.setUint32(r.at + 4, (info & ~(0x1f << 24)) | (rng.below(22) << 24), true);
      return;
    case 1: // vlen: the member count the record's length is computed from
      dv.setUint32(r.at + 4, (info & ~0xffff) | (interestingU32(rng, info & 0xffff) & 0xffff), true);
      return;
    case 2:
      dv.setUint32(r.at + 4, info ^ 0x8000_0000, true);
      return;
    case 3:
      dv.setUint32(r.at, interestingU32(rng, dv.getUint32(r.at, true)), true);
      return;
    case 4: // size or type: a type id for most kinds
      dv.setUint32(r.at + 8, rng.oneIn(3) ? interestingU32(rng, dv.getUint32(r.at + 8, true)) : typeId(), true);
      return;
    default: {
      // A word among the record's members: name, type id, offset or value.
      const words = (r.extraEnd - r.at - 12) >> 2;
      if (words <= 0) return;
      const at = r.at + 12 + rng.below(words) * 4;
      dv.setUint32(at, rng.oneIn(2) ? typeId() : interestingU32(rng, dv.getUint32(at, true)), true);
    }
  }
}

/** Mutate a BTF blob: structurally in place most of the time, else bytewise (which may resize it). */
export function mutateBtf(rng: Rng, seed: Uint8Array, others: readonly Uint8Array[]): Uint8Array {
  if (rng.oneIn(4)) return mutateBytes(rng, seed, others);
  const out = seed.slice();
  const rounds = 1 + rng.below(3);
  for (let i = 0; i < rounds; i++) mutateBtfInPlace(rng, out);
  return out;
}
