import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ipv4UdpFrame, ipv6UdpFrame } from '../../src/packet/index.js';
import { writeSyntheticPcap } from '../../src/pcap/file.js';
import { cli, cliFails, tempDir } from './cli.js';

describe('xdp-loader style CLI: load, status, unload', () => {
  it('builds a dispatcher across invocations, keeps ids and counts, and reports status like xdp-loader', () => {
    const dir = tempDir('dispatch');
    const state = join(dir, 'state');
    const traffic = join(dir, 'mix.pcap');
    writeSyntheticPcap(traffic, 10, (i) => (i < 4 ? ipv6UdpFrame() : ipv4UdpFrame()));
    cli(state, 'netdev', 'add', 'eth0');
    cli(state, 'load', 'eth0', 'progs/build/udp_counter.o', 'progs/build/ipv6_blocker.o');
    cli(state, 'load', 'eth0', 'progs/build/xdp_pass.o', '--prio', '30', '--actions', 'XDP_PASS,XDP_DROP');
    const status = JSON.parse(cli(state, 'status', 'eth0', '--json'))[0];
    expect(status.mode).toBe('dispatcher');
    expect(status.programs.map((p: { name: string; priority: number; chainActions: string[] }) => [p.name, p.priority, p.chainActions.join(',')])).toEqual([
      ['xdp_ipv6_blocker', 10, 'XDP_PASS'],
      ['xdp_pass', 30, 'XDP_DROP,XDP_PASS'],
      ['xdp_udp_counter', 60, 'XDP_DROP,XDP_PASS'],
    ]);
    const r = JSON.parse(cli(state, 'inject', 'eth0', traffic, '--json'));
    expect(r.actions).toEqual({ XDP_DROP: 4, XDP_PASS: 6 });
    const text = cli(state, 'status');
    expect(text).toMatch(/Prio\s+Program name\s+Mode\s+ID\s+Tag\s+Chain actions/);
    expect(text).toMatch(/=>\s+10\s+xdp_ipv6_blocker/);

    const counter = status.programs.find((p: { name: string }) => p.name === 'xdp_udp_counter');
    cli(state, 'unload', 'eth0', '--id', String(status.programs[0].id));
    const after = JSON.parse(cli(state, 'status', 'eth0', '--json'))[0];
    expect(after.programs.map((p: { name: string }) => p.name)).toEqual(['xdp_pass', 'xdp_udp_counter']);
    expect(after.dispatcherId).not.toBe(status.dispatcherId);
    const kept = after.programs.find((p: { id: number }) => p.id === counter.id);
    expect(kept.runCount).toBe(6);
    expect(JSON.parse(cli(state, 'map', 'dump', 'udp_totals', '--json'))[0].value.typed).toEqual({ frames: 6, bytes: 6 * ipv4UdpFrame().length });
    cli(state, 'unload', 'eth0', '--all');
    expect(JSON.parse(cli(state, 'status', 'eth0', '--json'))[0].mode).toBe('none');
  });

  it('refuses an 11th program and a device with a plain program, naming the cause', () => {
    const dir = tempDir('dispatch-err');
    const state = join(dir, 'state');
    cli(state, 'netdev', 'add', 'eth0');
    cli(state, 'netdev', 'add', 'eth1');
    const objs = Array.from({ length: 10 }, () => 'progs/build/xdp_pass.o');
    cli(state, 'load', 'eth0', ...objs);
    const full = cliFails(state, 'load', 'eth0', 'progs/build/xdp_drop.o');
    expect(full.status).toBe(1);
    expect(full.stderr).toMatch(/E2BIG: eth0's dispatcher has 10 slots; 11 programs do not fit/);
    cli(state, 'prog', 'load', 'progs/build/xdp_drop.o');
    cli(state, 'attach', 'eth1', 'xdp_drop');
    expect(cliFails(state, 'load', 'eth1', 'progs/build/xdp_pass.o').stderr).toMatch(/EBUSY: eth1 already runs xdp_drop .* unload it first/);
  });
});
