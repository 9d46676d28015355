import { XdpchainError } from '../errors/index.js';
import type { AddressSpace, Region } from '../vm/address-space.js';
import {
  ETH_HLEN, XDP_FRAME_DESCRIPTOR, XDP_FRAME_SIZE, XDP_MD_SIZE, XDP_METADATA_MAX, XDP_PACKET_HEADROOM,
  XDP_TAILROOM, XdpMdField,
} from './constants.js';

/** Where a redirect helper pointed the frame; acted on only when the program returns XDP_REDIRECT. */
export type RedirectTarget =
  | { kind: 'ifindex'; ifindex: number; flags: number }
  | { kind: 'map'; mapId: number; key: number; flags: number };

/**
 * One XDP frame in the address space (the kernel's xdp_buff) and the `xdp_md` context the
 * program sees. Pointers are absolute addresses. The whole 4096-byte frame is one accessible
 * region; the context is a separate read-only region that `syncContext` keeps up to date.
 */
export class XdpBuffer {
  readonly frame: Region;
  readonly ctx: Region;
  dataMeta = 0;
  data = 0;
  dataEnd = 0;
  ingressIfindex = 0;
  rxQueueIndex = 0;
  egressIfindex = 0;
  redirect: RedirectTarget | null = null;

  constructor(readonly space: AddressSpace, label = 'packet') {
    this.frame = space.alloc(XDP_FRAME_SIZE, `${label} frame`);
    this.ctx = space.alloc(XDP_MD_SIZE, `${label} xdp_md context`, { readOnly: true });
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
  get length(): number {
    return this.dataEnd - this.data;
  }
  get metaLength(): number {
    return this.data - this.dataMeta;
  }

  /**
   * Place a packet as BPF_PROG_TEST_RUN does: `bytes` starts with `metaLength` bytes of
   * metadata, which come out of the 256-byte headroom; data follows.
   */
  load(bytes: Uint8Array, metaLength = 0): void {
    const headroom = XDP_PACKET_HEADROOM - metaLength;
    const start = this.frame.addr + headroom;
    if (bytes.length > this.hardEnd - start) {
      throw new XdpchainError('EINVAL', `packet of ${bytes.length} bytes does not fit the ${this.hardEnd - start}-byte linear area`);
    }
    const u8 = this.space.u8;
    u8.fill(0, this.frame.addr, this.frame.addr + XDP_FRAME_SIZE);
    u8.set(bytes, start);
    this.dataMeta = start;
    this.data = start + metaLength;
    this.dataEnd = start + bytes.length;
    this.redirect = null;
    this.syncContext();
  }

  /** Write data/data_end/data_meta and the device fields into the program-visible xdp_md. */
  syncContext(): void {
    const dv = this.space.dv;
    const base = this.ctx.addr;
    dv.setUint32(base + XdpMdField.data, this.data, true);
    dv.setUint32(base + XdpMdField.data_end, this.dataEnd, true);
    dv.setUint32(base + XdpMdField.data_meta, this.dataMeta, true);
    dv.setUint32(base + XdpMdField.ingress_ifindex, this.ingressIfindex, true);
    dv.setUint32(base + XdpMdField.rx_queue_index, this.rxQueueIndex, true);
    dv.setUint32(base + XdpMdField.egress_ifindex, this.egressIfindex, true);
  }

  /** Copy of the packet (data .. data_end). */
  packet(): Uint8Array {
    return this.space.u8.slice(this.data, this.dataEnd);
  }
  /** Copy of metadata and packet (data_meta .. data_end): what test-run returns as data_out. */
  packetWithMeta(): Uint8Array {
    return this.space.u8.slice(this.dataMeta, this.dataEnd);
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

  /** bpf_xdp_adjust_tail: move data_end by `delta`; grown bytes are zeroed. Returns 0 or -EINVAL. */
  adjustTail(delta: number): number {
    const end = this.dataEnd + delta;
    if (end > this.hardEnd || end < this.data + ETH_HLEN) return -22;
    if (delta > 0) this.space.u8.fill(0, this.dataEnd, end);
    this.dataEnd = end;
    this.syncContext();
    return 0;
  }

  free(): void {
    this.space.free(this.frame);
    this.space.free(this.ctx);
  }
}
