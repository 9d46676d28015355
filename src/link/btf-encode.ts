import { XdpchainError } from '../errors/index.js';
import { BTF_MAGIC } from '../btf/parse.js';
import { BTF_KIND_NUMBERS, type Btf, type BtfType } from '../btf/types.js';
import { StringTable } from './strings.js';

const HEADER_SIZE = 24;
const LINKAGE = { static: 0, global: 1, extern: 2 } as const;

/** Little-endian u32 words, grown as types are appended. */
class Words {
  private buf = new DataView(new ArrayBuffer(1024));
  length = 0;

  u32(v: number): void {
    if (this.length + 4 > this.buf.byteLength) {
      const next = new DataView(new ArrayBuffer(this.buf.byteLength * 2));
      new Uint8Array(next.buffer).set(new Uint8Array(this.buf.buffer));
      this.buf = next;
    }
    this.buf.setUint32(this.length, v >>> 0, true);
    this.length += 4;
  }

  bytes(): Uint8Array {
    return new Uint8Array(this.buf.buffer, 0, this.length);
  }
}

const info = (kind: BtfType['kind'], vlen: number, kindFlag: boolean): number => ((kindFlag ? 1 : 0) << 31) | (BTF_KIND_NUMBERS[kind] << 24) | (vlen & 0xffff);

/**
 * Encode a BTF type table as a `.BTF` blob (kernel include/uapi/linux/btf.h): header, types, and
 * a string table built from the names (`btf.strings` is not reused, so edited or generated
 * types encode correctly). Pass `strings` to share the table with `.BTF.ext` records, whose file
 * and line texts must live in the same string section; add those first.
 */
export function encodeBtf(btf: Btf, strings = new StringTable()): Uint8Array {
  const w = new Words();
  btf.types.forEach((t, id) => {
    if (id === 0) return;
    if (!t) throw new XdpchainError('EINVAL', `BTF type ${id} is missing; a type table has no holes`);
    encodeType(t, w, strings);
  });
  const types = w.bytes();
  const str = strings.bytes();
  const out = new Uint8Array(HEADER_SIZE + types.length + str.length);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, BTF_MAGIC, true);
  out[2] = 1; // version
  out[3] = 0; // flags
  dv.setUint32(4, HEADER_SIZE, true);
  dv.setUint32(8, 0, true); // type_off
  dv.setUint32(12, types.length, true);
  dv.setUint32(16, types.length, true); // str_off
  dv.setUint32(20, str.length, true);
  out.set(types, HEADER_SIZE);
  out.set(str, HEADER_SIZE + types.length);
  return out;
}

function encodeType(t: BtfType, w: Words, strings: StringTable): void {
  const name = strings.add(t.name);
  const vlenCheck = (n: number): number => {
    if (n > 0xffff) throw new XdpchainError('E2BIG', `BTF type ${t.id} (${t.kind} ${t.name}) has ${n} entries; at most 65535 fit`);
    return n;
  };
  switch (t.kind) {
    case 'int': {
      w.u32(name);
      w.u32(info(t.kind, 0, false));
      w.u32(t.size);
      const encoding = (t.signed ? 1 : 0) | (t.char ? 2 : 0) | (t.bool ? 4 : 0);
      w.u32((encoding << 24) | ((t.bitOffset & 0xff) << 16) | (t.bits & 0xff));
      return;
    }
    case 'ptr':
    case 'typedef':
    case 'volatile':
    case 'const':
    case 'restrict':
    case 'type_tag':
      w.u32(name);
      w.u32(info(t.kind, 0, false));
      w.u32(t.type);
      return;
    case 'fwd':
      w.u32(name);
      w.u32(info(t.kind, 0, t.union));
      w.u32(0);
      return;
    case 'float':
      w.u32(name);
      w.u32(info(t.kind, 0, false));
      w.u32(t.size);
      return;
    case 'func':
      w.u32(name);
      w.u32(info(t.kind, LINKAGE[t.linkage], false));
      w.u32(t.type);
      return;
    case 'array':
      w.u32(name);
      w.u32(info(t.kind, 0, false));
      w.u32(0);
      w.u32(t.elemType);
      w.u32(t.indexType);
      w.u32(t.nelems);
      return;
    case 'struct':
    case 'union': {
      const bitfields = t.members.some((m) => m.bitSize !== 0);
      w.u32(name);
      w.u32(info(t.kind, vlenCheck(t.members.length), bitfields));
      w.u32(t.size);
      for (const m of t.members) {
        w.u32(strings.add(m.name));
        w.u32(m.type);
        w.u32(bitfields ? ((m.bitSize & 0xff) << 24) | (m.bitOffset & 0xffffff) : m.bitOffset);
      }
      return;
    }
    case 'enum':
      w.u32(name);
      w.u32(info(t.kind, vlenCheck(t.values.length), t.signed));
      w.u32(t.size);
      for (const v of t.values) {
        w.u32(strings.add(v.name));
        w.u32(Number(BigInt.asUintN(32, v.value)));
      }
      return;
    case 'enum64':
      w.u32(name);
      w.u32(info(t.kind, vlenCheck(t.values.length), t.signed));
      w.u32(t.size);
      for (const v of t.values) {
        const u = BigInt.asUintN(64, v.value);
        w.u32(strings.add(v.name));
        w.u32(Number(u & 0xffffffffn));
        w.u32(Number(u >> 32n));
      }
      return;
    case 'func_proto':
      w.u32(name);
      w.u32(info(t.kind, vlenCheck(t.params.length), false));
      w.u32(t.returnType);
      for (const p of t.params) {
        w.u32(strings.add(p.name));
        w.u32(p.type);
      }
      return;
    case 'var':
      w.u32(name);
      w.u32(info(t.kind, 0, false));
      w.u32(t.type);
      w.u32(LINKAGE[t.linkage]);
      return;
    case 'datasec':
      w.u32(name);
      w.u32(info(t.kind, vlenCheck(t.vars.length), false));
      w.u32(t.size);
      for (const v of t.vars) {
        w.u32(v.type);
        w.u32(v.offset);
        w.u32(v.size);
      }
      return;
    case 'decl_tag':
      w.u32(name);
      w.u32(info(t.kind, 0, false));
      w.u32(t.type);
      w.u32(t.componentIdx >>> 0);
      return;
  }
}
