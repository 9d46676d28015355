/**
 * Up to `capacity` captured frames described by typed arrays over one byte buffer: what a capture
 * reader hands the packet ring in bulk, without an object, a copy or a BigInt per frame. Frame i
 * is `bytes[offset[i] .. offset[i] + length[i])`; its timestamp is `seconds[i]` s + `nanos[i]` ns.
 * The bytes belong to the reader that filled the batch and stay valid until it reads again.
 */
export class FrameBatch {
  count = 0;
  bytes: Uint8Array = new Uint8Array(0);
  /** Where `bytes[0]` is in wasm memory, or -1 when the frames are not in wasm memory. */
  base = -1;
  readonly offset: Int32Array;
  readonly length: Int32Array;
  /** Length on the wire (longer than `length` when the capture truncated the frame). */
  readonly originalLength: Int32Array;
  readonly seconds: Float64Array;
  readonly nanos: Uint32Array;
  /** LINKTYPE_* of each frame (pcapng interfaces may differ). */
  readonly linkType: Uint16Array;
  /** Where frames that had to be copied or converted live (pcapng records, cooked frames). */
  private stage = new Uint8Array(64 * 1024);
  private staged = 0;

  constructor(readonly capacity: number) {
    this.offset = new Int32Array(capacity);
    this.length = new Int32Array(capacity);
    this.originalLength = new Int32Array(capacity);
    this.seconds = new Float64Array(capacity);
    this.nanos = new Uint32Array(capacity);
    this.linkType = new Uint16Array(capacity);
  }

  /** Start a batch whose frames lie in `bytes`, at wasm address `base` (-1: not in wasm memory). */
  reset(bytes: Uint8Array, base = -1): void {
    this.count = 0;
    this.bytes = bytes;
    this.base = base;
    this.staged = 0;
  }

  /** Add a frame lying in `bytes` (the buffer given to `reset`); `nanos` of a second or more carry into `seconds`. */
  add(offset: number, length: number, originalLength: number, seconds: number, nanos: number, linkType: number): void {
    if (nanos >= 1e9) {
      seconds += Math.floor(nanos / 1e9);
      nanos %= 1e9;
    }
    const i = this.count++;
    this.offset[i] = offset;
    this.length[i] = length;
    this.originalLength[i] = originalLength;
    this.seconds[i] = seconds;
    this.nanos[i] = nanos;
    this.linkType[i] = linkType;
  }

  /**
   * Add a frame by copying `data` into the batch's own staging buffer; a batch is either all
   * staged or all in the reader's buffer, so `bytes` becomes the staging buffer.
   */
  addCopy(data: Uint8Array, originalLength: number, timestampNs: bigint, linkType: number): void {
    if (this.staged + data.length > this.stage.length) this.growStage(this.staged + data.length);
    this.stage.set(data, this.staged);
    this.bytes = this.stage;
    this.base = -1;
    this.add(this.staged, data.length, originalLength, Number(timestampNs / 1_000_000_000n), Number(timestampNs % 1_000_000_000n), linkType);
    this.staged += data.length;
  }

  /** Replace frame i's bytes by `data` (a conversion), moving the whole batch to staging if needed. */
  replace(i: number, data: Uint8Array): void {
    if (this.bytes !== this.stage) this.moveToStage();
    const at = this.staged;
    if (at + data.length > this.stage.length) this.growStage(at + data.length);
    this.stage.set(data, at);
    this.bytes = this.stage;
    this.base = -1;
    this.offset[i] = at;
    this.length[i] = data.length;
    this.staged += data.length;
  }

  /** Frame i's bytes (a view: copy before the reader reads again). */
  frame(i: number): Uint8Array {
    return this.bytes.subarray(this.offset[i], this.offset[i] + this.length[i]);
  }

  /** Frame i's timestamp in nanoseconds since the epoch. */
  timestampNs(i: number): bigint {
    return BigInt(this.seconds[i]) * 1_000_000_000n + BigInt(this.nanos[i]);
  }

  private moveToStage(): void {
    let total = 0;
    for (let i = 0; i < this.count; i++) total += this.length[i];
    const stage = new Uint8Array(Math.max(this.stage.length, total * 2));
    let at = 0;
    for (let i = 0; i < this.count; i++) {
      stage.set(this.bytes.subarray(this.offset[i], this.offset[i] + this.length[i]), at);
      this.offset[i] = at;
      at += this.length[i];
    }
    this.stage = stage;
    this.staged = at;
    this.bytes = stage;
    this.base = -1;
  }

  private growStage(need: number): void {
    const bigger = new Uint8Array(Math.max(need, this.stage.length * 2));
    bigger.set(this.stage.subarray(0, this.staged));
    if (this.bytes === this.stage) this.bytes = bigger;
    this.stage = bigger;
  }
}
