import { mutateBtfInPlace } from './btf-mutate.js';
import { elfSections, type ElfSectionRef } from './elf-layout.js';
import { interestingU32, mutateBytes, mutateRange } from './mutate.js';
import type { Rng } from './prng.js';

/** ELF header fields a loader trusts to find everything else: e_shoff, e_shentsize, e_shnum, e_shstrndx. */
const ELF_HEADER_FIELDS: readonly [offset: number, size: 2 | 4 | 8][] = [
  [0x28, 8],
  [0x3a, 2],
  [0x3c, 2],
  [0x3e, 2],
  [0x10, 2],
  [0x12, 2],
];
/** Section header fields: sh_name, sh_type, sh_flags, sh_offset, sh_size, sh_link, sh_info, sh_addralign, sh_entsize. */
const SECTION_FIELDS: readonly [offset: number, size: 4 | 8][] = [
  [0, 4],
  [4, 4],
  [8, 8],
  [24, 8],
  [32, 8],
  [40, 4],
  [44, 4],
  [48, 8],
  [56, 8],
];

function setField(rng: Rng, dv: DataView, at: number, size: 2 | 4 | 8): void {
  if (at + size > dv.byteLength) return;
  if (size === 2) dv.setUint16(at, interestingU32(rng, dv.getUint16(at, true)) & 0xffff, true);
  else if (size === 4) dv.setUint32(at, interestingU32(rng, dv.getUint32(at, true)), true);
  // 64-bit fields: usually the low half (offsets and sizes near the file's), sometimes a huge value.
  else if (rng.oneIn(4)) dv.setBigUint64(at, rng.oneIn(2) ? 0xffff_ffff_ffff_ffffn : BigInt(rng.u32()) << 32n, true);
  else dv.setUint32(at, interestingU32(rng, dv.getUint32(at, true)), true);
}

/** Fields of one entry of a table section: symbols (st_name, st_info, st_shndx, st_value, st_size) and REL relocations (r_offset, r_info's type and symbol). */
const ENTRY_FIELDS: Readonly<Record<string, { size: number; fields: readonly [offset: number, size: 2 | 4 | 8][] }>> = {
  symtab: {
    size: 24,
    fields: [
      [0, 4],
      [4, 2],
      [6, 2],
      [8, 8],
      [16, 8],
    ],
  },
  rel: {
    size: 16,
    fields: [
      [0, 8],
      [8, 4],
      [12, 4],
    ],
  },
};

/** One field of one symbol or relocation: the indexes and offsets the loader follows to programs and maps. */
function mutateEntry(rng: Rng, out: Uint8Array, dv: DataView, sections: readonly ElfSectionRef[]): boolean {
  const tables = sections.filter((s) => s.name === '.symtab' || s.name.startsWith('.rel'));
  if (tables.length === 0) return false;
  const t = rng.pick(tables);
  const layout = ENTRY_FIELDS[t.name === '.symtab' ? 'symtab' : 'rel'];
  const entries = Math.floor(t.size / layout.size);
  if (entries === 0) return false;
  const [at, size] = rng.pick(layout.fields);
  const field = t.offset + rng.below(entries) * layout.size + at;
  // st_info is one byte (type and binding) beside st_other: set both as a 16-bit field.
  setField(rng, dv, field, size);
  return field < out.length;
}

/**
 * One field of one instruction of an executable section: the opcode (another of the same class,
 * or any byte), a register (past r10 too), the offset or the immediate. The decoder, verifier
 * and both engines then meet code clang would not emit.
 */
function mutateInstruction(rng: Rng, out: Uint8Array, dv: DataView, sections: readonly ElfSectionRef[]): boolean {
  const code = sections.filter((s) => s.size >= 8 && (dv.getUint32(s.headerAt + 8, true) & SHF_EXECINSTR) !== 0);
  if (code.length === 0) return false;
  const s = rng.pick(code);
  const at = s.offset + rng.below(s.size >> 3) * 8;
  switch (rng.below(4)) {
    case 0:
      out[at] = rng.oneIn(2) ? (out[at] & 0x07) | (rng.below(32) << 3) : rng.below(256);
      break;
    case 1:
      out[at + 1] = rng.oneIn(2) ? (out[at + 1] & 0xf0) | rng.below(16) : (rng.below(16) << 4) | (out[at + 1] & 0x0f);
      break;
    case 2:
      dv.setInt16(at + 2, rng.pick([0, 1, -1, 0x7fff, -0x8000, rng.below(64) - 32]), true);
      break;
    default:
      dv.setUint32(at + 4, interestingU32(rng, dv.getUint32(at + 4, true)), true);
  }
  return true;
}

/** sh_flags bit of sections that hold code. */
const SHF_EXECINSTR = 0x4;

/**
 * Mutate an ELF object structurally (header and section header fields, instructions, symbol and relocation
 * entries, the bytes of one section such as .maps or .text, the BTF records of .BTF) or bytewise
 * over the whole file.
 */
export function mutateElf(rng: Rng, seed: Uint8Array, others: readonly Uint8Array[]): Uint8Array {
  const sections = elfSections(seed);
  if (sections.length === 0 || rng.oneIn(5)) return mutateBytes(rng, seed, others);
  const out = seed.slice();
  const dv = new DataView(out.buffer);
  switch (rng.below(7)) {
    case 0: {
      const [at, size] = rng.pick(ELF_HEADER_FIELDS);
      setField(rng, dv, at, size);
      return out;
    }
    case 1: {
      const s = rng.pick(sections);
      const [at, size] = rng.pick(SECTION_FIELDS);
      setField(rng, dv, s.headerAt + at, size);
      return out;
    }
    case 2: {
      const btf = sections.find((s) => s.name === '.BTF' || s.name === '.BTF.ext');
      if (btf && btf.name === '.BTF') {
        mutateBtfInPlace(rng, out.subarray(btf.offset, btf.offset + btf.size));
        return out;
      }
      return mutateRange(rng, out, btf?.offset ?? 0, btf ? btf.offset + btf.size : out.length);
    }
    case 3:
      if (mutateEntry(rng, out, dv, sections)) return out;
      return mutateBytes(rng, seed, others);
    case 4:
      if (mutateInstruction(rng, out, dv, sections)) return out;
      return mutateBytes(rng, seed, others);
    default: {
      const withData = sections.filter((s) => s.size > 0);
      const s = rng.pick(withData.length > 0 ? withData : sections);
      return mutateRange(rng, out, s.offset, s.offset + s.size);
    }
  }
}
