import { MalformedInputError } from '../errors/index.js';

/**
 * Little-endian reads over untrusted bytes: every read is bounds-checked and a failure names
 * the structure being read and the absolute offset, so hostile files yield typed errors.
 */
export class ByteReader {
  private readonly dv: DataView;

  constructor(
    readonly bytes: Uint8Array,
    readonly file = 'input',
    readonly base = 0,
  ) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get length(): number {
    return this.bytes.length;
  }

  check(structure: string, offset: number, size: number): void {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(size) || offset < 0 || size < 0 || offset + size > this.bytes.length) {
      throw new MalformedInputError(
        `${this.file}: ${structure}`,
        `${size} bytes at ${offset} run past the end (${this.bytes.length} bytes)`,
        this.base + (Number.isFinite(offset) ? offset : 0),
      );
    }
  }

  u8(structure: string, off: number): number {
    this.check(structure, off, 1);
    return this.bytes[off];
  }
  u16(structure: string, off: number): number {
    this.check(structure, off, 2);
    return this.dv.getUint16(off, true);
  }
  u32(structure: string, off: number): number {
    this.check(structure, off, 4);
    return this.dv.getUint32(off, true);
  }
  i32(structure: string, off: number): number {
    this.check(structure, off, 4);
    return this.dv.getInt32(off, true);
  }
  /** A 64-bit field as a number; values past 2^53 are refused (no object is that large). */
  u64(structure: string, off: number): number {
    this.check(structure, off, 8);
    const v = this.dv.getBigUint64(off, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new MalformedInputError(`${this.file}: ${structure}`, `value ${v} is too large`, this.base + off);
    return Number(v);
  }
  slice(structure: string, off: number, size: number): Uint8Array {
    this.check(structure, off, size);
    return this.bytes.subarray(off, off + size);
  }
  /** A reader over a sub-range, reporting offsets relative to the whole file. */
  sub(structure: string, off: number, size: number): ByteReader {
    return new ByteReader(this.slice(structure, off, size), this.file, this.base + off);
  }

  fail(structure: string, message: string, off: number): never {
    throw new MalformedInputError(`${this.file}: ${structure}`, message, this.base + off);
  }
}

/** Whether `off` is a valid offset into a string table (offset 0 of an empty table reads as ''). */
export function stringOffsetOk(table: Uint8Array, off: number): boolean {
  return (off >= 0 && off < table.length) || (off === 0 && table.length === 0);
}

/** The error for a string offset outside its table: `what` names whose string it is. */
export function stringOffsetError(table: Uint8Array, off: number, what: string, file: string): MalformedInputError {
  return new MalformedInputError(`${file}: ${what}`, `string offset ${off} is outside the ${table.length}-byte string table`, off);
}

/** NUL-terminated string at `off` in a string table. */
export function cString(table: Uint8Array, off: number, what: string, file: string): string {
  if (!stringOffsetOk(table, off)) throw stringOffsetError(table, off, what, file);
  if (table.length === 0) return '';
  let end = table.indexOf(0, off);
  if (end < 0) end = table.length;
  return Buffer.from(table.subarray(off, end)).toString('utf8');
}
