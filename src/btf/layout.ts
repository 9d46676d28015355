import { isAscii } from 'node:buffer';
import { MalformedInputError } from '../errors/index.js';
import { ByteReader, cString, stringOffsetError, stringOffsetOk } from '../binary/reader.js';
import { BTF_KIND_NUMBERS, type BtfKind } from './types.js';

/** BTF's magic number, little-endian. */
export const BTF_MAGIC = 0xeb9f;

/** Kinds by their number in a type record's info word (uapi BTF_KIND_*); undefined for numbers no kind has. */
export const BTF_KINDS: readonly (BtfKind | undefined)[] = (() => {
  const kinds: (BtfKind | undefined)[] = [];
  for (const [kind, n] of Object.entries(BTF_KIND_NUMBERS)) kinds[n] = kind as BtfKind;
  return Array.from(kinds);
})();

const K = BTF_KIND_NUMBERS;

/** Linkage values a FUNC (in its vlen) or a VAR may carry: static, global, extern. */
const LINKAGES = 3;

/** The strings of a BTF string section, read at offsets the scan has checked. */
export class BtfStrings {
  private decoded: string | undefined;
  /** Whether every byte is ASCII, so that bytes and characters correspond one to one. */
  readonly ascii: boolean;

  constructor(
    readonly bytes: Uint8Array,
    private readonly file: string,
  ) {
    this.ascii = isAscii(bytes);
  }

  /**
   * The whole section as one string when it is ASCII (offsets in it are offsets in the section),
   * decoded once: a name is then a slice of it rather than a decode of its own.
   */
  text(): string | undefined {
    if (!this.ascii) return undefined;
    this.decoded ??= Buffer.from(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength).toString('latin1');
    return this.decoded;
  }

  /** The NUL-terminated string at `off` (the section's end terminates the last one). */
  at(off: number): string {
    const text = this.text();
    if (text === undefined) return cString(this.bytes, off, 'BTF string', this.file);
    const end = text.indexOf('\0', off);
    return text.slice(off, end < 0 ? undefined : end);
  }
}

/**
 * Where each type record of a BTF blob starts, found in one pass that also checks everything a
 * decode relies on (record lengths, kinds, linkages, string offsets; then, in a second pass, the
 * type references), so that any record can then be decoded on its own without further checks.
 */
export interface BtfLayout {
  readonly file: string;
  /** The type section. */
  readonly view: DataView;
  /** Absolute offset of the type section in the file, for messages. */
  readonly base: number;
  /** Offset of type `id`'s record in the type section; entry 0 (void) is unused. */
  readonly offsets: Uint32Array;
  /** Which types have their name at a given offset of the string section. */
  readonly byNameOffset: TypesByNameOffset;
  /** Type ids there are, void included. */
  readonly count: number;
  readonly strings: BtfStrings;
}

/**
 * Type ids by the offset of their name in the string section, chained through a hash of the
 * offset. The scan fills it as it reads each record's name, so that a search by name (see
 * names.ts) never has to walk the whole table again.
 */
export class TypesByNameOffset {
  private readonly shift: number;
  /** The latest id of each bucket (0: none, since void has no record); earlier ones chain through `next`. */
  private readonly heads: Int32Array;
  private readonly next: Int32Array;
  private readonly nameOffsets: Uint32Array;

  /** Room for up to `capacity` ids. */
  constructor(capacity: number) {
    const bits = Math.max(4, Math.ceil(Math.log2(capacity + 1)));
    this.shift = 32 - bits;
    this.heads = new Int32Array(1 << bits);
    this.next = new Int32Array(capacity);
    this.nameOffsets = new Uint32Array(capacity);
  }

  /** Record that type `id` (ids come in ascending order) is named at `off`. */
  add(id: number, off: number): void {
    const b = Math.imul(off, 0x9e3779b1) >>> this.shift;
    this.nameOffsets[id] = off;
    this.next[id] = this.heads[b];
    this.heads[b] = id;
  }

  /** The ids named at `off`, ascending. */
  at(off: number): number[] {
    const ids: number[] = [];
    for (let id = this.heads[Math.imul(off, 0x9e3779b1) >>> this.shift]; id > 0; id = this.next[id]) {
      if (this.nameOffsets[id] === off) ids.push(id);
    }
    return ids.reverse();
  }
}

/** Bytes that follow the 12-byte common part of a record of kind `kind` with `vlen` entries. */
function trailingBytes(kind: number, vlen: number): number {
  switch (kind) {
    case K.int:
    case K.var:
    case K.decl_tag:
      return 4;
    case K.array:
      return 12;
    case K.struct:
    case K.union:
    case K.enum64:
    case K.datasec:
      return vlen * 12;
    case K.enum:
    case K.func_proto:
      return vlen * 8;
    default:
      return 0;
  }
}

/** What the trailing part of a record holds, as the parser has always named it in messages. */
const TRAILING_NAME: Record<number, string> = {
  [K.struct]: 'members',
  [K.union]: 'members',
  [K.enum]: 'values',
  [K.enum64]: 'values',
  [K.func_proto]: 'parameters',
  [K.datasec]: 'variables',
};

/** Scan a `.BTF` blob (header, type section, string section) into its layout; malformed input throws. */
export function scanBtf(bytes: Uint8Array, file = 'BTF', base = 0): BtfLayout {
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
  const view = new DataView(tr.bytes.buffer, tr.bytes.byteOffset, tr.bytes.byteLength);
  const badName = (off: number): boolean => !stringOffsetOk(strings, off);
  const nameFail = (off: number, what: string): never => {
    throw stringOffsetError(strings, off, what, file);
  };

  // Every record is at least 12 bytes, which bounds the number of types (a cut last one included).
  const offsets = new Uint32Array(Math.ceil(typeLen / 12) + 1);
  const byNameOffset = new TypesByNameOffset(offsets.length);
  let count = 1;
  for (let o = 0; o < typeLen;) {
    const id = count++;
    offsets[id] = o;
    if (o + 12 > typeLen) tr.check(`BTF type ${id}`, o, 12);
    const info = view.getUint32(o + 4, true);
    const vlen = info & 0xffff;
    const kind = (info >>> 24) & 0x1f;
    if (BTF_KINDS[kind] === undefined) tr.fail(`BTF type ${id}`, `unknown kind ${kind}`, o);
    const nameOff = view.getUint32(o, true);
    if (badName(nameOff)) nameFail(nameOff, `name of BTF type ${id}`);
    byNameOffset.add(id, nameOff);
    if (kind === K.func && vlen >= LINKAGES) tr.fail(`BTF type ${id}`, `unknown function linkage ${vlen}`, o);
    const rest = o + 12;
    const size = trailingBytes(kind, vlen);
    if (rest + size > typeLen) tr.check(TRAILING_NAME[kind] ? `${TRAILING_NAME[kind]} of BTF type ${id}` : `BTF type ${id}`, rest, size);
    switch (kind) {
      case K.var:
        if (view.getUint32(rest, true) >= LINKAGES) tr.fail(`BTF type ${id}`, 'unknown variable linkage', rest);
        break;
      case K.struct:
      case K.union:
      case K.enum64:
        for (let i = 0; i < vlen; i++) {
          if (badName(view.getUint32(rest + i * 12, true)))
            nameFail(view.getUint32(rest + i * 12, true), `${kind === K.enum64 ? 'value' : 'member'} ${i} of BTF type ${id}`);
        }
        break;
      case K.enum:
      case K.func_proto:
        for (let i = 0; i < vlen; i++) {
          if (badName(view.getUint32(rest + i * 8, true)))
            nameFail(view.getUint32(rest + i * 8, true), `${kind === K.enum ? 'value' : 'parameter'} ${i} of BTF type ${id}`);
        }
        break;
    }
    o = rest + size;
  }
  const layout: BtfLayout = { file, view, base: tr.base, offsets: offsets.subarray(0, count), byNameOffset, count, strings: new BtfStrings(strings, file) };
  checkReferences(layout);
  return layout;
}

/** Every type reference must name an existing type, so later walks cannot run off the table. */
function checkReferences(layout: BtfLayout): void {
  const { view, offsets, count } = layout;
  const fail = (id: number, ref: number, what: () => string): never => {
    const kind = BTF_KINDS[(view.getUint32(offsets[id] + 4, true) >>> 24) & 0x1f];
    throw new MalformedInputError(
      `${layout.file}: BTF type ${id} (${kind})`,
      `${what()} refers to type ${ref}, but there are only ${count - 1} types`,
      layout.base + offsets[id],
    );
  };
  const memberName = (o: number): string => layout.strings.at(view.getUint32(o, true));
  for (let id = 1; id < count; id++) {
    const o = offsets[id];
    const info = view.getUint32(o + 4, true);
    const vlen = info & 0xffff;
    const ref = view.getUint32(o + 8, true);
    const rest = o + 12;
    switch ((info >>> 24) & 0x1f) {
      case K.ptr:
      case K.typedef:
      case K.volatile:
      case K.const:
      case K.restrict:
      case K.type_tag:
      case K.func:
      case K.var:
      case K.decl_tag:
        if (ref >= count) fail(id, ref, () => 'its type');
        break;
      case K.array: {
        const elem = view.getUint32(rest, true);
        const index = view.getUint32(rest + 4, true);
        if (elem >= count) fail(id, elem, () => 'element type');
        if (index >= count) fail(id, index, () => 'index type');
        break;
      }
      case K.struct:
      case K.union:
        for (let m = rest; m < rest + vlen * 12; m += 12) {
          const t = view.getUint32(m + 4, true);
          if (t >= count) fail(id, t, () => `member ${memberName(m)}`);
        }
        break;
      case K.func_proto:
        if (ref >= count) fail(id, ref, () => 'return type');
        for (let p = rest; p < rest + vlen * 8; p += 8) {
          const t = view.getUint32(p + 4, true);
          if (t >= count) fail(id, t, () => `parameter ${memberName(p)}`);
        }
        break;
      case K.datasec:
        for (let v = rest; v < rest + vlen * 12; v += 12) {
          const t = view.getUint32(v, true);
          if (t >= count) fail(id, t, () => 'variable');
        }
        break;
    }
  }
}
