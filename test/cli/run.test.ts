import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ipv4IcmpEchoFrame, ipv4TcpSynFrame, ipv4UdpFrame } from '../../src/packet/index.js';
import { readCaptureFile, writeSyntheticPcap } from '../../src/pcap/file.js';
import { cli, tempDir } from './cli.js';

describe('xdpchain run', () => {
  it('counts every action over a capture and writes one pcap per action', () => {
    const dir = tempDir('run');
    const input = join(dir, 'in.pcap');
    // A known mix for the TTL+ACL program: pass, TTL expiry (drop), telnet (drop), echo (TX).
    const kinds = [ipv4UdpFrame(), ipv4UdpFrame({ ttl: 1 }), ipv4TcpSynFrame({ dstPort: 23 }), ipv4IcmpEchoFrame()];
    writeSyntheticPcap(input, 4000, (i) => kinds[i % 4]);
    const out = join(dir, 'out');
    const r = JSON.parse(cli(join(dir, 'state'), 'run', 'progs/build/ttl_then_acl.o', '--pcap', input, '--out', out, '--json'));
    expect(r.packets).toBe(4000);
    expect(Object.fromEntries(Object.entries(r.actions).map(([a, c]) => [a, (c as { packets: number }).packets]))).toEqual({ XDP_DROP: 2000, XDP_PASS: 1000, XDP_TX: 1000 });
    expect(r.faults).toBe(0);
    const count = (f: string) => [...readCaptureFile(join(out, f))].length;
    expect([count('pass.pcap'), count('drop.pcap'), count('tx.pcap')]).toEqual([1000, 2000, 1000]);
    // TX frames are the program's rewritten echo replies (type 0 at offset 34).
    const tx = [...readCaptureFile(join(out, 'tx.pcap'))][0].data;
    expect(tx[34]).toBe(0);
  });

  it('refuses a missing capture and an ambiguous program with clear errors', () => {
    const dir = tempDir('run-err');
    const state = join(dir, 'state');
    expect(() => cli(state, 'run', 'progs/build/ttl_then_acl.o', '--pcap', join(dir, 'none.pcap'))).toThrow(/ENOENT: cannot read/);
    expect(() => cli(state, 'run', 'progs/build/vlan.o', '--pcap', join(dir, 'none.pcap'))).toThrow(/has 2 programs \(xdp_vlan_push, xdp_vlan_pop\); choose one with --prog/);
  });
});
