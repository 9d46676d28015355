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
 * with memory attached every change of them is written at once into a region laid out like the
 * kernel's struct, and `mark` lives in that region, since programs may write it there.
 */
export class ConntrackEntry {
  readonly original: ConntrackTuple;
  readonly zone: ConntrackZone;
  readonly tcpState: number;
  /** Programs hold references (from lookup, alloc, insert), given back with bpf_ct_release or insert. */
  programRefs = 0;
  state: EntryState;
  /** In the kernel's NAT bysource hash (a source mapping was set up), and since when (newest first). */
  bysource = 0;
  private replyTuple: ConntrackTuple;
  private statusBits: number;
  private timeoutJiffies: number;
  private useCount = 0;
  private markValue: number;
  private memory: { space: AddressSpace; layout: NfConnLayout; region: Region } | undefined;

  constructor(
    readonly id: number,
    init: EntryInit,
    state: EntryState,
  ) {
    this.original = init.original;
    this.replyTuple = init.reply;
    this.zone = init.zone;
    this.statusBits = init.status >>> 0;
    this.timeoutJiffies = init.timeout >>> 0;
    this.tcpState = init.tcpState;
    this.markValue = init.mark >>> 0;
    this.state = state;
  }

  /** The reply direction's tuple (NAT changes it before the insert). */
  get reply(): ConntrackTuple {
    return this.replyTuple;
  }

  set reply(t: ConntrackTuple) {
    this.replyTuple = t;
    const m = this.memory;
    if (m) writeTuple(m.space, m.region.addr + m.layout.tuple + m.layout.tuplehashStride, m.layout, t);
  }

  /** IPS_* bits (`unsigned long status`). */
  get status(): number {
    return this.statusBits;
  }

  set status(value: number) {
    this.statusBits = value >>> 0;
    this.write32('status', this.statusBits);
  }

  /** ct->timeout in jiffies: relative while allocated, absolute (u32) once confirmed. */
  get timeout(): number {
    return this.timeoutJiffies;
  }

  set timeout(value: number) {
    this.timeoutJiffies = value >>> 0;
    this.write32('timeout', this.timeoutJiffies);
  }

  /** ct_general.use as the kernel counts: the table's reference plus every holder's. */
  get use(): number {
    return this.useCount;
  }

  set use(value: number) {
    this.useCount = value;
    this.write32('use', value);
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
    this.write32('mark', this.markValue);
  }

  tuple(dir: number): ConntrackTuple {
    return dir ? this.replyTuple : this.original;
  }

  /** Give the entry its region (zeroed, as the allocator leaves it) and write every field there. */
  attach(space: AddressSpace, layout: NfConnLayout, region: Region): void {
    const a = region.addr;
    space.u8.fill(0, a, a + layout.size);
    this.memory = { space, layout, region };
    const dv = space.dv;
    dv.setUint32(a + layout.use, this.useCount, true);
    dv.setUint32(a + layout.timeout, this.timeoutJiffies, true);
    dv.setUint16(a + layout.zoneId, this.zone.id, true);
    dv.setUint8(a + layout.zoneFlags, this.zone.flags);
    dv.setUint8(a + layout.zoneDir, this.zone.dir);
    writeTuple(space, a + layout.tuple, layout, this.original);
    writeTuple(space, a + layout.tuple + layout.tuplehashStride, layout, this.replyTuple);
    dv.setUint32(a + layout.status, this.statusBits, true);
    dv.setUint32(a + layout.mark, this.markValue, true);
    dv.setUint8(a + layout.tcpState, this.tcpState);
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

  /** The upper half of `unsigned long status` stays 0: status bits end at 16. */
  private write32(field: 'use' | 'timeout' | 'status' | 'mark', value: number): void {
    const m = this.memory;
    if (m) m.space.dv.setUint32(m.region.addr + m.layout[field], value, true);
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
