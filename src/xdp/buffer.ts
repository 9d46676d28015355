import { ERRNO } from '../errors/errno.js';
import { XdpchainError } from '../errors/index.js';
import type { AddressSpace, Region } from '../vm/address-space.js';
import type { RxMetadata } from './rx-metadata.js';
import {
  ETH_HLEN,
  MAX_SKB_FRAGS,
  XDP_FRAG_SIZE,
  XDP_FRAME_DESCRIPTOR,
  XDP_FRAME_SIZE,
  XDP_MD_SIZE,
  XDP_METADATA_MAX,
  XDP_CTX_PRIVATE_BYTES,
  XDP_PACKET_HEADROOM,
  XDP_TAILROOM,
  NEVER_LOADED,
  RedirectKind,
  XdpCtxHidden,
  XdpMdField,
} from './constants.js';

const EFAULT = ERRNO.EFAULT;
const EINVAL = ERRNO.EINVAL;

/**
 * A page of a multi-buffer frame. Pages are regions of the address space: a dynptr slice that
 * lies inside one fragment points into its page, as the kernel's does, and the program reads and
 * writes through that pointer.
 */
export interface XdpFragment {
  /** Address of the page's first byte. */
  readonly addr: number;
  /** The page's bytes (a fresh view: memory growth detaches old ones). */
  readonly page: Uint8Array;
  size: number;
}

/** One fragment over a page region of the buffer's pool. */
class FragmentPage implements XdpFragment {
  constructor(
    private readonly space: AddressSpace,
    private readonly region: Region,
    public size: number,
  ) {}
  get addr(): number {
    return this.region.addr;
  }
  get page(): Uint8Array {
    return this.space.view(this.region);
  }
}

/** Where a redirect helper pointed the frame; acted on only when the program returns XDP_REDIRECT. */
export type RedirectTarget = { kind: 'ifindex'; ifindex: number; flags: number } | { kind: 'map'; mapId: number; key: number; flags: number };

/**
 * `bytes[from .. to)`, without a subarray when that is all of it: V8 moves a small array's
 * contents out of the heap the first time a view of its buffer is made (~300 ns per frame).
 */
function wholeOrPart(bytes: Uint8Array, from: number, to: number): Uint8Array {
  return from === 0 && to === bytes.length ? bytes : bytes.subarray(from, to);
}

/**
 * One XDP frame in the address space (the kernel's xdp_buff) and the `xdp_md` context the
 * program sees. Pointers are absolute addresses. The whole 4096-byte frame is one accessible
 * region; the context is a separate read-only region that `syncContext` keeps up to date.
 */
export class XdpBuffer {
  readonly frame: Region;
  readonly ctx: Region;
  ingressIfindex = 0;
  rxQueueIndex = 0;
  egressIfindex = 0;
  /** Pages after the linear part (xdp.frags / multi-buffer frames), in order. */
  frags: XdpFragment[] = [];
  /** Page regions fragments use, allocated when a frame first needs them (never during a run) and kept for reuse. */
  private readonly pages: Region[] = [];
  /** The device this buffer receives for, when it belongs to one (capture uses it). */
  device?: string;
  /** What the receiving device tells the RX metadata kfuncs about the frame (set by the fabric). */
  rxMetadata: RxMetadata | undefined;

  constructor(
    readonly space: AddressSpace,
    private readonly label = 'packet',
  ) {
    this.frame = space.alloc(XDP_FRAME_SIZE, `${label} frame`);
    this.ctx = space.alloc(XDP_MD_SIZE, `${label} xdp_md context`, { readOnly: true, privateTail: XDP_CTX_PRIVATE_BYTES });
    space.dv.setUint32(this.ctx.addr + XdpCtxHidden.hardStart, this.frame.addr, true);
    this.loadedEnd = NEVER_LOADED;
  }

  /** See XdpCtxHidden.loadedEnd. */
  private get loadedEnd(): number {
    return this.space.dv.getUint32(this.ctx.addr + XdpCtxHidden.loadedEnd, true);
  }
  private set loadedEnd(v: number) {
    this.space.dv.setUint32(this.ctx.addr + XdpCtxHidden.loadedEnd, v, true);
  }

  // data, data_end and data_meta live in xdp_md itself, so compiled helpers can move them too.
  get data(): number {
    return this.space.dv.getUint32(this.ctx.addr + XdpMdField.data, true);
  }
  set data(v: number) {
    this.space.dv.setUint32(this.ctx.addr + XdpMdField.data, v, true);
  }
  get dataEnd(): number {
    return this.space.dv.getUint32(this.ctx.addr + XdpMdField.data_end, true);
  }
  set dataEnd(v: number) {
    this.space.dv.setUint32(this.ctx.addr + XdpMdField.data_end, v, true);
  }
  get dataMeta(): number {
    return this.space.dv.getUint32(this.ctx.addr + XdpMdField.data_meta, true);
  }
  set dataMeta(v: number) {
    this.space.dv.setUint32(this.ctx.addr + XdpMdField.data_meta, v, true);
  }

  /** Kept in the context's private tail, so compiled redirect helpers set it too. */
  get redirect(): RedirectTarget | null {
    const dv = this.space.dv;
    const base = this.ctx.addr;
    const kind = dv.getUint32(base + XdpCtxHidden.redirectKind, true);
    if (kind === RedirectKind.none) return null;
    const target = dv.getUint32(base + XdpCtxHidden.redirectTarget, true);
    const flags = dv.getUint32(base + XdpCtxHidden.redirectFlags, true);
    if (kind === RedirectKind.ifindex) return { kind: 'ifindex', ifindex: target, flags };
    return { kind: 'map', mapId: target, key: dv.getUint32(base + XdpCtxHidden.redirectKey, true), flags };
  }
  set redirect(r: RedirectTarget | null) {
    const dv = this.space.dv;
    const base = this.ctx.addr;
    dv.setUint32(base + XdpCtxHidden.redirectKind, r === null ? RedirectKind.none : RedirectKind[r.kind], true);
    dv.setUint32(base + XdpCtxHidden.redirectTarget, r === null ? 0 : r.kind === 'ifindex' ? r.ifindex : r.mapId, true);
    dv.setUint32(base + XdpCtxHidden.redirectKey, r?.kind === 'map' ? r.key : 0, true);
    dv.setUint32(base + XdpCtxHidden.redirectFlags, r?.flags ?? 0, true);
  }

  get hardStart(): number {
    return this.frame.addr;
  }
  /** First address adjust_head/adjust_meta may not go below (after the frame descriptor). */
  get headLimit(): number {
    return this.frame.addr + XDP_FRAME_DESCRIPTOR;
  }
  /** End of the area the packet may grow into (frame end minus the shared-info tailroom). */
  get hardEnd(): number {
    return this.frame.addr + XDP_FRAME_SIZE - XDP_TAILROOM;
  }
  /** Linear bytes (data .. data_end). */
  get length(): number {
    return this.dataEnd - this.data;
  }
  /** bpf_xdp_get_buff_len: linear bytes plus every fragment. */
  get totalLength(): number {
    return this.length + this.fragsSize;
  }
  get fragsSize(): number {
    let n = 0;
    for (const f of this.frags) n += f.size;
    return n;
  }
  get metaLength(): number {
    return this.data - this.dataMeta;
  }

  /**
   * Place a packet as BPF_PROG_TEST_RUN does: `bytes` starts with `metaLength` bytes of
   * metadata, which come out of the 256-byte headroom; data follows up to the end of the linear
   * area, the rest goes into page-sized fragments (at most 17, else ENOMEM).
   */
  load(bytes: Uint8Array, metaLength = 0): void {
    const headroom = XDP_PACKET_HEADROOM - metaLength;
    const start = this.frame.addr + headroom;
    const linear = Math.min(bytes.length, this.hardEnd - start);
    const rest = bytes.length - linear;
    if (rest > MAX_SKB_FRAGS * XDP_FRAG_SIZE) {
      throw new XdpchainError('ENOMEM', `packet of ${bytes.length} bytes needs more than ${MAX_SKB_FRAGS} fragments after the ${linear}-byte linear part`);
    }
    const count = Math.ceil(rest / XDP_FRAG_SIZE);
    while (this.pages.length < count) this.pages.push(this.space.alloc(XDP_FRAG_SIZE, `${this.label} fragment ${this.pages.length}`));
    const u8 = this.space.u8;
    u8.fill(0, this.frame.addr, this.frame.addr + XDP_FRAME_SIZE);
    u8.set(wholeOrPart(bytes, 0, linear), start);
    this.frags = [];
    for (let i = 0, off = linear; i < count; i++, off += XDP_FRAG_SIZE) {
      const chunk = bytes.subarray(off, Math.min(off + XDP_FRAG_SIZE, bytes.length));
      const page = this.pages[i];
      u8.fill(0, page.addr, page.addr + XDP_FRAG_SIZE);
      u8.set(chunk, page.addr);
      this.frags.push(new FragmentPage(this.space, page, chunk.length));
    }
    this.dataMeta = start;
    this.data = start + metaLength;
    this.dataEnd = start + linear;
    this.loadedEnd = start + linear;
    this.redirect = null;
    this.rxMetadata = undefined;
    this.syncContext();
  }

  /**
   * Receive a frame from `src[from .. from + length)` as a NIC's ring slot does, for replaying
   * captures: instead of clearing the whole 4 KiB frame as `load` does, clear only what the
   * previous frame could have left where a program can see it: the headroom (adjust_head and
   * adjust_meta expose it without clearing) and the previous frame's bytes past this one's end;
   * the rest is zero already, and adjust_tail clears what it grows. When a run moved data_end,
   * the whole frame is cleared. Frames longer than the linear part go through `load`.
   * src/xdp/ring-receiver.ts does the same in compiled code.
   */
  receive(src: Uint8Array, from: number, length: number): void {
    const frame = this.frame.addr;
    const start = frame + XDP_PACKET_HEADROOM;
    const end = start + length;
    if (end > this.hardEnd) {
      this.load(src.subarray(from, from + length));
      return;
    }
    const loaded = this.loadedEnd;
    const dirtyEnd = this.dataEnd === loaded ? loaded : frame + XDP_FRAME_SIZE;
    const u8 = this.space.u8;
    u8.fill(0, frame, start);
    u8.set(wholeOrPart(src, from, from + length), start);
    if (dirtyEnd > end) u8.fill(0, end, dirtyEnd);
    this.forgetFrame();
    this.loadedEnd = end;
    this.dataMeta = start;
    this.data = start;
    this.dataEnd = end;
    this.redirect = null;
    this.syncContext();
  }

  /**
   * Drop what only the host kept of the previous frame (its fragments, its RX metadata): for
   * compiled code that received a linear frame straight into the frame and the context.
   */
  forgetFrame(): void {
    if (this.frags.length > 0) this.frags = [];
    this.rxMetadata = undefined;
  }

  /** Write the device fields into the program-visible xdp_md, and the fragment count beside it. */
  syncContext(): void {
    const dv = this.space.dv;
    const base = this.ctx.addr;
    dv.setUint32(base + XdpCtxHidden.frags, this.frags.length, true);
    dv.setUint32(base + XdpMdField.ingress_ifindex, this.ingressIfindex, true);
    dv.setUint32(base + XdpMdField.rx_queue_index, this.rxQueueIndex, true);
    dv.setUint32(base + XdpMdField.egress_ifindex, this.egressIfindex, true);
  }

  /** Copy of the whole packet: linear part and fragments. */
  packet(): Uint8Array {
    return this.withFrags(this.space.u8.subarray(this.data, this.dataEnd));
  }
  /** Copy of metadata, packet and fragments: what test-run returns as data_out. */
  packetWithMeta(): Uint8Array {
    return this.withFrags(this.space.u8.subarray(this.dataMeta, this.dataEnd));
  }
  private withFrags(linear: Uint8Array): Uint8Array {
    const out = new Uint8Array(linear.length + this.fragsSize);
    out.set(linear);
    let off = linear.length;
    for (const f of this.frags) {
      out.set(f.page.subarray(0, f.size), off);
      off += f.size;
    }
    return out;
  }

  /** The packet as runs of bytes in the address space: the linear part, then each fragment's used part. */
  private segments(): { addr: number; size: number }[] {
    const out = [{ addr: this.data, size: this.length }];
    for (const f of this.frags) out.push({ addr: f.addr, size: f.size });
    return out;
  }

  /**
   * Walk `len` bytes of the packet from `offset` as bpf_xdp_copy_buf does: `each(addr, n, done)`
   * gets every piece inside the packet, in order; a range running past the end stops there.
   */
  private walk(offset: number, len: number, each: (addr: number, n: number, done: number) => void): void {
    let pos = offset;
    let done = 0;
    for (const seg of this.segments()) {
      if (done === len) return;
      if (pos >= seg.size) {
        pos -= seg.size;
        continue;
      }
      const n = Math.min(seg.size - pos, len - done);
      each(seg.addr + pos, n, done);
      done += n;
      pos = 0;
    }
  }

  /**
   * Copy between the packet (as one run of bytes: linear part, then fragments) and `buf`,
   * as bpf_xdp_load_bytes/store_bytes do. Bytes of `buf` past the packet's end are left alone.
   */
  copy(offset: number, buf: Uint8Array, direction: 'load' | 'store'): void {
    const u8 = this.space.u8;
    this.walk(offset, buf.length, (addr, n, done) => {
      if (direction === 'load') buf.set(u8.subarray(addr, addr + n), done);
      else u8.set(buf.subarray(done, done + n), addr);
    });
  }

  /**
   * `copy` with the other side at address `addr` of the address space (checked by the caller).
   * Each piece moves as memmove does, so a range of a linear frame may overlap the buffer.
   */
  copyAt(offset: number, addr: number, len: number, direction: 'load' | 'store'): void {
    const u8 = this.space.u8;
    this.walk(offset, len, (at, n, done) => {
      if (direction === 'load') u8.copyWithin(addr + done, at, at + n);
      else u8.copyWithin(at, addr + done, addr + done + n);
    });
  }

  /**
   * bpf_xdp_pointer: the address of `len` packet bytes at `offset` when they lie in one piece
   * (the linear part or one fragment), 0 when they span pieces, -EFAULT when offset or length
   * exceed 16 bits, -EINVAL when the range runs past the packet. Like the kernel, a zero-length
   * range at the very end of the packet gives the start of the linear part.
   */
  pointer(offset: number, len: number): number {
    if (offset > 0xffff || len > 0xffff) return -EFAULT;
    if (offset + len > this.totalLength) return -EINVAL;
    let addr = this.data;
    let size = this.length;
    let off = offset;
    if (off >= size) {
      off -= size;
      for (const f of this.frags) {
        if (off < f.size) {
          addr = f.addr;
          size = f.size;
          break;
        }
        off -= f.size;
      }
    }
    return off + len <= size ? addr + off : 0;
  }

  /** bpf_xdp_adjust_head: move data by `delta`; metadata moves along. Returns 0 or -EINVAL. */
  adjustHead(delta: number): number {
    const meta = this.metaLength;
    const newData = this.data + delta;
    if (newData < this.headLimit + meta || newData > this.dataEnd - ETH_HLEN) return -22;
    if (meta > 0) this.space.u8.copyWithin(this.dataMeta + delta, this.dataMeta, this.data);
    this.dataMeta += delta;
    this.data = newData;
    this.syncContext();
    return 0;
  }

  /** bpf_xdp_adjust_meta: move data_meta by `delta`. Returns 0, -EINVAL or -EACCES. */
  adjustMeta(delta: number): number {
    const meta = this.dataMeta + delta;
    if (meta < this.headLimit || meta > this.data) return -22;
    const len = this.data - meta;
    if (len > XDP_METADATA_MAX || len % 4 !== 0) return -13;
    this.dataMeta = meta;
    this.syncContext();
    return 0;
  }

  /**
   * bpf_xdp_adjust_tail: move the end of the packet by `delta`; grown bytes are zeroed.
   * A multi-buffer frame grows its last fragment within its page and shrinks from the end,
   * releasing emptied fragments. Returns 0 or -EINVAL.
   */
  adjustTail(delta: number): number {
    if (this.frags.length > 0) return delta < 0 ? this.shrinkFrags(-delta) : this.growLastFrag(delta);
    const end = this.dataEnd + delta;
    if (end > this.hardEnd || end < this.data + ETH_HLEN) return -22;
    if (delta > 0) this.space.u8.fill(0, this.dataEnd, end);
    this.dataEnd = end;
    // Bytes past data_end may now be the program's: the next receive clears the frame.
    this.loadedEnd = 0;
    this.syncContext();
    return 0;
  }

  private growLastFrag(delta: number): number {
    const last = this.frags[this.frags.length - 1];
    if (delta > XDP_FRAG_SIZE - last.size) return -22;
    last.page.fill(0, last.size, last.size + delta);
    last.size += delta;
    return 0;
  }

  private shrinkFrags(amount: number): number {
    if (amount > this.totalLength - ETH_HLEN) return -22;
    let left = amount;
    while (left > 0 && this.frags.length > 0) {
      const last = this.frags[this.frags.length - 1];
      const cut = Math.min(left, last.size);
      last.size -= cut;
      left -= cut;
      if (last.size === 0) this.frags.pop();
    }
    if (this.frags.length === 0 && left > 0) this.dataEnd -= left;
    this.syncContext();
    return 0;
  }

  free(): void {
    this.space.free(this.frame);
    this.space.free(this.ctx);
    for (const p of this.pages) this.space.free(p);
    this.pages.length = 0;
    this.frags = [];
  }
}
