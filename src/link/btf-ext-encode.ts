import { BTF_MAGIC } from '../btf/parse.js';
import { CORE_RELOCATION_KINDS } from '../btf/core/kinds.js';
import type { CoreRelocationKind } from '../object-spec/program-spec.js';
import type { StringTable } from './strings.js';

const HEADER_SIZE = 32;
const FUNC_INFO_SIZE = 8;
const LINE_INFO_SIZE = 16;
const CORE_RELO_SIZE = 16;
const MAX_COLUMN = 0x3ff;

/** func_info, line_info and CO-RE relocations of one ELF section; offsets are bytes from the section start. */
export interface BtfExtSection {
  section: string;
  funcInfo: { insnOff: number; typeId: number }[];
  lineInfo: { insnOff: number; file: string; text: string; line: number; column: number }[];
  coreRelocations: { insnOff: number; typeId: number; accessString: string; kind: CoreRelocationKind }[];
}

/**
 * Encode `.BTF.ext`: a 32-byte header, then the func_info, line_info and core_relo blocks (record
 * size, then per section its name, record count and records, sorted by instruction offset).
 * Section names, file names, line texts and access strings go into `strings`, the string table
 * `.BTF` is then encoded with.
 */
export function encodeBtfExt(sections: readonly BtfExtSection[], strings: StringTable): Uint8Array {
  const funcBlock = block(
    FUNC_INFO_SIZE,
    sections
      .filter((s) => s.funcInfo.length > 0)
      .map((s) => ({
        name: strings.add(s.section),
        records: [...s.funcInfo].sort((a, b) => a.insnOff - b.insnOff).map((r) => [r.insnOff, r.typeId]),
      })),
  );
  const lineBlock = block(
    LINE_INFO_SIZE,
    sections
      .filter((s) => s.lineInfo.length > 0)
      .map((s) => ({
        name: strings.add(s.section),
        records: [...s.lineInfo]
          .sort((a, b) => a.insnOff - b.insnOff)
          .map((r) => [r.insnOff, strings.add(r.file), strings.add(r.text), ((r.line << 10) | Math.min(r.column, MAX_COLUMN)) >>> 0]),
      })),
  );
  const coreBlock = block(
    CORE_RELO_SIZE,
    sections
      .filter((s) => s.coreRelocations.length > 0)
      .map((s) => ({
        name: strings.add(s.section),
        records: [...s.coreRelocations]
          .sort((a, b) => a.insnOff - b.insnOff)
          .map((r) => [r.insnOff, r.typeId, strings.add(r.accessString), CORE_RELOCATION_KINDS.indexOf(r.kind)]),
      })),
  );
  const out = new Uint8Array(HEADER_SIZE + funcBlock.length + lineBlock.length + coreBlock.length);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, BTF_MAGIC, true);
  out[2] = 1; // version
  out[3] = 0; // flags
  dv.setUint32(4, HEADER_SIZE, true);
  dv.setUint32(8, 0, true);
  dv.setUint32(12, funcBlock.length, true);
  dv.setUint32(16, funcBlock.length, true);
  dv.setUint32(20, lineBlock.length, true);
  dv.setUint32(24, funcBlock.length + lineBlock.length, true);
  dv.setUint32(28, coreBlock.length, true);
  out.set(funcBlock, HEADER_SIZE);
  out.set(lineBlock, HEADER_SIZE + funcBlock.length);
  out.set(coreBlock, HEADER_SIZE + funcBlock.length + lineBlock.length);
  return out;
}

/** `rec_size`, then per section `{ sec_name_off, num_info, records }`; empty when no section has records. */
function block(recordSize: number, sections: { name: number; records: number[][] }[]): Uint8Array {
  if (sections.length === 0) return new Uint8Array(0);
  const words = [recordSize];
  for (const s of sections) {
    words.push(s.name, s.records.length);
    for (const r of s.records) words.push(...r);
  }
  const out = new Uint8Array(words.length * 4);
  const dv = new DataView(out.buffer);
  words.forEach((w, i) => dv.setUint32(i * 4, w >>> 0, true));
  return out;
}
