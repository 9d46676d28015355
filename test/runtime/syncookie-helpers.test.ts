/**
 * The raw SYN cookie helpers (204-207) called by programs on every engine: the return value's
 * encoding, the kernel's argument checks and errors, the cookie's validity window on the
 * runtime's clock, memory faults and the GPL-only rule.
 */
import { describe, expect, it } from 'vitest';
import { XdpchainError } from '../../src/errors/index.js';
import { seededRandom, type Clock } from '../../src/helpers/services.js';
import { makeSyncookie, MSS_TABLE_IPV6 } from '../../src/helpers/syncookie.js';
import { syncookieCount } from '../../src/helpers/tcp-syncookie.js';
import { encodeInstruction, type Instruction } from '../../src/isa/instruction.js';
import { buildFrame, TestHosts, type TcpFlag, type TcpOption } from '../../src/packet/index.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { engines } from '../vm/engines.js';
import { loadProgramSpec, xdpProgramSpec } from './specs.js';

/** A clock a test moves: whole minutes of the cookie counter are 15000 jiffies at HZ 250. */
class TestClock implements Clock {
  ns = 1_000_000_000n;
  monotonicNs = () => this.ns;
  coarseNs = () => this.ns - (this.ns % 4_000_000n);
  advanceSeconds(s: number) {
    this.ns += BigInt(s) * 1_000_000_000n;
  }
}

/**
 * Test frames carry 8 bytes in front of the Ethernet header for the program's answer: it calls
 * `helper(ip, tcp, thLen)` on the frame's headers (or on `bad` addresses) and stores r0 there.
 */
function program(helper: number, family: 4 | 6, thLen: number, bad?: 'ip' | 'tcp') {
  const ip = 8 + 14;
  const tcp = ip + (family === 4 ? 20 : 40);
  const ptr = (reg: number, off: number, wrong: boolean): Instruction[] =>
    wrong
      ? [{ kind: 'alu', bits: 64, op: 'mov', dst: reg, src: { imm: 16 } }]
      : [
          { kind: 'alu', bits: 64, op: 'mov', dst: reg, src: { reg: 6 } },
          { kind: 'alu', bits: 64, op: 'add', dst: reg, src: { imm: off } },
        ];
  const i: Instruction[] = [
    { kind: 'load', size: 4, signed: false, dst: 6, base: 1, off: 0 },
    ...ptr(1, ip, bad === 'ip'),
    ...ptr(2, tcp, bad === 'tcp'),
    { kind: 'alu', bits: 64, op: 'mov', dst: 3, src: { imm: thLen } },
    { kind: 'call', target: 'helper', imm: helper },
    { kind: 'store', size: 8, base: 6, off: 0, value: { reg: 0 } },
    { kind: 'alu', bits: 64, op: 'mov', dst: 0, src: { imm: 2 } },
    { kind: 'exit' },
  ];
  return xdpProgramSpec(
    `h${helper}_${thLen}_${bad ?? 'ok'}`,
    i.flatMap((x) => encodeInstruction(x)),
  );
}

const GEN = { 4: 204, 6: 205 } as const;
const CHECK = { 4: 206, 6: 207 } as const;

function frame(family: 4 | 6, flags: TcpFlag[], seq: number, ack: number, options: TcpOption[] = []): Uint8Array {
  const f = buildFrame([
    { kind: 'ethernet', src: TestHosts.clientMac, dst: TestHosts.serverMac },
    family === 4
      ? { kind: 'ipv4', src: TestHosts.clientIpv4, dst: TestHosts.serverIpv4 }
      : { kind: 'ipv6', src: TestHosts.clientIpv6, dst: TestHosts.serverIpv6 },
    { kind: 'tcp', srcPort: 40001, dstPort: 80, seq, ack, flags, options },
  ]);
  return Uint8Array.from([...new Uint8Array(8), ...f]);
}

const SYN_SEQ = 0x11223344;
const synFrame = (family: 4 | 6, options: TcpOption[] = [{ kind: 'mss', value: 1460 }, { kind: 'sack-permitted' }]) =>
  frame(family, ['syn'], SYN_SEQ, 0, options);
const ackFrame = (family: 4 | 6, cookie: number) => frame(family, ['ack'], SYN_SEQ + 1, (cookie + 1) >>> 0);

describe.each(engines)('raw SYN cookie helpers ($name)', ({ name }) => {
  const runtime = (clock = new TestClock(), seed = 7) => new Runtime({ engine: name as 'wasm', possibleCpus: 1, clock, random: seededRandom(seed) });
  /** r0 of one call, or the fault's message. */
  const call = (rt: Runtime, helper: number, family: 4 | 6, data: Uint8Array, thLen = 0, bad?: 'ip' | 'tcp'): bigint | string => {
    const out = rt.testRun(loadProgramSpec(rt, program(helper, family, thLen, bad)), { data });
    if (out.fault) return out.fault.message;
    return new DataView(out.dataOut.buffer, out.dataOut.byteOffset).getBigInt64(0, true);
  };
  const thLenOf = (f: Uint8Array) => (f[8 + (f[8 + 12] === 0x08 ? 34 : 54) + 12] >> 4) * 4;

  it("gen returns the cookie in the low 32 bits and its MSS above, the cookie the runtime's keys make", () => {
    for (const family of [4, 6] as const) {
      const rt = runtime();
      const syn = synFrame(family);
      const r = call(rt, GEN[family], family, syn, thLenOf(syn)) as bigint;
      const want = makeSyncookie(
        rt.syncookies,
        { family, dv: new DataView(syn.buffer), ip: 22, tcp: family === 4 ? 42 : 62 },
        1460,
        syncookieCount(rt.services),
      );
      expect(r >> 32n).toBe(BigInt(want.mss));
      expect(Number(r & 0xffffffffn)).toBe(want.cookie);
      expect(want.mss).toBe(family === 4 ? 1460 : 1440);
    }
  });

  it('gen without an MSS option gives 536 (IPv4) or 1220 (IPv6)', () => {
    for (const family of [4, 6] as const) {
      const syn = synFrame(family, []);
      expect((call(runtime(), GEN[family], family, syn, 20) as bigint) >> 32n).toBe(family === 4 ? 536n : BigInt(MSS_TABLE_IPV6[0]));
    }
  });

  it('gen refuses a th_len below 20 or other than doff * 4 with -EINVAL', () => {
    for (const family of [4, 6] as const) {
      const syn = synFrame(family);
      const len = thLenOf(syn);
      for (const bad of [0, 16, 19, 20, len - 4, len + 4]) expect(call(runtime(), GEN[family], family, syn, bad)).toBe(-22n);
    }
  });

  it('check accepts the ACK of a cookie (0) and refuses others with -EACCES', () => {
    for (const family of [4, 6] as const) {
      const rt = runtime();
      const syn = synFrame(family);
      const cookie = Number((call(rt, GEN[family], family, syn, thLenOf(syn)) as bigint) & 0xffffffffn);
      expect(call(rt, CHECK[family], family, ackFrame(family, cookie))).toBe(0n);
      expect(call(rt, CHECK[family], family, ackFrame(family, (cookie ^ 0x10000) >>> 0))).toBe(-13n);
      expect(call(rt, CHECK[family], family, frame(family, ['ack'], SYN_SEQ + 0x10001, (cookie + 1) >>> 0))).toBe(-13n);
      // Another runtime has other keys: its cookies are not this one's.
      expect(call(runtime(new TestClock(), 8), CHECK[family], family, ackFrame(family, cookie))).toBe(-13n);
    }
  });

  it('a cookie stays valid while the minute counter moves on by one, not two', () => {
    for (const family of [4, 6] as const) {
      const clock = new TestClock();
      clock.ns = 600_000_000_000n; // exactly minute 10: the counter is 10
      const rt = runtime(clock);
      const syn = synFrame(family);
      const cookie = Number((call(rt, GEN[family], family, syn, thLenOf(syn)) as bigint) & 0xffffffffn);
      clock.advanceSeconds(119);
      expect(syncookieCount(rt.services)).toBe(11);
      expect(call(rt, CHECK[family], family, ackFrame(family, cookie))).toBe(0n);
      clock.advanceSeconds(1);
      expect(syncookieCount(rt.services)).toBe(12);
      expect(call(rt, CHECK[family], family, ackFrame(family, cookie))).toBe(-13n);
    }
  });

  it('memory the program may not read ends the run with a fault naming the helper', () => {
    const syn = synFrame(4);
    expect(call(runtime(), 204, 4, syn, 40, 'tcp')).toMatch(/bpf_tcp_raw_gen_syncookie_ipv4/);
    expect(call(runtime(), 207, 6, ackFrame(6, 1), 0, 'ip')).toMatch(/bpf_tcp_raw_check_syncookie_ipv6/);
  });
});

describe('raw SYN cookie helpers and licences', () => {
  it('are GPL-only, as on the kernel', () => {
    const rt = new Runtime({ possibleCpus: 1 });
    for (const helper of [204, 205, 206, 207]) {
      const p = { ...program(helper, 4, 20), license: 'MIT' };
      let err: unknown;
      try {
        rt.loadCollection({ programs: new Map([[p.name, p]]), maps: new Map(), license: 'MIT' });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(XdpchainError);
      expect((err as XdpchainError).message).toMatch(/cannot call GPL-restricted bpf_tcp_raw_(gen|check)_syncookie_ipv[46]/);
    }
  });
});
