import { MalformedInputError } from '../errors/index.js';
import { ByteReader, cString } from '../elf/bytes.js';
import type { Btf, BtfKind, BtfType } from './types.js';

export const BTF_MAGIC = 0xeb9f;
const KINDS: (BtfKind | undefined)[] = [undefined, 'int', 'ptr', 'array', 'struct', 'union', 'enum', 'fwd', 'typedef', 'volatile',
  'const', 'restrict', 'func', 'func_proto', 'var', 'datasec', 'float', 'decl_tag', 'type_tag', 'enum64'];
const LINKAGE = ['static', 'global', 'extern'] as const;

/** Parse a `.BTF` blob (header, type section, string section). */
export function parseBtf(bytes: Uint8Array, file = 'BTF', base = 0): Btf {
  const r = new ByteReader(bytes, file, base);
  const magic = r.u16('BTF header magic', 0);
  if (magic !== BTF_MAGIC) r.fail('BTF header', `magic 0x${magic.toString(16)} is not 0xeb9f (big-endian BTF is not supported)`, 0);
  const version = r.u8('BTF header version', 2);
  if (version !== 1) r.fail('BTF header', `version ${version} is not 1`, 2);
  const hdrLen = r.u32('BTF header hdr_len', 4);
  if (hdrLen < 24) r.fail('BTF header', `header length ${hdrLen} is below 24`, 4);
  const typeOff = r.u32('BTF header type_off', 8);
  const typeLen = r.u32('BTF header type_len', 12);
  const strOff = r.u32('BTF header str_off', 16);
  const strLen = r.u32('BTF header str_len', 20);
  const tr = r.sub('BTF type section', hdrLen + typeOff, typeLen);
  const strings = r.slice('BTF string section', hdrLen + strOff, strLen);
  const str = (off: number, what: string): string => cString(strings, off, what, file);

  const types: (BtfType | undefined)[] = [undefined];
  let o = 0;
  while (o < tr.length) {
    const id = types.length;
    const where = `BTF type ${id}`;
    const nameOff = tr.u32(where, o);
    const info = tr.u32(where, o + 4);
    const sizeOrType = tr.u32(where, o + 8);
    o += 12;
    const vlen = info & 0xffff;
    const kindNo = (info >>> 24) & 0x1f;
    const kindFlag = info >>> 31 === 1;
    const kind = KINDS[kindNo];
    if (!kind) tr.fail(where, `unknown kind ${kindNo}`, o - 12);
    const name = str(nameOff, `name of ${where}`);
    let t: BtfType;
    switch (kind) {
      case 'int': {
        const enc = tr.u32(where, o);
        o += 4;
        t = { kind, id, name, size: sizeOrType, bits: enc & 0xff, bitOffset: (enc >>> 16) & 0xff, signed: (enc >>> 24 & 1) === 1, char: (enc >>> 24 & 2) === 2, bool: (enc >>> 24 & 4) === 4 };
        break;
      }
      case 'ptr': case 'typedef': case 'volatile': case 'const': case 'restrict': case 'type_tag':
        t = { kind, id, name, type: sizeOrType };
        break;
      case 'fwd':
        t = { kind, id, name, union: kindFlag };
        break;
      case 'float':
        t = { kind, id, name, size: sizeOrType };
        break;
      case 'func':
        t = { kind, id, name, type: sizeOrType, linkage: LINKAGE[vlen] ?? tr.fail(where, `unknown function linkage ${vlen}`, o - 12) };
        break;
      case 'array':
        t = { kind, id, name, elemType: tr.u32(where, o), indexType: tr.u32(where, o + 4), nelems: tr.u32(where, o + 8) };
        o += 12;
        break;
      case 'struct': case 'union': {
        tr.check(`members of ${where}`, o, vlen * 12);
        const members = Array.from({ length: vlen }, (_, i) => {
          const m = o + i * 12;
          const offset = tr.u32(where, m + 8);
          return { name: str(tr.u32(where, m), `member ${i} of ${where}`), type: tr.u32(where, m + 4), bitOffset: kindFlag ? offset & 0xffffff : offset, bitSize: kindFlag ? offset >>> 24 : 0 };
        });
        o += vlen * 12;
        t = { kind, id, name, size: sizeOrType, members };
        break;
      }
      case 'enum': {
        tr.check(`values of ${where}`, o, vlen * 8);
        // kind_flag set means a signed enum (btf.rst); clang before 15 never sets it.
        const values = Array.from({ length: vlen }, (_, i) => ({ name: str(tr.u32(where, o + i * 8), `value ${i} of ${where}`), value: BigInt(kindFlag ? tr.i32(where, o + i * 8 + 4) : tr.u32(where, o + i * 8 + 4)) }));
        o += vlen * 8;
        t = { kind, id, name, size: sizeOrType, signed: kindFlag, values };
        break;
      }
      case 'enum64': {
        tr.check(`values of ${where}`, o, vlen * 12);
        const values = Array.from({ length: vlen }, (_, i) => {
          const v = (BigInt(tr.u32(where, o + i * 12 + 8)) << 32n) | BigInt(tr.u32(where, o + i * 12 + 4));
          return { name: str(tr.u32(where, o + i * 12), `value ${i} of ${where}`), value: kindFlag ? BigInt.asIntN(64, v) : v };
        });
        o += vlen * 12;
        t = { kind, id, name, size: sizeOrType, signed: kindFlag, values };
        break;
      }
      case 'func_proto': {
        tr.check(`parameters of ${where}`, o, vlen * 8);
        const params = Array.from({ length: vlen }, (_, i) => ({ name: str(tr.u32(where, o + i * 8), `parameter ${i} of ${where}`), type: tr.u32(where, o + i * 8 + 4) }));
        o += vlen * 8;
        t = { kind, id, name, returnType: sizeOrType, params };
        break;
      }
      case 'var':
        t = { kind, id, name, type: sizeOrType, linkage: LINKAGE[tr.u32(where, o)] ?? tr.fail(where, 'unknown variable linkage', o) };
        o += 4;
        break;
      case 'datasec': {
        tr.check(`variables of ${where}`, o, vlen * 12);
        const vars = Array.from({ length: vlen }, (_, i) => ({ type: tr.u32(where, o + i * 12), offset: tr.u32(where, o + i * 12 + 4), size: tr.u32(where, o + i * 12 + 8) }));
        o += vlen * 12;
        t = { kind, id, name, size: sizeOrType, vars };
        break;
      }
      case 'decl_tag':
        t = { kind, id, name, type: sizeOrType, componentIdx: tr.i32(where, o) };
        o += 4;
        break;
    }
    types.push(t!);
  }
  const btf: Btf = { types, strings };
  validateReferences(btf, file);
  return btf;
}

/** Every type reference must name an existing type, so later walks cannot run off the table. */
function validateReferences(btf: Btf, file: string): void {
  const n = btf.types.length;
  const ref = (from: BtfType, id: number, what: string): void => {
    if (id >= n) throw new MalformedInputError(`${file}: BTF type ${from.id} (${from.kind})`, `${what} refers to type ${id}, but there are only ${n - 1} types`);
  };
  for (const t of btf.types) {
    if (!t) continue;
    switch (t.kind) {
      case 'ptr': case 'typedef': case 'volatile': case 'const': case 'restrict': case 'type_tag': case 'func': case 'var': case 'decl_tag':
        ref(t, t.type, 'its type');
        break;
      case 'array':
        ref(t, t.elemType, 'element type');
        ref(t, t.indexType, 'index type');
        break;
      case 'struct': case 'union':
        t.members.forEach((m) => ref(t, m.type, `member ${m.name}`));
        break;
      case 'func_proto':
        ref(t, t.returnType, 'return type');
        t.params.forEach((p) => ref(t, p.type, `parameter ${p.name}`));
        break;
      case 'datasec':
        t.vars.forEach((v) => ref(t, v.type, 'variable'));
        break;
    }
  }
}
