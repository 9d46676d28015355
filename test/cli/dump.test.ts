import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { demoTraffic } from '../../tools/demo/traffic.js';
import { readCaptureFile, writeSyntheticPcap } from '../../src/pcap/file.js';
import { readCapture } from '../../src/pcap/read.js';
import { cli, tempDir } from './cli.js';
import { readFileSync } from 'node:fs';

const has = (tool: string) => {
  try {
    execFileSync(tool, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

describe('xdpchain dump (xdpdump)', () => {
  const setup = () => {
    const dir = tempDir('dump');
    const state = join(dir, 'state');
    const traffic = join(dir, 'mix.pcap');
    const mix = demoTraffic();
    writeSyntheticPcap(traffic, mix.length, (i) => mix[i]);
    cli(state, 'netdev', 'add', 'eth0');
    cli(state, 'load', 'eth0', 'progs/build/ipv6_blocker.o', 'progs/build/udp_counter.o', 'progs/build/firewall.o');
    cli(state, 'map', 'update', 'deny_prefix', 'u32:24,ipv4:198.51.100.0', 'u32:1');
    return { dir, state, traffic };
  };

  it('captures one component inside the dispatcher at entry and exit, with program, id and action per packet', () => {
    const { dir, state, traffic } = setup();
    const out = join(dir, 'fw.pcapng');
    const r = JSON.parse(cli(state, 'dump', 'eth0', '--program', 'xdp_firewall', '-w', out, '--pcap', traffic, '--json'));
    // The IPv6 frame never reaches the firewall (the blocker drops it first): 9 frames × entry+exit.
    expect(r.captured).toBe(18);
    const c = readCapture(new Uint8Array(readFileSync(out)));
    expect(c.interfaces.map((i) => i.name)).toEqual(['eth0@xdp_firewall(id 3):entry', 'eth0@xdp_firewall(id 3):exit']);
    const exits = c.records.filter((x) => x.interfaceId === 1).map((x) => x.comment);
    expect(exits.filter((x) => x?.endsWith('XDP_DROP on eth0'))).toHaveLength(2);
    expect(exits.every((x) => /^xdp_firewall \(id 3\) exit XDP_(PASS|DROP) on eth0$/.test(x ?? ''))).toBe(true);
  });

  it.skipIf(!has('tcpdump') || !has('tshark'))("opens in tcpdump -r, and tshark shows each packet's program and action (needs tcpdump and tshark)", () => {
    const { dir, state, traffic } = setup();
    const out = join(dir, 'blocker.pcapng');
    cli(state, 'dump', 'eth0', '--program', 'xdp_ipv6_blocker', '--exit', '-w', out, '--pcap', traffic);
    const tcpdump = execFileSync('tcpdump', ['-r', out, '-n'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .trim()
      .split('\n');
    expect(tcpdump).toHaveLength(10);
    expect(tcpdump.filter((l) => / IP6 /.test(l))).toHaveLength(1);
    const tshark = execFileSync('tshark', ['-r', out, '-T', 'fields', '-e', 'frame.interface_name', '-e', 'frame.comment'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .trim()
      .split('\n');
    expect(tshark).toHaveLength(10);
    expect(tshark[5]).toBe('eth0@xdp_ipv6_blocker(id 1):exit\txdp_ipv6_blocker (id 1) exit XDP_DROP on eth0');
  });

  it.skipIf(!has('tcpdump'))("writes pflog that tcpdump -r -e shows with each packet's program, id and action (needs tcpdump)", () => {
    const { dir, state, traffic } = setup();
    const out = join(dir, 'fw.pflog');
    cli(state, 'dump', 'eth0', '--program', 'xdp_firewall', '--format', 'pflog', '-w', out, '--pcap', traffic);
    const lines = execFileSync('tcpdump', ['-r', out, '-n', '-e'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .trim()
      .split('\n');
    expect(lines).toHaveLength(18);
    for (const [i, l] of lines.entries()) {
      expect(l).toMatch(
        i % 2 === 0
          ? /^[\d:.]+ rule 3\.entry\.0\/0\(match\): pass in on xdp_firewall: /
          : /^[\d:.]+ rule 3\.XDP_(PASS\.0\/0\(match\): pass|DROP\.0\/0\(match\): block) out on xdp_firewall: /,
      );
    }
    expect(lines.filter((l) => l.includes('rule 3.XDP_DROP.0/0(match): block out on xdp_firewall: 198.51.100.'))).toHaveLength(2);
    // The whole hook: the device's name, and the IPv6 frame the blocker drops.
    const hook = join(dir, 'hook.pflog');
    cli(state, 'dump', 'eth0', '--exit', '--format', 'pflog', '-w', hook, '--pcap', traffic);
    const hookLines = execFileSync('tcpdump', ['-r', hook, '-n', '-e'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .trim()
      .split('\n');
    expect(hookLines).toHaveLength(10);
    expect(hookLines.filter((l) => l.includes(' rule 0.XDP_DROP.0/0(match): block out on eth0: fd00::1.'))).toHaveLength(1);
  });

  it('keeps a capture on across invocations until --stop, and captures a whole hook', () => {
    const { dir, state, traffic } = setup();
    const out = join(dir, 'hook.pcapng');
    cli(state, 'dump', 'eth0', '--exit', '-w', out);
    expect(JSON.parse(cli(state, 'dump', '--list', '--json'))).toEqual([expect.objectContaining({ device: 'eth0', exit: true, entry: false })]);
    cli(state, 'inject', 'eth0', traffic);
    cli(state, 'inject', 'eth0', traffic);
    cli(state, 'dump', '--stop', out);
    expect(JSON.parse(cli(state, 'dump', '--list', '--json'))).toEqual([]);
    const records = [...readCaptureFile(out)];
    expect(records).toHaveLength(20);
    expect(records.filter((r) => r.comment === 'xdp exit XDP_DROP on eth0')).toHaveLength(6);
  });
});
