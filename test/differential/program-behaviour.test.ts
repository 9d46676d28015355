/**
 * Our XDP programs do what their comments say: checked on the kernel's recorded answers (golden
 * files) with the independent packet decoder. This guards the programs themselves; the
 * differential tests then hold the runtime to the same answers.
 */
import { describe, expect, it } from 'vitest';
import { decodeFrame, fromHex, toHex } from '../../src/packet/index.js';
import { readGolden } from './golden.js';
import type { CaseResult, PacketCase } from './scenario.js';
import { allScenarios } from './scenarios/index.js';

const XDP = { ABORTED: 0, DROP: 1, PASS: 2, TX: 3, REDIRECT: 4 } as const;

// While golden files are being re-recorded (in parallel, by kernel-golden.test.ts) they are in flux.
if (process.env.XDPCHAIN_RECORD_GOLDEN === '1') {
  it.skip('skipped while recording golden files: run again without XDPCHAIN_RECORD_GOLDEN', () => {});
}

type Ran = { packet: PacketCase; result: Extract<CaseResult, { retval: number }> };

/** The scenario's packets with their golden results (cases the kernel refused are left out). */
function ran(scenario: string): Ran[] {
  const s = allScenarios().find((x) => x.name === scenario);
  const g = readGolden(scenario);
  if (!s || !g) throw new Error(`no scenario or golden file ${scenario}`);
  return s.packets.flatMap((packet, i) => {
    const result = g.cases[i]?.result;
    return result && !('error' in result) ? [{ packet, result }] : [];
  });
}

const by = (rows: Ran[], name: string): Ran => {
  const r = rows.find((x) => x.packet.name === name);
  if (!r) throw new Error(`no case ${name}`);
  return r;
};

function verdicts(scenario: string, names: readonly string[]): Record<string, number> {
  const rows = ran(scenario);
  return Object.fromEntries(names.map((n) => [n, by(rows, n).result.retval]));
}

describe.skipIf(process.env.XDPCHAIN_RECORD_GOLDEN === '1')('programs', () => {
  describe('firewall', () => {
    it('applies its rules in order', () => {
      expect(
        verdicts('firewall', [
          'ipv4-udp',
          'ipv6-udp',
          'arp',
          'malformed-ipv4',
          'ipv4-bad-length',
          'fw-allowed-src-denied-port',
          'fw-denied-src',
          'fw-denied-prefix',
          'fw-allow-beats-prefix',
          'fw-next-to-prefix',
          'fw-denied-tcp-port',
          'fw-denied-udp-port',
          'fw-udp-to-tcp-only-port',
          'fw-vlan-denied-src',
          'fw-later-fragment-to-denied-port',
        ]),
      ).toEqual({
        'ipv4-udp': XDP.PASS,
        'ipv6-udp': XDP.PASS,
        arp: XDP.PASS,
        'malformed-ipv4': XDP.DROP,
        'ipv4-bad-length': XDP.DROP,
        'fw-allowed-src-denied-port': XDP.PASS,
        'fw-denied-src': XDP.DROP,
        'fw-denied-prefix': XDP.DROP,
        'fw-allow-beats-prefix': XDP.PASS,
        'fw-next-to-prefix': XDP.PASS,
        'fw-denied-tcp-port': XDP.DROP,
        'fw-denied-udp-port': XDP.DROP,
        'fw-udp-to-tcp-only-port': XDP.PASS,
        'fw-vlan-denied-src': XDP.DROP,
        'fw-later-fragment-to-denied-port': XDP.PASS,
      });
      expect(verdicts('firewall-default-drop', ['ipv4-udp', 'ipv6-udp', 'fw-allowed-src-denied-port'])).toEqual({
        'ipv4-udp': XDP.DROP,
        'ipv6-udp': XDP.PASS,
        'fw-allowed-src-denied-port': XDP.PASS,
      });
    });
  });

  describe('load balancer', () => {
    const rows = (): Ran[] => ran('load-balancer');
    const backends = new Map([0x11, 0x12, 0x13, 0x14, 0x15, 0x16].map((n) => [`10.1.0.${n}`, `02:00:00:00:01:${n.toString(16)}`]));

    it('wraps VIP traffic in a correct IPIP header towards a backend and bounces it', () => {
      const tx = rows().filter((r) => r.result.retval === XDP.TX);
      expect(tx.length).toBeGreaterThanOrEqual(8);
      for (const { packet, result } of tx) {
        const out = fromHex(result.dataOut);
        const input = fromHex(packet.data);
        const d = decodeFrame(out);
        expect(d.problems, packet.name).toEqual([]);
        expect(
          d.layers.slice(0, 3).map((l) => l.kind),
          packet.name,
        ).toEqual(['ethernet', 'ipv4', 'ipv4']);
        const outer = d.layers[1].fields;
        expect(outer).toMatchObject({ protocol: 4, src: '10.0.0.254', totalLength: input.length - 14 + 20, dontFragment: true });
        expect(backends.get(String(outer.dst)), packet.name).toBe(d.layers[0].fields.dst);
        expect(d.layers[0].fields.src).toBe('02:00:00:00:00:02');
        expect(toHex(out.subarray(34)), 'inner packet unchanged').toBe(toHex(input.subarray(14)));
      }
    });

    it('sends one flow to one backend and passes non-VIP traffic untouched', () => {
      const dst = (name: string) => decodeFrame(fromHex(by(rows(), name).result.dataOut)).layers[1].fields.dst;
      expect(dst('lb-vip-tcp-sport-40001')).toBe(dst('lb-vip-tos-ttl'));
      expect(new Set(['40001', '40002', '40003', '40004', '40005', '51000'].map((p) => dst(`lb-vip-tcp-sport-${p}`))).size).toBeGreaterThan(1);
      for (const name of ['ipv4-udp', 'ipv6-tcp', 'lb-vip-wrong-protocol', 'lb-vip-no-backends', 'lb-vip-vlan-tagged']) {
        const r = by(rows(), name);
        expect(r.result.retval, name).toBe(XDP.PASS);
        expect(r.result.dataOut, name).toBe(r.packet.data);
      }
    });
  });

  describe('nat', () => {
    const rows = (): Ran[] => ran('nat');
    const ipv4Of = (r: Ran) => decodeFrame(fromHex(r.result.dataOut));

    it('rewrites addresses and ports with checksums that still verify', () => {
      for (const r of rows()) {
        if (r.result.dataOut === r.packet.data || decodeFrame(fromHex(r.packet.data)).problems.length > 0) continue;
        expect(ipv4Of(r).problems, r.packet.name).toEqual([]);
      }
      const tcp = ipv4Of(by(rows(), 'ipv4-tcp'));
      expect(tcp.layers[1].fields.dst).toBe('192.168.1.20');
      expect(tcp.layers[2].fields.dstPort).toBe(8080);
      const icmp = ipv4Of(by(rows(), 'ipv4-icmp'));
      expect(icmp.layers[1].fields.dst).toBe('192.168.1.2');
      expect(icmp.layers[2].fields.id).toBe(0x5678);
      const out = ipv4Of(by(rows(), 'nat-snat-client-outbound'));
      expect(out.layers[1].fields.src).toBe('198.51.100.1');
      expect(out.layers[2].fields.srcPort).toBe(61000);
    });

    it('keeps a missing UDP checksum missing and never emits a zero one', () => {
      expect(ipv4Of(by(rows(), 'nat-udp-without-checksum')).layers[2].fields.checksum).toBe('none');
      const zero = fromHex(by(rows(), 'nat-udp-checksum-becomes-zero').result.dataOut);
      expect(toHex(zero.subarray(40, 42))).toBe('ffff');
      expect(decodeFrame(zero).problems).toEqual([]);
    });
  });

  describe('vlan', () => {
    it('push inserts the configured tag after the MAC addresses', () => {
      for (const [scenario, tag] of [
        ['vlan-push', '81006064'],
        ['vlan-push-qinq-outer', '88a8e12c'],
      ] as const) {
        for (const r of ran(scenario).filter((x) => x.packet.repeat === undefined)) {
          const d = r.packet.data;
          expect(r.result.dataOut, `${scenario} ${r.packet.name}`).toBe(d.slice(0, 24) + tag + d.slice(24));
        }
      }
    });

    it('pop removes exactly the outer tag', () => {
      for (const r of ran('vlan-pop').filter((x) => x.packet.repeat === undefined)) {
        const d = r.packet.data;
        const tagged = ['8100', '88a8'].includes(d.slice(24, 28)) && d.length >= 36;
        expect(r.result.dataOut, r.packet.name).toBe(tagged ? d.slice(0, 24) + d.slice(32) : d);
      }
    });
  });

  describe('helpers', () => {
    it('tail grow appends a trailer and zeroed bytes', () => {
      for (const r of ran('tail-grow').filter((x) => x.result.retval === XDP.PASS && x.packet.repeat === undefined)) {
        expect(r.result.dataOut, r.packet.name).toBe(r.packet.data + '58444331' + '00'.repeat(12));
      }
    });

    it('load/store bytes swaps the MAC addresses', () => {
      for (const r of ran('load-store-bytes')) {
        const d = r.packet.data;
        expect(r.result.dataOut.slice(0, 24), r.packet.name).toBe(d.slice(12, 24) + d.slice(0, 12));
      }
    });

    it('adjust meta puts its 8 metadata bytes in front of the frame', () => {
      const r = by(ran('adjust-meta'), 'ipv4-udp');
      const len = (r.packet.data.length / 2).toString(16).padStart(2, '0');
      expect(r.result.dataOut.endsWith(r.packet.data)).toBe(true);
      expect(r.result.dataOut.slice(-r.packet.data.length - 16, -r.packet.data.length)).toBe(`01eeffc0${len}000000`);
    });

    it('fib lookup forwards with the next hop MACs, a lower TTL and a valid checksum', () => {
      const fwd = ran('fib-lookup').filter((r) => r.result.retval === XDP.REDIRECT);
      expect(fwd.length).toBeGreaterThanOrEqual(4);
      for (const r of fwd) {
        const before = decodeFrame(fromHex(r.packet.data));
        const after = decodeFrame(fromHex(r.result.dataOut));
        expect(after.problems, r.packet.name).toEqual([]);
        expect(after.layers[0].fields).toMatchObject({ dst: '02:00:00:00:01:01', src: '02:00:00:00:01:fe' });
        const ip = (d: typeof before) => d.layers.find((l) => l.kind === 'ipv4' || l.kind === 'ipv6')!.fields;
        const hops = (f: ReturnType<typeof ip>) => Number(f.ttl ?? f.hopLimit);
        expect(hops(ip(after)), r.packet.name).toBe(hops(ip(before)) - 1);
      }
    });

    it('tail calls stop after 33 jumps', () => {
      // .bss of tail_call.o (llvm-objdump -t): chain_runs is the u32 at offset 24.
      const bss = by(ran('tail-call-self-limit'), 'ipv4-udp').result.maps['.bss'][0].value!;
      expect(Buffer.from(bss, 'hex').readUInt32LE(24)).toBe(34);
    });
  });
  describe('conntrack firewall', () => {
    const rows = (): Ran[] => ran('conntrack-firewall');
    const decoded = (name: string) => decodeFrame(fromHex(by(rows(), name).result.dataOut));
    /** ct_stats: the counter of each enum ct_stat that moved. */
    const moved = (name: string): number[] =>
      by(rows(), name)
        .result.maps.ct_stats.filter((e) => BigInt(`0x${e.value}`) !== 0n)
        .map((e) => Buffer.from(e.key, 'hex').readUInt32LE(0));
    const STAT = { OTHER: 0, ORIGINAL: 1, REPLY: 2, BLOCKED: 3, NEW: 4, NOT_SYN: 5, NO_SERVICE: 6, INSERT_FAILED: 8, NAT: 9 };

    it('opens connections only with a SYN (or UDP) to a listed service, and passes both directions of known ones', () => {
      expect(
        verdicts('conntrack-firewall', [
          'tcp-syn-new',
          'tcp-ack-without-entry',
          'tcp-syn-no-service',
          'udp-new',
          'tcp-first-reply',
          'udp-blocked-mark',
          'tcp-syn-clashes-with-nat-reply',
          'arp',
        ]),
      ).toEqual({
        'tcp-syn-new': XDP.PASS,
        'tcp-ack-without-entry': XDP.DROP,
        'tcp-syn-no-service': XDP.DROP,
        'udp-new': XDP.PASS,
        'tcp-first-reply': XDP.PASS,
        'udp-blocked-mark': XDP.DROP,
        'tcp-syn-clashes-with-nat-reply': XDP.DROP,
        arp: XDP.PASS,
      });
      expect(moved('tcp-syn-new-then-known')).toEqual([STAT.ORIGINAL, STAT.NEW]);
      expect(moved('tcp-first-reply')).toEqual([STAT.REPLY]);
      expect(moved('tcp-syn-clashes-with-nat-reply')).toEqual([STAT.INSERT_FAILED]);
      const first = by(rows(), 'tcp-first-reply').result.conntrack!.find((l) => l.includes('sport=40100'))!;
      expect(first).toMatch(/dport=80 src=10\.0\.0\.2 .* \[ASSURED\]/);
    });

    it('rewrites destination-NAT connections from the entry, both ways, with checksums that verify', () => {
      const out = decoded('tcp-syn-dnat-new');
      expect([out.layers[1].fields.dst, out.layers[2].fields.dstPort, out.problems]).toEqual(['10.1.0.80', 80, []]);
      const known = decoded('tcp-dnat-known-original');
      expect([known.layers[1].fields.dst, known.layers[2].fields.dstPort, known.problems]).toEqual(['10.1.0.80', 80, []]);
      const reply = decoded('tcp-dnat-known-reply');
      expect([reply.layers[1].fields.src, reply.layers[2].fields.srcPort, reply.problems]).toEqual(['10.0.0.2', 8080, []]);
      expect(moved('tcp-dnat-known-reply')).toEqual([STAT.REPLY, STAT.NAT]);
    });
  });

  describe('dynptr', () => {
    it('the dynptr firewall drops the configured ports and passes the rest, multi-buffer frames included', () => {
      expect(verdicts('dynptr-firewall-drop-dns', ['ipv4-udp', 'ipv6-udp', 'vlan-ipv4-udp', 'multibuf-9000', 'ipv4-tcp'])).toEqual({
        'ipv4-udp': XDP.DROP,
        'ipv6-udp': XDP.DROP,
        'vlan-ipv4-udp': XDP.DROP,
        'multibuf-9000': XDP.DROP,
        'ipv4-tcp': XDP.PASS,
      });
    });

    it('reflect swaps MACs, addresses and ports, lowers the TTL and keeps every checksum valid', () => {
      for (const name of ['ipv4-udp', 'ipv4-tcp', 'vlan-ipv4-udp', 'multibuf-9000']) {
        const r = by(ran('dynptr-reflect'), name);
        const before = decodeFrame(fromHex(r.packet.data));
        const after = decodeFrame(fromHex(r.result.dataOut));
        expect(r.result.retval, name).toBe(XDP.TX);
        expect(after.layers[0].fields, name).toMatchObject({ src: before.layers[0].fields.dst, dst: before.layers[0].fields.src });
        if (before.layers[1].kind !== 'ipv4') continue;
        expect(after.problems, name).toEqual([]);
        expect(after.layers[1].fields, name).toMatchObject({
          src: before.layers[1].fields.dst,
          dst: before.layers[1].fields.src,
          ttl: Number(before.layers[1].fields.ttl) - 1,
        });
        expect(after.layers[2].fields, name).toMatchObject({ srcPort: before.layers[2].fields.dstPort, dstPort: before.layers[2].fields.srcPort });
      }
    });

    it('stamp writes its trailer over the last 12 bytes wherever they lie, counting runs', () => {
      for (const r of ran('dynptr-stamp').filter((x) => x.packet.data.length >= 52)) {
        const seq = (r.packet.repeat ?? 1).toString(16).padStart(2, '0');
        expect(r.result.dataOut.slice(-24), r.packet.name).toBe(`5844504353544d50${seq}000000`);
        expect(r.result.dataOut.slice(0, -24), r.packet.name).toBe(r.packet.data.slice(0, -24));
      }
    });

    it('a write through a writable slice reaches the frame only when the slice points into it', () => {
      const at = (name: string) => {
        const r = by(ran('dynptr-slice'), name);
        const offset = Buffer.from(r.packet.data, 'hex').readUInt32LE(14);
        return r.result.dataOut.slice(offset * 2, offset * 2 + 16);
      };
      expect(at('frag-start')).toBe('a0a1a2a3a4a5a6a7');
      expect(at('second-frag')).toBe('a0a1a2a3a4a5a6a7');
      expect(at('across-linear-and-frag')).not.toBe('a0a1a2a3a4a5a6a7');
      expect(at('across-linear-and-frag-written-back')).toBe('a0a1a2a3a4a5a6a7');
      expect(at('frag-above-64k-written-back')).not.toBe('a0a1a2a3a4a5a6a7');
    });
  });

  describe('syncookie', () => {
    const rows = (scenario = 'syncookie'): Ran[] => ran(scenario);
    const decoded = (r: Ran) => decodeFrame(fromHex(r.result.dataOut));
    /** syncookie_seen: { mss, gen_error, check_result, family }. */
    const seen = (r: Ran) => {
      const v = Buffer.from(r.result.maps.syncookie_seen[0]?.value ?? '00'.repeat(16), 'hex');
      return { mss: v.readUInt32LE(0), genError: v.readInt32LE(4), checkResult: v.readInt32LE(8), family: v.readUInt32LE(12) };
    };
    const tcpOf = (f: ReturnType<typeof decoded>) => f.layers.find((l) => l.kind === 'tcp')!;

    it("answers a SYN with a SYN-ACK carrying the cookie's MSS, ack = seq + 1, checksums right", () => {
      const syns = rows().filter((x) => /syn(-|$)/.test(x.packet.name) && !x.packet.repeat);
      expect(syns).toHaveLength(11);
      for (const r of syns) {
        const syn = tcpOf(decodeFrame(fromHex(r.packet.data)));
        const out = decoded(r);
        const tcp = tcpOf(out);
        expect([r.result.retval, tcp.fields.flags, tcp.fields.srcPort, tcp.fields.dstPort, tcp.fields.ack, out.problems], r.packet.name).toEqual([
          XDP.TX,
          'SYN,ACK',
          syn.fields.dstPort,
          syn.fields.srcPort,
          (Number(syn.fields.seq) + 1) >>> 0,
          [],
        ]);
        const options = fromHex(r.result.dataOut).subarray(tcp.offset + 20, tcp.offset + tcp.length);
        if (options.length > 0) expect([options[0], options[1], (options[2] << 8) | options[3]], r.packet.name).toEqual([2, 4, seen(r).mss]);
      }
    });

    it("rounds the offered MSS down to the family's table, with the family's default when none is offered", () => {
      const mss = Object.fromEntries(
        rows()
          .filter((r) => r.result.retval === XDP.TX)
          .map((r) => [r.packet.name, seen(r).mss]),
      );
      expect(mss).toEqual({
        'ipv4-syn': 1460,
        'ipv6-syn': 1440,
        'ipv4-syn-no-options': 536,
        'ipv4-syn-no-mss': 536,
        'ipv4-syn-mss-1400': 1300,
        'ipv4-syn-mss-9000': 1460,
        'ipv4-syn-mss-100': 536,
        'ipv6-syn-no-options': 1220,
        'ipv6-syn-mss-1500': 1440,
        'ipv6-syn-mss-9000': 8940,
        'ipv6-syn-mss-1300': 1220,
      });
    });

    it('passes the ACK of its own cookie, drops an unknown, altered or expired one with -EACCES', () => {
      const handshakes = [...rows().filter((x) => x.packet.repeat === 3)];
      expect(handshakes).toHaveLength(4);
      for (const r of handshakes) {
        const ack = tcpOf(decoded(r));
        expect([r.result.retval, seen(r).checkResult, ack.fields.flags, ack.fields.seq, decoded(r).problems], r.packet.name).toEqual([
          XDP.PASS,
          0,
          'ACK',
          0x11223345,
          [],
        ]);
      }
      for (const r of [...rows('syncookie-tampered'), by(rows(), 'ipv4-ack-unknown-cookie'), by(rows(), 'ipv6-ack-unknown-cookie')]) {
        expect([r.result.retval, seen(r).checkResult], r.packet.name).toEqual([XDP.DROP, -13]);
      }
    });

    it("gets -EINVAL from gen for a th_len that is not the header's length", () => {
      for (const r of rows('syncookie-bad-th-len'))
        expect([r.result.retval, seen(r).genError, r.result.dataOut], r.packet.name).toEqual([XDP.DROP, -22, r.packet.data]);
    });
  });
});
