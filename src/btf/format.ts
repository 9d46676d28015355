import { resolveType, typeSize } from './query.js';
import type { Btf } from './types.js';

const MAX_DEPTH = 16;

/** A C-like name for a type: `struct flow_key`, `__u32`, `__u8[6]`, `int (*)(struct xdp_md *)`. */
export function formatBtfType(btf: Btf, id: number, depth = 0): string {
  if (id === 0) return 'void';
  const t = btf.types[id];
  if (!t || depth > MAX_DEPTH) return '?';
  switch (t.kind) {
    case 'int':
    case 'float':
    case 'typedef':
      return t.name;
    case 'struct':
    case 'union':
      return `${t.kind} ${t.name || '{...}'}`;
    case 'enum':
    case 'enum64':
      return `enum ${t.name || '{...}'}`;
    case 'fwd':
      return `${t.union ? 'union' : 'struct'} ${t.name}`;
    case 'ptr':
      return `${formatBtfType(btf, t.type, depth + 1)} *`;
    case 'const':
    case 'volatile':
    case 'restrict':
      return `${t.kind} ${formatBtfType(btf, t.type, depth + 1)}`;
    case 'type_tag':
      return formatBtfType(btf, t.type, depth + 1);
    case 'array':
      return `${formatBtfType(btf, t.elemType, depth + 1)}[${t.nelems}]`;
    case 'func':
      return `${t.linkage === 'static' ? 'static ' : ''}${t.name}${formatBtfType(btf, t.type, depth + 1).replace(/^[^(]*/, '')}`;
    case 'func_proto':
      return `${formatBtfType(btf, t.returnType, depth + 1)} (${t.params.map((p) => `${formatBtfType(btf, p.type, depth + 1)}${p.name ? ` ${p.name}` : ''}`).join(', ') || 'void'})`;
    case 'var':
      return `${formatBtfType(btf, t.type, depth + 1)} ${t.name}`;
    case 'datasec':
      return `section ${t.name} (${t.vars.length} variables)`;
    case 'decl_tag':
      return `tag "${t.name}"`;
  }
}

/** JSON-able value of `bytes` interpreted as type `id` (numbers as numbers or decimal strings past 2^53). */
export function btfValueToJson(btf: Btf, id: number, bytes: Uint8Array, depth = 0): unknown {
  const t = resolveType(btf, id);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (!t || depth > MAX_DEPTH) return hex(bytes);
  switch (t.kind) {
    case 'int': {
      if (t.bool) return bytes[0] !== 0;
      const v = readInt(dv, t.size, t.signed);
      if (v === undefined) return hex(bytes);
      if (t.char && t.size === 1) return v;
      return typeof v === 'bigint' && (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) ? v.toString() : Number(v);
    }
    case 'enum':
    case 'enum64': {
      const v = readInt(dv, t.size, t.signed);
      const name = t.values.find((e) => e.value === BigInt(v ?? 0))?.name;
      return name ?? (v === undefined ? hex(bytes) : Number(v));
    }
    case 'ptr':
      return `0x${dv.getBigUint64(0, true).toString(16)}`;
    case 'array': {
      const elem = resolveType(btf, t.elemType);
      const size = typeSize(btf, t.elemType) ?? 0;
      if (elem?.kind === 'int' && elem.char && elem.size === 1) {
        const end = bytes.indexOf(0);
        const text = Buffer.from(bytes.subarray(0, end < 0 ? bytes.length : end)).toString('latin1');
        if (/^[\x20-\x7e]*$/.test(text)) return text;
      }
      if (size === 0) return [];
      return Array.from({ length: t.nelems }, (_, i) => btfValueToJson(btf, t.elemType, bytes.subarray(i * size, (i + 1) * size), depth + 1));
    }
    case 'struct':
    case 'union': {
      const out: Record<string, unknown> = {};
      for (const m of t.members) {
        const size = typeSize(btf, m.type) ?? 0;
        if (m.bitSize) {
          const word = bytes.length >= 8 ? dv.getBigUint64(0, true) : BigInt(dv.getUint32(0, true));
          out[m.name] = Number((word >> BigInt(m.bitOffset)) & ((1n << BigInt(m.bitSize)) - 1n));
        } else {
          const off = m.bitOffset / 8;
          out[m.name || `(anonymous at ${off})`] = btfValueToJson(btf, m.type, bytes.subarray(off, off + size), depth + 1);
        }
      }
      return out;
    }
    default:
      return hex(bytes);
  }
}

/** bpftool-like text: `{ .addr = 167772161, .port = 80 }`. */
export function formatBtfValue(btf: Btf, id: number, bytes: Uint8Array): string {
  const render = (v: unknown): string => {
    if (Array.isArray(v)) return `[${v.map(render).join(', ')}]`;
    if (v && typeof v === 'object')
      return `{ ${Object.entries(v)
        .map(([k, x]) => `.${k} = ${render(x)}`)
        .join(', ')} }`;
    if (typeof v === 'string') return /^0x|^-?\d+$/.test(v) ? v : JSON.stringify(v);
    return String(v);
  };
  return render(btfValueToJson(btf, id, bytes));
}

function readInt(dv: DataView, size: number, signed: boolean): bigint | number | undefined {
  if (dv.byteLength < size) return undefined;
  switch (size) {
    case 1:
      return signed ? dv.getInt8(0) : dv.getUint8(0);
    case 2:
      return signed ? dv.getInt16(0, true) : dv.getUint16(0, true);
    case 4:
      return signed ? dv.getInt32(0, true) : dv.getUint32(0, true);
    case 8:
      return signed ? dv.getBigInt64(0, true) : dv.getBigUint64(0, true);
    default:
      return undefined;
  }
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
