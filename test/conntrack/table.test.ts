import { describe, expect, it } from 'vitest';
import { conntrackLine } from '../../src/conntrack/format.js';
import { NF_CONN_LAYOUT_6_18 } from '../../src/conntrack/layout.js';
import { NF_NAT_MANIP_DST, NF_NAT_MANIP_SRC, setNatInfo } from '../../src/conntrack/nat.js';
import { addRequestFromText } from '../../src/conntrack/request.js';
import { IPS } from '../../src/conntrack/status.js';
import { ConntrackTable } from '../../src/conntrack/table.js';
import { DEFAULT_ZONE, invertTuple, IPPROTO_TCP, IPPROTO_UDP, tupleFromText } from '../../src/conntrack/tuple.js';
import { AddressSpace } from '../../src/vm/address-space.js';
import { errorOf } from '../error-of.js';

/** A table whose clock the test moves (jiffies, HZ 250). */
function table(max = 8, start = 1000) {
  const clock = { now: start };
  const space = new AddressSpace({ maxDataBytes: 1 << 20 });
  let seed = 12345;
  const t = new ConntrackTable({
    space,
    layout: () => NF_CONN_LAYOUT_6_18,
    now: () => clock.now >>> 0,
    hz: 250,
    random: () => (seed = (seed * 1103515245 + 12345) >>> 0),
    max,
  });
  return { t, clock, space };
}

const tcp = (src: string, dst: string, sport: number, dport: number) => tupleFromText(IPPROTO_TCP, src, dst, sport, dport);
const zone = (id: number, dir = 3) => ({ id, flags: 0, dir });

describe('conntrack table: lookups', () => {
  it('finds an entry by the tuple of either direction, and says which', () => {
    const { t } = table();
    const e = t.add({ original: tcp('10.0.0.1', '10.0.0.2', 1000, 80), timeout: 60 });
    expect(t.find(tcp('10.0.0.1', '10.0.0.2', 1000, 80), DEFAULT_ZONE)).toEqual({ entry: e, dir: 0 });
    expect(t.find(tcp('10.0.0.2', '10.0.0.1', 80, 1000), DEFAULT_ZONE)).toEqual({ entry: e, dir: 1 });
    expect(t.find(tcp('10.0.0.1', '10.0.0.2', 1000, 81), DEFAULT_ZONE)).toBeUndefined();
    expect(t.find(tupleFromText(IPPROTO_UDP, '10.0.0.1', '10.0.0.2', 1000, 80), DEFAULT_ZONE)).toBeUndefined();
  });

  it('matches zones per direction: a zone for the original direction only leaves the reply in zone 0', () => {
    const { t } = table();
    const both = t.add({ original: tcp('10.0.0.1', '10.0.0.2', 1000, 80), timeout: 60, zone: zone(5) });
    const orig = t.add({ original: tcp('10.0.0.3', '10.0.0.4', 2000, 80), timeout: 60, zone: zone(7, 1) });
    expect(t.find(both.original, DEFAULT_ZONE)).toBeUndefined();
    expect(t.find(both.reply, zone(5))?.dir).toBe(1);
    expect(t.find(orig.original, zone(7))?.entry).toBe(orig);
    expect(t.find(orig.reply, zone(7))).toBeUndefined();
    expect(t.find(orig.reply, DEFAULT_ZONE)?.dir).toBe(1);
    expect(t.find(orig.reply, zone(7, 1))?.dir).toBe(1);
  });

  it('refuses an entry whose tuple, in either direction, another entry of the zone has', () => {
    const { t } = table();
    t.add({ original: tcp('10.0.0.1', '10.0.0.2', 1000, 80), timeout: 60 });
    expect(errorOf(() => t.add({ original: tcp('10.0.0.1', '10.0.0.2', 1000, 80), timeout: 60 })).errno).toBe('EEXIST');
    expect(errorOf(() => t.add({ original: tcp('10.0.0.2', '10.0.0.1', 80, 1000), timeout: 60 })).message).toBe(
      'a conntrack entry for src=10.0.0.2 dst=10.0.0.1 sport=80 dport=1000 already exists',
    );
    t.add({ original: tcp('10.0.0.1', '10.0.0.2', 1000, 80), timeout: 60, zone: zone(9) });
    expect(t.entries()).toHaveLength(2);
  });
});

describe('conntrack table: time', () => {
  it('an entry lives its timeout in jiffies and is gone (and may be added again) once it has passed', () => {
    const { t, clock } = table();
    const tuple = tcp('10.0.0.1', '10.0.0.2', 1000, 80);
    const e = t.add({ original: tuple, timeout: 2 });
    expect(e.timeout).toBe(1500);
    clock.now += 499;
    expect(t.secondsLeft(e)).toBe(0);
    expect(t.find(tuple, DEFAULT_ZONE)?.entry).toBe(e);
    clock.now += 1;
    expect(t.find(tuple, DEFAULT_ZONE)).toBeUndefined();
    expect(t.entries()).toEqual([]);
    expect(t.count).toBe(0);
    expect(e.state).toBe('freed');
    t.add({ original: tuple, timeout: 2 });
    expect(t.count).toBe(1);
  });

  it('compares times as the kernel does, across the wrap of the 32-bit jiffies', () => {
    const { t, clock } = table(8, 0xffffff00);
    const e = t.add({ original: tcp('10.0.0.1', '10.0.0.2', 1000, 80), timeout: 4 });
    expect(e.timeout).toBe(0x000003e8 - 0x100);
    clock.now = 0x100;
    expect(t.entries()).toEqual([e]);
    expect(t.secondsLeft(e)).toBe(1);
    clock.now = 0x2e8;
    expect(t.entries()).toEqual([]);
  });

  it('a fixed timeout cannot be changed (-EPERM); a timeout is capped at INT_MAX jiffies', () => {
    const { t, clock } = table();
    const fixed = t.add({ original: tcp('10.0.0.1', '10.0.0.2', 1000, 80), timeout: 60, status: IPS.FIXED_TIMEOUT });
    expect(t.changeTimeout(fixed, 10)).toBe(-1);
    const e = t.add({ original: tcp('10.0.0.1', '10.0.0.2', 1001, 80), timeout: 60 });
    expect(t.changeTimeout(e, 2 ** 40)).toBe(0);
    expect(e.timeout).toBe((clock.now + 0x7fffffff) >>> 0);
  });
});

describe('conntrack table: references and memory', () => {
  it('counts ct_general.use as the kernel does: 0 allocated, 2 inserted, +1 per lookup, and the program references balance', () => {
    const { t } = table();
    t.ensureMemory();
    const tuple = tcp('10.0.0.1', '10.0.0.2', 1000, 80);
    const e = t.alloc(tuple, invertTuple(tuple), DEFAULT_ZONE, 2500);
    if (typeof e === 'number') throw new Error(`alloc failed ${e}`);
    expect([e.use, e.state, t.held]).toEqual([0, 'allocated', 1]);
    expect(t.insert(e)).toBe(e);
    expect([e.use, e.state, t.held, e.timeout]).toEqual([2, 'confirmed', 1, 3500]);
    expect(e.status & IPS.CONFIRMED).toBeTruthy();
    const found = t.lookup(invertTuple(tuple), DEFAULT_ZONE);
    expect([found?.dir, e.use, t.held]).toEqual([1, 3, 2]);
    t.release(e);
    t.release(e);
    expect([e.use, t.held, t.references]).toEqual([1, 0, { acquired: 3, released: 3 }]);
  });

  it('an insert that clashes frees the allocated entry and gives its memory back', () => {
    const { t } = table(2);
    t.ensureMemory();
    const tuple = tcp('10.0.0.1', '10.0.0.2', 1000, 80);
    t.add({ original: tuple, timeout: 60 });
    const e = t.alloc(invertTuple(tuple), tuple, DEFAULT_ZONE, 2500);
    if (typeof e === 'number') throw new Error(`alloc failed ${e}`);
    const addr = e.address;
    expect(t.insert(e)).toBeUndefined();
    expect([e.state, t.count, t.held, t.entryAt(addr)]).toEqual(['freed', 1, 0, undefined]);
    const again = t.alloc(tcp('10.0.0.5', '10.0.0.6', 1, 2), tcp('10.0.0.6', '10.0.0.5', 2, 1), DEFAULT_ZONE, 1);
    expect(typeof again === 'number' ? again : again.address).toBe(addr);
  });

  it('a flushed entry a program still holds is DYING until released (change_timeout answers -ETIME)', () => {
    const { t } = table();
    t.ensureMemory();
    const tuple = tcp('10.0.0.1', '10.0.0.2', 1000, 80);
    const e = t.add({ original: tuple, timeout: 60 });
    t.lookup(tuple, DEFAULT_ZONE);
    expect(t.flush()).toBe(1);
    expect([e.state, e.use, t.entries()]).toEqual(['dying', 1, []]);
    expect(e.status & IPS.DYING).toBeTruthy();
    expect(t.changeTimeout(e, 100)).toBe(-62);
    expect(t.entryAt(e.address)).toBe(e);
    t.release(e);
    expect([e.state, t.count]).toEqual(['freed', 0]);
  });

  it('holds at most max entries, allocated ones included: ENOMEM / -ENOMEM beyond', () => {
    const { t } = table(2);
    t.ensureMemory();
    t.add({ original: tcp('10.0.0.1', '10.0.0.2', 1, 80), timeout: 60 });
    expect(typeof t.alloc(tcp('10.0.0.1', '10.0.0.2', 2, 80), tcp('10.0.0.2', '10.0.0.1', 80, 2), DEFAULT_ZONE, 1)).toBe('object');
    expect(errorOf(() => t.add({ original: tcp('10.0.0.1', '10.0.0.2', 3, 80), timeout: 60 })).errno).toBe('ENOMEM');
    expect(t.alloc(tcp('10.0.0.1', '10.0.0.2', 4, 80), tcp('10.0.0.2', '10.0.0.1', 80, 4), DEFAULT_ZONE, 1)).toBe(-12);
  });

  it('mirrors every field into a region laid out like struct nf_conn; mark lives in the region', () => {
    const { t, space } = table();
    const before = t.add({ original: tcp('10.0.0.1', '10.0.0.2', 1000, 80), timeout: 60, mark: 7, tcpState: 3 });
    expect(before.address).toBe(0);
    t.ensureMemory();
    const L = NF_CONN_LAYOUT_6_18;
    const at = (off: number) => before.address + off;
    expect(space.accessible(before.address, L.size, true)).toBe(true);
    expect(space.dv.getUint32(at(L.use), true)).toBe(1);
    expect(space.dv.getUint32(at(L.timeout), true)).toBe(1000 + 60 * 250);
    expect(space.dv.getUint32(at(L.status), true)).toBe(IPS.CONFIRMED);
    expect(space.dv.getUint32(at(L.mark), true)).toBe(7);
    expect(space.dv.getUint8(at(L.tcpState))).toBe(3);
    expect(space.dv.getUint8(at(L.zoneDir))).toBe(3);
    const reply = at(L.tuple + L.tuplehashStride);
    expect([...space.u8.subarray(reply + L.tupleFields.srcAddr, reply + L.tupleFields.srcAddr + 4)]).toEqual([10, 0, 0, 2]);
    expect(space.dv.getUint16(reply + L.tupleFields.srcPort, false)).toBe(80);
    expect(space.dv.getUint16(reply + L.tupleFields.l3num, true)).toBe(2);
    expect(space.dv.getUint8(reply + L.tupleFields.protonum)).toBe(6);
    expect(space.dv.getUint8(reply + L.tupleFields.dir)).toBe(1);
    space.dv.setUint32(at(L.mark), 99, true);
    expect(before.mark).toBe(99);
    before.mark = 5;
    expect(space.dv.getUint32(at(L.mark), true)).toBe(5);
    const after = t.add({ original: tcp('10.0.0.1', '10.0.0.2', 1001, 80), timeout: 60 });
    expect(after.address).not.toBe(0);
    expect(t.entryAt(after.address)).toBe(after);
  });
});

describe('conntrack table: NAT (nf_nat_setup_info)', () => {
  function allocated(t: ConntrackTable, src: string, dst: string, sport: number, dport: number) {
    const tuple = tcp(src, dst, sport, dport);
    const e = t.alloc(tuple, invertTuple(tuple), DEFAULT_ZONE, 2500);
    if (typeof e === 'number') throw new Error(`alloc failed ${e}`);
    return e;
  }
  const addr = (text: string) => Uint8Array.from([...text.split('.').map(Number), ...new Array(12).fill(0)]);

  it('a source mapping whose reply another entry has moves to a free port of the same band (600-1023 for port 1000)', () => {
    const { t } = table();
    t.ensureMemory();
    t.add({ original: tcp('192.168.0.1', '10.0.0.2', 1000, 80), timeout: 60 });
    const e = allocated(t, '10.0.0.1', '10.0.0.2', 1000, 80);
    expect(setNatInfo(t, e, addr('192.168.0.1'), 0, NF_NAT_MANIP_SRC)).toBe(0);
    expect(e.reply.dport).not.toBe(1000);
    expect(e.reply.dport).toBeGreaterThanOrEqual(600);
    expect(e.reply.dport).toBeLessThanOrEqual(1023);
    expect(e.status & (IPS.SRC_NAT | IPS.SRC_NAT_DONE)).toBe(IPS.SRC_NAT | IPS.SRC_NAT_DONE);
    expect(t.tupleTaken(e.reply, e)).toBe(false);
  });

  it('a destination mapping without a port keeps the port even when taken; a second setup is -ENOMEM', () => {
    const { t } = table();
    t.ensureMemory();
    t.add({ original: tcp('10.0.0.1', '10.9.9.9', 1000, 80), timeout: 60 });
    const e = allocated(t, '10.0.0.1', '10.0.0.2', 1000, 80);
    expect(setNatInfo(t, e, addr('10.9.9.9'), 0, NF_NAT_MANIP_DST)).toBe(0);
    expect(conntrackLine(t, e)).toContain('src=10.9.9.9 dst=10.0.0.1 sport=80 dport=1000');
    expect(setNatInfo(t, e, addr('10.9.9.8'), 0, NF_NAT_MANIP_DST)).toBe(-12);
    expect(t.insert(e)).toBeUndefined();
  });

  it('conntrack -I --dst-nat: DST_NAT and both done bits (the source gets a null binding), as 6.18 answered', () => {
    const { t } = table();
    const e = t.add(
      addRequestFromText({ proto: 'tcp', src: '10.0.0.1', dst: '10.0.0.2', sport: 40200, dport: 8080, dstNat: '10.1.0.80:80', tcpState: 'ESTABLISHED' }),
    );
    expect(e.status).toBe(0x1a8);
    expect(conntrackLine(t, e)).toBe(
      'tcp      6 432000 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=40200 dport=8080 [UNREPLIED] src=10.1.0.80 dst=10.0.0.1 sport=80 dport=40200 mark=0 use=1',
    );
  });
});

describe('conntrack table: what conntrack -L prints', () => {
  it('zones per direction, [UNREPLIED] until a reply, [ASSURED], IPv6 in its short form', () => {
    const { t } = table();
    const a = t.add({
      original: tupleFromText(IPPROTO_UDP, 'fd00::1', 'fd00:0:0:1::2', 5, 6),
      timeout: 30,
      zone: zone(7, 1),
      status: IPS.SEEN_REPLY | IPS.ASSURED,
      mark: 3,
    });
    expect(conntrackLine(t, a)).toBe(
      'udp      17 30 src=fd00::1 dst=fd00:0:0:1::2 sport=5 dport=6 zone-orig=7 src=fd00:0:0:1::2 dst=fd00::1 sport=6 dport=5 [ASSURED] mark=3 use=1',
    );
    const b = t.add({ original: tcp('10.0.0.1', '10.0.0.2', 1, 2), timeout: 30, zone: zone(4, 2) });
    expect(conntrackLine(t, b)).toBe(
      'tcp      6 30 NONE src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 zone-reply=4 mark=0 use=1',
    );
  });
});
