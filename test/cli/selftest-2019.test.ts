import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ipv4IcmpEchoFrame } from '../../src/packet/index.js';
import { ByteSink, PcapWriter } from '../../src/pcap/write.js';
import { cli, tempDir } from './cli.js';

/**
 * The 2019 chain-call series' own selftest, as a user would run it with the CLI across separate
 * invocations: a veth pair, programs `pass` and `drop`, an ICMP echo arriving on the XDP side.
 */
describe('the 2019 series selftest, replayed with the CLI', () => {
  it('delivers, drops and delivers again as chain calls are added and removed', () => {
    const dir = tempDir('selftest');
    const state = join(dir, 'state');
    const ping = join(dir, 'ping.pcap');
    const sink = ByteSink.toFile(ping);
    new PcapWriter(sink).writePacket(ipv4IcmpEchoFrame(), 1_700_000_000_000_000_000n);
    sink.close();
    const inject = () =>
      JSON.parse(cli(state, 'inject', 'veth1', ping, '--json')) as { actions: Record<string, number>; delivered: { device: string; stack: number }[] };
    const delivered = (r: ReturnType<typeof inject>) => r.delivered.some((d) => d.device === 'veth1' && d.stack === 1);

    cli(state, 'netdev', 'add', 'veth0', '--peer', 'veth1');
    const pass = JSON.parse(cli(state, 'prog', 'load', 'progs/build/xdp_pass.o', '--json'))[0].id as number;
    const drop = JSON.parse(cli(state, 'prog', 'load', 'progs/build/xdp_drop.o', '--json'))[0].id as number;
    cli(state, 'attach', 'veth1', 'xdp_pass');

    let r = inject();
    expect(r.actions).toEqual({ XDP_PASS: 1 });
    expect(delivered(r)).toBe(true);

    cli(state, 'chain', 'add', 'xdp_pass', 'any', 'xdp_drop');
    r = inject();
    expect(r.actions).toEqual({ XDP_DROP: 1 });
    expect(delivered(r)).toBe(false);
    expect(cli(state, 'chain', 'get', 'xdp_pass', 'any').trim()).toBe(String(drop));

    cli(state, 'chain', 'del', 'xdp_pass', 'any');
    r = inject();
    expect(delivered(r)).toBe(true);

    cli(state, 'chain', 'add', 'xdp_pass', 'XDP_PASS', 'xdp_drop');
    r = inject();
    expect(r.actions).toEqual({ XDP_DROP: 1 });

    cli(state, 'detach', 'veth1');
    r = inject();
    expect(r.actions).toEqual({});
    expect(delivered(r)).toBe(true);

    const shown = JSON.parse(cli(state, 'prog', 'show', '--json')) as { id: number; runCount: number }[];
    expect(shown.find((p) => p.id === pass)?.runCount).toBe(4);
    expect(shown.find((p) => p.id === drop)?.runCount).toBe(2);
    writeFileSync(join(dir, 'done'), '');
  });
});
