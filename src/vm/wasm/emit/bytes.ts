const F64 = new Float64Array(1);
const F64_BYTES = new Uint8Array(F64.buffer);

/** A growable byte buffer with the LEB128 and IEEE encodings wasm's binary format uses. */
export class ByteWriter {
  private buf: Uint8Array<ArrayBuffer> = new Uint8Array(1024);
  length = 0;

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  byte(b: number): void {
    if (this.length === this.buf.length) this.room(1);
    this.buf[this.length++] = b;
  }

  bytes(bs: ArrayLike<number>): void {
    this.room(bs.length);
    if (bs instanceof Uint8Array) this.buf.set(bs, this.length);
    else for (let i = 0; i < bs.length; i++) this.buf[this.length + i] = bs[i];
    this.length += bs.length;
  }

  /** Unsigned LEB128 of a value in [0, 2^32). */
  u32(v: number): void {
    v >>>= 0;
    do {
      const b = v & 0x7f;
      v >>>= 7;
      this.byte(v === 0 ? b : b | 0x80);
    } while (v !== 0);
  }

  /** Signed LEB128 of a 32-bit integer. */
  s32(v: number): void {
    v |= 0;
    for (;;) {
      const b = v & 0x7f;
      v >>= 7;
      if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
        this.byte(b);
        return;
      }
      this.byte(b | 0x80);
    }
  }

  /** Signed LEB128 of the 64-bit integer with these low and high 32 bits. */
  s64(lo: number, hi: number): void {
    if ((hi | 0) === (lo | 0) >> 31) {
      this.s32(lo);
      return;
    }
    let v = BigInt.asIntN(64, (BigInt(hi | 0) << 32n) | BigInt(lo >>> 0));
    for (;;) {
      const b = Number(v & 0x7fn);
      v >>= 7n;
      if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) {
        this.byte(b);
        return;
      }
      this.byte(b | 0x80);
    }
  }

  f64(v: number): void {
    F64[0] = v;
    this.bytes(F64_BYTES);
  }

  /** A name: its UTF-8 length, then the bytes. */
  name(s: string): void {
    const b = new TextEncoder().encode(s);
    this.u32(b.length);
    this.bytes(b);
  }

  /** Another writer's bytes, prefixed by their count (a section's or a function body's size). */
  sized(inner: ByteWriter): void {
    this.u32(inner.length);
    this.bytes(inner.view());
  }

  view(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }

  /** A copy of the bytes written, as a buffer of their own. */
  take(): Uint8Array<ArrayBuffer> {
    return this.buf.slice(0, this.length);
  }
}
