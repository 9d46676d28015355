import { ERRNO } from '../errors/errno.js';
import { XdpchainError } from '../errors/index.js';
import type { AddressSpace, Region } from '../vm/address-space.js';
import { ConntrackEntry, type EntryInit } from './entry.js';
import type { NfConnLayout } from './layout.js';
import { NF_NAT_MANIP_DST, NF_NAT_MANIP_SRC, setupNat, type NatRange } from './nat.js';
import { changeStatus, IPS } from './status.js';
import {
  DEFAULT_ZONE,
  formatTuple,
  invertTuple,
  IP_CT_DIR_ORIGINAL,
  IP_CT_DIR_REPLY,
  IPPROTO_TCP,
  IPPROTO_UDP,
  tupleEqual,
  tupleKey,
  zoneIdIn,
  type ConntrackTuple,
  type ConntrackZone,
} from './tuple.js';

/** Entries a table holds unless told otherwise (the kernel's nf_conntrack_max depends on memory). */
export const DEFAULT_CONNTRACK_MAX = 1024;
/** __nf_ct_set_timeout caps a timeout at INT_MAX jiffies. */
const MAX_TIMEOUT = 0x7fffffff;

/** What a table needs from the runtime. */
export interface ConntrackTableOptions {
  /** Memory for the entries programs see. */
  space: AddressSpace;
  /** The layout of struct nf_conn; asked for once, when memory is first needed. */
  layout: () => NfConnLayout;
  /** The kernel's jiffies now, as a u32 (nfct_time_stamp). */
  now: () => number;
  /** Jiffies per second (CONFIG_HZ). */
  hz: number;
  /** u32 random numbers (NAT port choice). */
  random: () => number;
  /** Most entries at once, allocated ones included (nf_conntrack_max). */
  max?: number;
}

/** An entry as `conntrack -I` creates it (ctnetlink). */
export interface ConntrackAddRequest {
  original: ConntrackTuple;
  /** Seconds. */
  timeout: number;
  /** IPS_* bits; CONFIRMED is added by the insert. */
  status?: number;
  mark?: number;
  zone?: ConntrackZone;
  /** TCP state (enum tcp_conntrack), for TCP entries. */
  tcpState?: number;
  /** Destination and source NAT (conntrack --dst-nat/--src-nat): with either, ctnetlink sets up both, the other as a null binding. */
  dstNat?: NatRange;
  srcNat?: NatRange;
}

/** One direction of an entry in the table's index (struct nf_conntrack_tuple_hash). */
export interface TupleHash {
  entry: ConntrackEntry;
  dir: number;
}

/**
 * The connection tracking table of one network namespace, with the kernel's semantics for what
 * the conntrack kfuncs and `conntrack -I/-L/-F` do: an entry is found by the tuple of either
 * direction within its zone, an insert clashes with an entry holding either tuple, timeouts are
 * in jiffies and an expired entry is gone (the kernel's garbage collection removes it within
 * seconds; here at once, so an expired entry never clashes with an insert), every reference is
 * counted in ct_general.use as the kernel counts it.
 *
 * Entries live in the runtime's address space once `ensureMemory` has run (before any program
 * that calls a conntrack kfunc runs: nothing may allocate during a run), as regions laid out like
 * the kernel's struct nf_conn.
 */
export class ConntrackTable {
  readonly max: number;
  /** References programs took and gave back: equal when every acquired entry was released. */
  readonly references = { acquired: 0, released: 0 };
  private readonly live = new Set<ConntrackEntry>();
  private readonly index = new Map<string, TupleHash[]>();
  private readonly byAddress = new Map<number, ConntrackEntry>();
  private pool: Region[] | undefined;
  private layout: NfConnLayout | undefined;
  private nextId = 1;
  private bysourceClock = 0;
  /** No confirmed entry expires before this (absolute jiffies), so most calls skip the sweep. */
  private nextExpiry: number | undefined;

  constructor(private readonly opts: ConntrackTableOptions) {
    this.max = opts.max ?? DEFAULT_CONNTRACK_MAX;
    if (!Number.isInteger(this.max) || this.max < 1) throw new XdpchainError('EINVAL', `conntrack table size ${this.max} must be a positive integer`);
  }

  get hz(): number {
    return this.opts.hz;
  }

  now(): number {
    return this.opts.now() >>> 0;
  }

  random(): number {
    return this.opts.random() >>> 0;
  }

  /** Every entry that exists, allocated ones included (the kernel's per-netns count). */
  get count(): number {
    return this.live.size;
  }

  /** References programs hold now. */
  get held(): number {
    return this.references.acquired - this.references.released;
  }

  /** Whether entries have their regions yet (see ensureMemory). */
  get hasMemory(): boolean {
    return this.pool !== undefined;
  }

  /** Allocate the regions of every entry the table can hold, and give existing entries theirs. */
  ensureMemory(): void {
    if (this.pool) return;
    const layout = this.opts.layout();
    this.layout = layout;
    this.pool = [];
    for (let i = 0; i < this.max; i++) this.pool.push(this.opts.space.alloc(layout.size, 'conntrack entry (struct nf_conn)'));
    this.pool.reverse();
    for (const e of this.live) this.attach(e);
  }

  /** The entry whose struct nf_conn is at `addr`. */
  entryAt(addr: number): ConntrackEntry | undefined {
    return this.byAddress.get(addr);
  }

  /** Entries in the table (not allocated or dying ones), oldest first. */
  entries(): ConntrackEntry[] {
    this.collectExpired();
    return [...this.live].filter((e) => e.state === 'confirmed');
  }

  /** Entries that exist in any state, for NAT's bysource search. */
  allEntries(): Iterable<ConntrackEntry> {
    return this.live;
  }

  /** `conntrack -I`: create a confirmed entry (ctnetlink's rules: status changes, timeout, clash). */
  add(req: ConntrackAddRequest): ConntrackEntry {
    const o = req.original;
    if (o.protonum !== IPPROTO_TCP && o.protonum !== IPPROTO_UDP) {
      throw new XdpchainError('EINVAL', `protocol ${o.protonum} is not tracked: xdpchain's conntrack holds TCP and UDP, the protocols the kfuncs take`);
    }
    if (!Number.isFinite(req.timeout) || req.timeout < 0) throw new XdpchainError('EINVAL', `timeout ${req.timeout} must be a number of seconds, 0 or more`);
    const status = changeStatus(0, req.status ?? 0);
    if (status < 0) throw new XdpchainError('EBUSY', 'a new entry cannot have EXPECTED, CONFIRMED or DYING set (the kernel answers EBUSY)');
    this.needRoom();
    const original = { ...o, dir: IP_CT_DIR_ORIGINAL };
    const entry = new ConntrackEntry(
      this.nextId++,
      {
        original,
        reply: invertTuple(original),
        zone: req.zone ?? DEFAULT_ZONE,
        status,
        timeout: (this.now() + Math.min(Math.floor(req.timeout * this.hz), MAX_TIMEOUT)) >>> 0,
        mark: req.mark ?? 0,
        tcpState: o.protonum === IPPROTO_TCP ? (req.tcpState ?? 0) : 0,
      },
      'confirmed',
    );
    if (req.dstNat || req.srcNat) {
      setupNat(this, entry, req.dstNat ?? {}, NF_NAT_MANIP_DST);
      setupNat(this, entry, req.srcNat ?? {}, NF_NAT_MANIP_SRC);
    }
    entry.status |= IPS.CONFIRMED;
    return this.confirm(entry);
  }

  /**
   * Put back a saved entry as it was: its reply tuple (NAT may have changed it), status, mark and
   * zone; `init.timeout` is the jiffies it had left. Refused like `add` on a clash or a full table.
   */
  restore(init: EntryInit, bysource: boolean): ConntrackEntry {
    this.needRoom();
    const timeout = (this.now() + Math.min(init.timeout, MAX_TIMEOUT)) >>> 0;
    const entry = new ConntrackEntry(this.nextId++, { ...init, status: init.status | IPS.CONFIRMED, timeout }, 'confirmed');
    if (bysource) this.addBysource(entry);
    return this.confirm(entry);
  }

  private needRoom(): void {
    this.collectExpired();
    if (this.live.size >= this.max) throw new XdpchainError('ENOMEM', `the conntrack table is full (${this.max} entries)`);
  }

  /** A new confirmed entry into the table with the table's reference, unless it clashes. */
  private confirm(entry: ConntrackEntry): ConntrackEntry {
    if (this.clashes(entry)) throw new XdpchainError('EEXIST', `a conntrack entry for ${formatTuple(entry.original)} already exists`);
    entry.use = 1;
    this.live.add(entry);
    this.attach(entry);
    this.hash(entry);
    return entry;
  }

  /** `conntrack -F`: take every entry out of the table; returns how many. */
  flush(): number {
    const all = this.entries();
    for (const e of all) this.kill(e);
    return all.length;
  }

  /**
   * The table's answer for a tuple in a zone (nf_conntrack_find_get without the reference): an
   * entry whose tuple in some direction equals it and whose zone in that direction matches.
   * Expired entries met on the way are collected.
   */
  find(tuple: ConntrackTuple, zone: ConntrackZone): TupleHash | undefined {
    this.collectExpired();
    const hashes = this.index.get(tupleKey(tuple));
    if (!hashes) return undefined;
    let other: TupleHash | undefined;
    for (const h of hashes) {
      const id = zoneIdIn(h.entry.zone, h.dir);
      if (id !== zoneIdIn(zone, h.dir)) continue;
      // The kernel looks in the bucket of the original direction's zone id first.
      if (id === zoneIdIn(zone, IP_CT_DIR_ORIGINAL)) return h;
      other ??= h;
    }
    return other;
  }

  /**
   * nf_conntrack_tuple_taken: is `tuple` some other confirmed entry's, in `ignored`'s zone (what
   * NAT asks of the reply tuple a mapping would give)? An entry with the same original tuple is
   * the same flow and does not count.
   */
  tupleTaken(tuple: ConntrackTuple, ignored: ConntrackEntry): boolean {
    this.collectExpired();
    const zone = ignored.zone;
    for (const h of this.index.get(tupleKey(tuple)) ?? []) {
      if (h.entry === ignored) continue;
      const id = zoneIdIn(h.entry.zone, h.dir);
      if (id !== zoneIdIn(zone, h.dir) || id !== zoneIdIn(zone, IP_CT_DIR_REPLY)) continue;
      if (tupleEqual(ignored.original, h.entry.original) && zoneIdIn(h.entry.zone, IP_CT_DIR_ORIGINAL) === zoneIdIn(zone, IP_CT_DIR_ORIGINAL)) continue;
      return true;
    }
    return false;
  }

  /** bpf_xdp_ct_lookup: the entry with a reference taken for the program. */
  lookup(tuple: ConntrackTuple, zone: ConntrackZone): TupleHash | undefined {
    const h = this.find(tuple, zone);
    if (!h) return undefined;
    h.entry.use++;
    this.acquire(h.entry);
    return h;
  }

  /**
   * bpf_xdp_ct_alloc: a new entry held by the program and not in the table (use 0, as the
   * kernel's allocator leaves it), or -ENOMEM when the table is full. Needs memory.
   */
  alloc(original: ConntrackTuple, reply: ConntrackTuple, zone: ConntrackZone, timeout: number): ConntrackEntry | number {
    this.collectExpired();
    if (this.live.size >= this.max) return -ERRNO.ENOMEM;
    const entry = new ConntrackEntry(this.nextId++, { original, reply, zone, status: 0, timeout, mark: 0, tcpState: 0 }, 'allocated');
    this.live.add(entry);
    this.attach(entry);
    this.acquire(entry);
    return entry;
  }

  /**
   * bpf_ct_insert_entry: confirm an allocated entry (its timeout starts now) and put it in the
   * table with the table's reference and the program's; on a clash it is freed and the answer is
   * undefined. The program's reference to the allocated entry is consumed either way.
   */
  insert(entry: ConntrackEntry): ConntrackEntry | undefined {
    this.references.released++;
    entry.programRefs--;
    if (!(entry.status & IPS.CONFIRMED)) entry.timeout = (entry.timeout + this.now()) >>> 0;
    entry.status |= IPS.CONFIRMED;
    if (this.clashes(entry)) {
      this.free(entry);
      return undefined;
    }
    entry.state = 'confirmed';
    entry.use = 2;
    this.hash(entry);
    this.acquire(entry);
    return entry;
  }

  /** bpf_ct_release: give back a reference; an entry nobody holds any more is freed. */
  release(entry: ConntrackEntry): void {
    this.references.released++;
    entry.programRefs--;
    entry.use--;
    if (entry.use <= 0) this.free(entry);
  }

  /** bpf_ct_set_timeout: the relative timeout of an allocated entry, in jiffies. */
  setTimeout(entry: ConntrackEntry, jiffies: number): void {
    const t = Math.min(jiffies, MAX_TIMEOUT);
    entry.timeout = entry.status & IPS.CONFIRMED ? (this.now() + t) >>> 0 : t;
    if (entry.status & IPS.CONFIRMED) this.expiresAt(entry.timeout);
  }

  /** bpf_ct_change_timeout (__nf_ct_change_timeout): -EPERM for a fixed timeout, -ETIME for a dying entry (after setting it). */
  changeTimeout(entry: ConntrackEntry, jiffies: number): number {
    if (entry.status & IPS.FIXED_TIMEOUT) return -ERRNO.EPERM;
    this.setTimeout(entry, jiffies);
    return entry.status & IPS.DYING ? -ERRNO.ETIME : 0;
  }

  /** bpf_ct_set_status / bpf_ct_change_status: 0 or -EBUSY. */
  changeStatus(entry: ConntrackEntry, status: number): number {
    const next = changeStatus(entry.status, status);
    if (next < 0) return next;
    entry.status = next;
    return 0;
  }

  /** Set the reply tuple of an entry not yet in the table (NAT's nf_conntrack_alter_reply). */
  alterReply(entry: ConntrackEntry, reply: ConntrackTuple): void {
    entry.reply = { ...reply, dir: IP_CT_DIR_REPLY };
  }

  /** Record that an entry joined NAT's bysource hash (a source mapping was set up). */
  addBysource(entry: ConntrackEntry): void {
    entry.bysource = ++this.bysourceClock;
  }

  /** Whole seconds until an entry expires, 0 once due (what `conntrack -L` shows). */
  secondsLeft(entry: ConntrackEntry): number {
    const left = (entry.timeout - this.now()) | 0;
    return left > 0 ? Math.floor(left / this.hz) : 0;
  }

  private acquire(entry: ConntrackEntry): void {
    this.references.acquired++;
    entry.programRefs++;
  }

  private attach(entry: ConntrackEntry): void {
    if (!this.pool || !this.layout || entry.region) return;
    const region = this.pool.pop();
    if (!region) throw new XdpchainError('ENOMEM', `no memory left for conntrack entry ${entry.id} (table of ${this.max})`);
    entry.attach(this.opts.space, this.layout, region);
    this.byAddress.set(region.addr, entry);
  }

  /** nf_conntrack_hash_check_insert's test: a confirmed entry already holds either tuple in the zone. */
  private clashes(entry: ConntrackEntry): boolean {
    this.collectExpired();
    for (const dir of [IP_CT_DIR_ORIGINAL, IP_CT_DIR_REPLY]) {
      const bucket = zoneIdIn(entry.zone, dir);
      for (const h of this.index.get(tupleKey(entry.tuple(dir))) ?? []) {
        const id = zoneIdIn(h.entry.zone, h.dir);
        if (id === bucket && id === zoneIdIn(entry.zone, h.dir)) return true;
      }
    }
    return false;
  }

  private hash(entry: ConntrackEntry): void {
    for (const dir of [IP_CT_DIR_ORIGINAL, IP_CT_DIR_REPLY]) {
      const key = tupleKey(entry.tuple(dir));
      const list = this.index.get(key) ?? [];
      list.unshift({ entry, dir });
      this.index.set(key, list);
    }
    this.expiresAt(entry.timeout);
  }

  private unhash(entry: ConntrackEntry): void {
    for (const dir of [IP_CT_DIR_ORIGINAL, IP_CT_DIR_REPLY]) {
      const key = tupleKey(entry.tuple(dir));
      const list = (this.index.get(key) ?? []).filter((h) => h.entry !== entry);
      if (list.length > 0) this.index.set(key, list);
      else this.index.delete(key);
    }
  }

  /** nf_ct_delete: out of the table, DYING, and the table's reference dropped. */
  private kill(entry: ConntrackEntry): void {
    if (entry.state !== 'confirmed') return;
    this.unhash(entry);
    entry.state = 'dying';
    entry.status |= IPS.DYING;
    entry.use--;
    if (entry.use <= 0) this.free(entry);
  }

  private free(entry: ConntrackEntry): void {
    this.live.delete(entry);
    entry.state = 'freed';
    entry.use = 0;
    entry.programRefs = 0;
    entry.bysource = 0;
    const region = entry.detach();
    if (region) {
      this.byAddress.delete(region.addr);
      this.pool!.push(region);
    }
  }

  private expiresAt(timeout: number): void {
    if (this.nextExpiry === undefined || ((timeout - this.nextExpiry) | 0) < 0) this.nextExpiry = timeout;
  }

  /** Remove every confirmed entry whose timeout has passed ((s32)(timeout - now) <= 0). */
  private collectExpired(): void {
    const now = this.now();
    if (this.nextExpiry === undefined || ((this.nextExpiry - now) | 0) > 0) return;
    this.nextExpiry = undefined;
    for (const e of [...this.live]) {
      if (e.state !== 'confirmed') continue;
      if (((e.timeout - now) | 0) <= 0) this.kill(e);
      else this.expiresAt(e.timeout);
    }
  }
}
