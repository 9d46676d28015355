import { describe, expect, it } from 'vitest';
import { decodeFrame, standardPacketKinds, toHex } from '../../src/packet/index.js';

const REQUIRED = [
  'ipv4-udp',
  'ipv4-tcp',
  'ipv4-icmp',
  'ipv6-udp',
  'ipv6-tcp',
  'ipv6-icmp',
  'vlan-ipv4-udp',
  'qinq-ipv4-tcp',
  'arp',
  'min-14',
  'max-3520',
  'malformed-ipv4',
  'short-13',
];

describe('standard packet kinds', () => {
  const kinds = standardPacketKinds();
  const byName = new Map(kinds.map((k) => [k.name, k]));

  it('has every required kind, with unique names', () => {
    for (const n of REQUIRED) expect(byName.has(n), n).toBe(true);
    expect(byName.size).toBe(kinds.length);
  });

  it('is deterministic', () => {
    const again = standardPacketKinds();
    expect(again.map((k) => toHex(k.frame))).toEqual(kinds.map((k) => toHex(k.frame)));
  });

  it('has the exact edge sizes', () => {
    expect(byName.get('min-14')!.frame.length).toBe(14);
    expect(byName.get('short-13')!.frame.length).toBe(13);
    const max = byName.get('max-3520')!;
    expect(max.frame.length).toBe(3520);
    // The IPv4 total length covers the whole frame after Ethernet: no trailing padding.
    expect(decodeFrame(max.frame).layers.find((l) => l.kind === 'ipv4')!.fields.totalLength).toBe(3506);
  });

  it('decodes the well-formed kinds without problems and the malformed ones with the right one', () => {
    const expected: Record<string, RegExp> = {
      'malformed-ipv4': /IHL 4 < 5/,
      'ipv4-bad-length': /total length 1500 runs past/,
      'min-14': /truncated/,
      'short-13': /truncated/,
    };
    for (const k of kinds) {
      const s = decodeFrame(k.frame);
      if (expected[k.name]) expect(s.problems.join('; '), k.name).toMatch(expected[k.name]);
      else expect(s.problems, `${k.name}: ${s.text}`).toEqual([]);
    }
  });

  it('summarises frames readably', () => {
    const text = (n: string) => decodeFrame(byName.get(n)!.frame).text;
    expect(text('qinq-ipv4-tcp')).toMatch(
      /^ethernet .* \| vlan 802\.1ad vid 200 .* \| vlan 802\.1Q vid 100 .* \| ipv4 10\.0\.0\.1 > 10\.0\.0\.2 .* \| tcp 40001 > 80 \[SYN\]/,
    );
    expect(text('arp')).toMatch(/arp who-has 10\.0\.0\.2 tell 10\.0\.0\.1/);
    expect(text('ipv6-icmp')).toMatch(/ipv6 fd00::1 > fd00::2 .* \| icmpv6 echo request id 17185 seq 7 csum ok/);
    expect(text('ipv4-fragment')).toMatch(/frag@1480 .* \| payload 40B \(fragment\)/);
  });
});
