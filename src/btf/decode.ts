import { BTF_KINDS, type BtfLayout } from './layout.js';
import type { BtfEnumValue, BtfMember, BtfParam, BtfType, BtfVarSecInfo } from './types.js';

const LINKAGE = ['static', 'global', 'extern'] as const;

/**
 * Decode type `id` of a scanned BTF (see scanBtf, which has checked everything read here);
 * void (id 0) and ids past the table are undefined.
 */
export function decodeBtfType(layout: BtfLayout, id: number): BtfType | undefined {
  if (id <= 0 || id >= layout.count) return undefined;
  const { view, strings } = layout;
  const at = layout.offsets[id];
  const u32 = (o: number): number => view.getUint32(o, true);
  const name = strings.at(u32(at));
  const info = u32(at + 4);
  const sizeOrType = u32(at + 8);
  const vlen = info & 0xffff;
  const kindFlag = info >>> 31 === 1;
  const kind = BTF_KINDS[(info >>> 24) & 0x1f]!;
  const o = at + 12;
  switch (kind) {
    case 'int': {
      const enc = u32(o);
      return {
        kind,
        id,
        name,
        size: sizeOrType,
        bits: enc & 0xff,
        bitOffset: (enc >>> 16) & 0xff,
        signed: ((enc >>> 24) & 1) === 1,
        char: ((enc >>> 24) & 2) === 2,
        bool: ((enc >>> 24) & 4) === 4,
      };
    }
    case 'ptr':
    case 'typedef':
    case 'volatile':
    case 'const':
    case 'restrict':
    case 'type_tag':
      return { kind, id, name, type: sizeOrType };
    case 'fwd':
      return { kind, id, name, union: kindFlag };
    case 'float':
      return { kind, id, name, size: sizeOrType };
    case 'func':
      return { kind, id, name, type: sizeOrType, linkage: LINKAGE[vlen] };
    case 'array':
      return { kind, id, name, elemType: u32(o), indexType: u32(o + 4), nelems: u32(o + 8) };
    case 'struct':
    case 'union': {
      const members: BtfMember[] = [];
      for (let m = o; m < o + vlen * 12; m += 12) {
        const offset = u32(m + 8);
        members.push({ name: strings.at(u32(m)), type: u32(m + 4), bitOffset: kindFlag ? offset & 0xffffff : offset, bitSize: kindFlag ? offset >>> 24 : 0 });
      }
      return { kind, id, name, size: sizeOrType, members };
    }
    case 'enum': {
      // kind_flag set means a signed enum (btf.rst); clang before 15 never sets it.
      const values: BtfEnumValue[] = [];
      for (let v = o; v < o + vlen * 8; v += 8) values.push({ name: strings.at(u32(v)), value: BigInt(kindFlag ? view.getInt32(v + 4, true) : u32(v + 4)) });
      return { kind, id, name, size: sizeOrType, signed: kindFlag, values };
    }
    case 'enum64': {
      const values: BtfEnumValue[] = [];
      for (let v = o; v < o + vlen * 12; v += 12) {
        const value = (BigInt(u32(v + 8)) << 32n) | BigInt(u32(v + 4));
        values.push({ name: strings.at(u32(v)), value: kindFlag ? BigInt.asIntN(64, value) : value });
      }
      return { kind, id, name, size: sizeOrType, signed: kindFlag, values };
    }
    case 'func_proto': {
      const params: BtfParam[] = [];
      for (let p = o; p < o + vlen * 8; p += 8) params.push({ name: strings.at(u32(p)), type: u32(p + 4) });
      return { kind, id, name, returnType: sizeOrType, params };
    }
    case 'var':
      return { kind, id, name, type: sizeOrType, linkage: LINKAGE[u32(o)] };
    case 'datasec': {
      const vars: BtfVarSecInfo[] = [];
      for (let v = o; v < o + vlen * 12; v += 12) vars.push({ type: u32(v), offset: u32(v + 4), size: u32(v + 8) });
      return { kind, id, name, size: sizeOrType, vars };
    }
    case 'decl_tag':
      return { kind, id, name, type: sizeOrType, componentIdx: view.getInt32(o, true) };
  }
}
