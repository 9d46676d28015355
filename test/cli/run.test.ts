import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ipv4IcmpEchoFrame, ipv4TcpSynFrame, ipv4UdpFrame } from '../../src/packet/index.js';
import { readCaptureFile, writeSyntheticPcap } from '../../src/pcap/file.js';
import { ByteSink, PcapWriter } from '../../src/pcap/write.js';
import { cli, cliRun, tempDir } from './cli.js';

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
    expect(Object.fromEntries(Object.entries(r.actions).map(([a, c]) => [a, (c as { packets: number }).packets]))).toEqual({
      XDP_DROP: 2000,
      XDP_PASS: 1000,
      XDP_TX: 1000,
    });
    expect(r.faults).toBe(0);
    const count = (f: string) => [...readCaptureFile(join(out, f))].length;
    expect([count('pass.pcap'), count('drop.pcap'), count('tx.pcap')]).toEqual([1000, 2000, 1000]);
    // TX frames are the program's rewritten echo replies (type 0 at offset 34).
    const tx = [...readCaptureFile(join(out, 'tx.pcap'))][0].data;
    expect(tx[34]).toBe(0);
  });

  it('refuses a capture of a link type XDP cannot receive, and converts Linux cooked capture with a note', () => {
    const dir = tempDir('run-linktype');
    const state = join(dir, 'state');
    const write = (name: string, linkType: number, data: Uint8Array) => {
      const sink = ByteSink.toFile(join(dir, name));
      new PcapWriter(sink, { linkType }).writePacket(data, 1_700_000_000_000_000_000n);
      sink.close();
      return join(dir, name);
    };
    const udp = ipv4UdpFrame();
    const wifi = cliRun(state, 'run', 'progs/build/xdp_pass.o', '--pcap', write('wifi.pcap', 105, udp));
    expect(wifi.status).toBe(1);
    expect(wifi.stderr).toMatch(/EINVAL: .*wifi\.pcap: link type 105 \(IEEE802_11\) is not Ethernet/);
    // tcpdump -i any: a 16-byte cooked header (outgoing, ARPHRD_ETHER, the sender's MAC, IPv4) instead of Ethernet's 14.
    const cooked = Uint8Array.from([0, 4, 0, 1, 0, 6, ...udp.subarray(6, 12), 0, 0, 8, 0, ...udp.subarray(14)]);
    const any = cliRun(state, 'run', 'progs/build/xdp_pass.o', '--pcap', write('any.pcap', 113, cooked), '--out', join(dir, 'out'), '--json');
    expect(any.status).toBe(0);
    expect(any.stderr).toMatch(/note: .*any\.pcap: link type 113 \(LINUX_SLL\) converted to Ethernet/);
    expect(JSON.parse(any.stdout).actions.XDP_PASS.bytes).toBe(udp.length);
    expect([...readCaptureFile(join(dir, 'out', 'pass.pcap'))][0].data.subarray(6)).toEqual(udp.subarray(6));
  });

  it('reads a gzip-compressed capture as the plain one, with a progress line when asked', () => {
    const dir = tempDir('run-gz');
    const input = join(dir, 'in.pcap');
    const kinds = [ipv4UdpFrame(), ipv4UdpFrame({ ttl: 1 }), ipv4TcpSynFrame({ dstPort: 23 }), ipv4IcmpEchoFrame()];
    writeSyntheticPcap(input, 3000, (i) => kinds[i % 4]);
    writeFileSync(join(dir, 'in.pcap.gz'), gzipSync(readFileSync(input)));
    const counts = (file: string, ...extra: string[]) => {
      const r = cliRun(join(dir, 'state'), 'run', 'progs/build/ttl_then_acl.o', '--pcap', file, '--json', ...extra);
      expect(r.status, r.stderr).toBe(0);
      const j = JSON.parse(r.stdout);
      return { packets: j.packets, actions: j.actions, workers: j.workers, stderr: r.stderr };
    };
    const plain = counts(input);
    const gz = counts(join(dir, 'in.pcap.gz'), '--progress');
    expect({ ...gz, stderr: '' }).toEqual({ ...plain, stderr: '' });
    expect(plain.packets).toBe(3000);
    expect(gz.stderr).toMatch(/run: [\d,]+ packets/);
  });

  it('refuses a missing capture and an ambiguous program with clear errors', () => {
    const dir = tempDir('run-err');
    const state = join(dir, 'state');
    expect(() => cli(state, 'run', 'progs/build/ttl_then_acl.o', '--pcap', join(dir, 'none.pcap'))).toThrow(
      /ENOENT: --pcap \S+none.pcap: no such file or directory/,
    );
    expect(() => cli(state, 'run', 'progs/build/vlan.o', '--pcap', join(dir, 'none.pcap'))).toThrow(
      /has 2 programs \(xdp_vlan_push, xdp_vlan_pop\); choose one with --prog/,
    );
  });
});
