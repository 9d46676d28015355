import { ByteReader, cString } from '../binary/reader.js';
import { BTF_MAGIC } from './parse.js';
import type { Btf } from './types.js';

export interface FuncInfoRecord {
  /** Byte offset of the function's first instruction in its ELF section. */
  insnOff: number;
  typeId: number;
}

export interface LineInfoRecord {
  insnOff: number;
  file: string;
  text: string;
  line: number;
  column: number;
}

export interface CoreRelocationRecord {
  insnOff: number;
  typeId: number;
  accessString: string;
  kind: number;
}

/** `.BTF.ext`: per-ELF-section function, line and CO-RE relocation records. */
export interface BtfExt {
  funcInfo: Map<string, FuncInfoRecord[]>;
  lineInfo: Map<string, LineInfoRecord[]>;
  coreRelocations: Map<string, CoreRelocationRecord[]>;
}

export function parseBtfExt(bytes: Uint8Array, btf: Btf, file = 'BTF.ext', base = 0): BtfExt {
  const r = new ByteReader(bytes, file, base);
  const magic = r.u16('BTF.ext header magic', 0);
  if (magic !== BTF_MAGIC) r.fail('BTF.ext header', `magic 0x${magic.toString(16)} is not 0xeb9f`, 0);
  const hdrLen = r.u32('BTF.ext header hdr_len', 4);
  if (hdrLen < 24) r.fail('BTF.ext header', `header length ${hdrLen} is below 24`, 4);
  // Line records name the same file and source lines many times: decode each string once.
  const decoded = new Map<number, string>();
  const str = (off: number, what: string): string => {
    let s = decoded.get(off);
    if (s === undefined) decoded.set(off, (s = cString(btf.strings, off, what, file)));
    return s;
  };

  /** A block of info records: rec_size, then per section { name, count, records }. */
  const block = <T>(what: string, off: number, len: number, minRec: number, read: (br: ByteReader, at: number) => T): Map<string, T[]> => {
    const out = new Map<string, T[]>();
    if (len === 0) return out;
    const br = r.sub(what, hdrLen + off, len);
    const recSize = br.u32(`${what} record size`, 0);
    if (recSize < minRec) br.fail(what, `record size ${recSize} is smaller than ${minRec}`, 0);
    let o = 4;
    while (o < br.length) {
      const sec = str(br.u32(`${what} section header`, o), `${what} section name`);
      const count = br.u32(`${what} section header`, o + 4);
      o += 8;
      br.check(`${what} records of ${sec}`, o, count * recSize);
      const list = out.get(sec) ?? [];
      for (let i = 0; i < count; i++) list.push(read(br, o + i * recSize));
      out.set(sec, list);
      o += count * recSize;
    }
    return out;
  };

  const funcInfo = block('func_info', r.u32('BTF.ext header', 8), r.u32('BTF.ext header', 12), 8, (br, at) => ({
    insnOff: br.u32('func_info record', at),
    typeId: br.u32('func_info record', at + 4),
  }));
  const lineInfo = block('line_info', r.u32('BTF.ext header', 16), r.u32('BTF.ext header', 20), 16, (br, at) => {
    const lineCol = br.u32('line_info record', at + 12);
    return {
      insnOff: br.u32('line_info record', at),
      file: str(br.u32('line_info record', at + 4), 'line_info file name'),
      text: str(br.u32('line_info record', at + 8), 'line_info line text'),
      line: lineCol >>> 10,
      column: lineCol & 0x3ff,
    };
  });
  const coreRelocations =
    hdrLen >= 32
      ? block('core_relo', r.u32('BTF.ext header', 24), r.u32('BTF.ext header', 28), 16, (br, at) => ({
          insnOff: br.u32('core_relo record', at),
          typeId: br.u32('core_relo record', at + 4),
          accessString: str(br.u32('core_relo record', at + 8), 'core_relo access string'),
          kind: br.u32('core_relo record', at + 12),
        }))
      : new Map<string, CoreRelocationRecord[]>();
  return { funcInfo, lineInfo, coreRelocations };
}
