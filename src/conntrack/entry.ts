import type { AddressSpace, Region } from '../vm/address-space.js';
import type { NfConnLayout } from './layout.js';
import type { ConntrackTuple, ConntrackZone } from './tuple.js';

/**
 * Where an entry is in its life: `allocated` by bpf_xdp_ct_alloc and held by the program but not
 * in the table (`struct nf_conn___init`), `confirmed` in the table, `dying` taken out of the table
 * (expired, flushed) while a program still holds it, `freed` gone.
 */
export type EntryState = 'allocated' | 'confirmed' | 'dying' | 'freed';

/** What an entry is made of; everything else starts as the kernel's allocator leaves it (zero). */
export interface EntryInit {
  original: ConntrackTuple;
  reply: ConntrackTuple;
  zone: ConntrackZone;
  status: number;
  /** Jiffies: relative while allocated, absolute (u32) once confirmed, as ct->timeout. */
  timeout: number;
  mark: number;
  tcpState: number;
}

/**
 * One connection (`struct nf_conn`). The fields here are the truth for everything but `mark`;
 * with memory attached they are mirrored into a region laid out like the kernel's struct after
 * every change, and `mark` lives in that region, since programs may write it there.
 */
export class ConntrackEntry {
  original: ConntrackTuple;
  reply: ConntrackTuple;
  zone: ConntrackZone;
  status: number;
  timeout: number;
  tcpState: number;
  /** ct_general.use as the kernel counts: the table's reference plus every holder's. */
  use = 0;
  /** References programs hold (from lookup, alloc, insert), released with bpf_ct_release or insert. */
  programRefs = 0;
  state: EntryState;
  /** In the kernel's NAT bysource hash (a source mapping was set up), and since when (newest first). */
  bysource = 0;
  private markValue: number;
  private memory: { space: AddressSpace; layout: NfConnLayout; region: Region } | undefined;

  constructor(readonly id: number, init: EntryInit, state: EntryState) {
    this.original = init.original;
    this.reply = init.reply;
    this.zone = init.zone;
    this.status = init.status;
    this.timeout = init.timeout;
    this.tcpState = init.tcpState;
    this.markValue = init.mark >>> 0;
    this.state = state;
  }

  /** The region programs see, 0 when the runtime has not given conntrack memory yet. */
  get address(): number {
    return this.memory?.region.addr ?? 0;
  }

  get region(): Region | undefined {
    return this.memory?.region;
  }

  get mark(): number {
    const m = this.memory;
    return m ? m.space.dv.getUint32(m.region.addr + m.layout.mark, true) : this.markValue;
  }

  set mark(value: number) {
    this.markValue = value >>> 0;
    const m = this.memory;
    if (m) m.space.dv.setUint32(m.region.addr + m.layout.mark, this.markValue, true);
  }

  tuple(dir: number): ConntrackTuple {
    return dir ? this.reply : this.original;
  }

  /** Give the entry its region (zeroed, as the allocator leaves it) and write every field there. */
  attach(space: AddressSpace, layout: NfConnLayout, region: Region): void {
    const mark = this.mark;
    space.u8.fill(0, region.addr, region.addr + layout.size);
    this.memory = { space, layout, region };
    this.mark = mark;
    this.sync();
  }

  /** Take the region back (the entry is freed); returns it for reuse. */
  detach(): Region | undefined {
    const m = this.memory;
    if (!m) return undefined;
    this.markValue = this.mark;
    m.space.u8.fill(0, m.region.addr, m.region.addr + m.layout.size);
    this.memory = undefined;
    return m.region;
  }

  /** Mirror the fields into the region (all but mark, which the region owns). */
  sync(): void {
    const m = this.memory;
    if (!m) return;
    const { space, layout: l } = m;
    const a = m.region.addr;
    const dv = space.dv;
    dv.setUint32(a + l.use, this.use, true);
    dv.setUint32(a + l.timeout, this.timeout >>> 0, true);
    dv.setUint16(a + l.zoneId, this.zone.id, true);
    dv.setUint8(a + l.zoneFlags, this.zone.flags);
    dv.setUint8(a + l.zoneDir, this.zone.dir);
    writeTuple(space, a + l.tuple, l, this.original);
    writeTuple(space, a + l.tuple + l.tuplehashStride, l, this.reply);
    dv.setUint32(a + l.status, this.status >>> 0, true);
    dv.setUint32(a + l.status + 4, 0, true);
    dv.setUint8(a + l.tcpState, this.tcpState);
  }
}

function writeTuple(space: AddressSpace, at: number, l: NfConnLayout, t: ConntrackTuple): void {
  const f = l.tupleFields;
  const dv = space.dv;
  space.u8.set(t.src, at + f.srcAddr);
  dv.setUint16(at + f.srcPort, t.sport, false);
  dv.setUint16(at + f.l3num, t.l3num, true);
  space.u8.set(t.dst, at + f.dstAddr);
  dv.setUint16(at + f.dstPort, t.dport, false);
  dv.setUint8(at + f.protonum, t.protonum);
  dv.setUint8(at + f.dir, t.dir);
}
