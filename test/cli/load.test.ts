import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ipv4UdpFrame, toHex } from '../../src/packet/index.js';
import { cli, cliFails, cliRun, tempDir } from './cli.js';

const object = 'test/fixtures/load/build/configurable.o';
const dns = toHex(ipv4UdpFrame({ dstPort: 53 }));

describe('loading as libbpf loads, from the command line', () => {
  it('test-run sizes maps, sets globals and types, and notes the programs it skipped', () => {
    const state = tempDir('load-test-run');
    const refused = cliFails(state, 'test-run', object, '--prog', 'xdp_configurable', '--hex', dns);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/map rx_cnt \(array\): max_entries is 0.*--map-size rx_cnt=N/);
    const run = (...extra: string[]) =>
      JSON.parse(cli(state, 'test-run', object, '--hex', dns, '--map-size', 'rx_cnt=4', '--json', ...extra)) as { retval: number };
    expect(run('--prog', 'xdp_configurable').retval).toBe(1);
    expect(run('--prog', 'xdp_configurable', '--set', 'blocked_verdict=XDP_TX').retval).toBe(3);
    expect(run('--prog', 'xdp_configurable', '--set', 'blocked_port=54').retval).toBe(2);
    expect(run('--prog', 'xdp_configurable', '--set', 'blocked_port=be16:53', '--set', 'blocked_verdict=0').retval).toBe(0);
    expect(run('--prog', 'legacy_prog', '--type', 'xdp').retval).toBe(1);
    const legacy = cliFails(state, 'test-run', object, '--hex', dns, '--map-size', 'rx_cnt=4', '--prog', 'legacy_prog');
    expect(legacy.stderr).toMatch(/legacy_prog \(unspec, section prog\).*--type xdp/);
  });

  it('bad names and values are refused naming the thing, with the right errno', () => {
    const state = tempDir('load-bad');
    const fails = (...args: string[]) =>
      cliFails(state, 'test-run', object, '--prog', 'xdp_configurable', '--hex', dns, '--map-size', 'rx_cnt=4', '--json', ...args);
    const errno = (r: { stdout: string }) => JSON.parse(r.stdout) as { errno: string; message: string };
    expect(errno(fails('--map-size', 'nope=3'))).toMatchObject({ errno: 'ENOENT', message: expect.stringMatching(/no map nope .*maps: rx_cnt, events/) });
    expect(errno(fails('--set', 'nope=3'))).toMatchObject({ errno: 'ENOENT', message: expect.stringMatching(/no global variable nope/) });
    expect(errno(fails('--set', 'blocked_verdict=u16:3'))).toMatchObject({
      errno: 'EINVAL',
      message: '--set blocked_verdict (const volatile __u32, 4 bytes): the value has 2 bytes, the variable 4',
    });
    expect(errno(fails('--set', 'counting=300'))).toMatchObject({ errno: 'EINVAL', message: expect.stringMatching(/counting .*300 does not fit in 1 bytes/) });
    expect(errno(fails('--map-size', 'rx_cnt'))).toMatchObject({ errno: 'EINVAL' });
    expect(errno(fails('--type', 'tc'))).toMatchObject({ errno: 'EINVAL' });
  });

  it('prog load keeps the edits; prog run runs a packet with the live maps; a failed load leaves the state as it was', () => {
    const dir = tempDir('load-state');
    const state = join(dir, 'state');
    const bad = cliFails(state, 'prog', 'load', object, '--map-size', 'rx_cnt=8', '--set', 'blocked_verdict=u8:1');
    expect(bad.status).toBe(1);
    expect(JSON.parse(cli(state, 'prog', 'show', '--json'))).toEqual([]);

    const loaded = cliRun(state, 'prog', 'load', object, '--map-size', 'rx_cnt=8', '--set', 'blocked_verdict=XDP_TX', '--json');
    expect(loaded.status).toBe(0);
    expect(JSON.parse(loaded.stdout).map((p: { name: string }) => p.name)).toEqual(['xdp_configurable', 'xdp_legacy_name']);
    expect(loaded.stderr).toMatch(/note: skipped program tc_count \(sched_cls, section tc\)/);
    cli(state, 'map', 'update', 'rx_cnt', 'u32:0', 'u64:100');
    // Every later invocation restores the object with the same edits: the global and the size hold.
    const out = JSON.parse(cli(state, 'prog', 'run', 'xdp_configurable', '--hex', dns, '--repeat', '3', '--json'));
    expect(out.retval).toBe(3);
    const dump = JSON.parse(cli(state, 'map', 'dump', 'rx_cnt', '--json')) as unknown[];
    expect(dump).toHaveLength(8);
    expect(JSON.stringify(dump[0])).toMatch(/103/);
    expect(JSON.parse(cli(state, 'prog', 'show', 'xdp_configurable', '--json'))[0].runCount).toBe(3);
    const saved = JSON.parse(readFileSync(join(state, 'state.json'), 'utf8'));
    expect(saved.collections[0].edits).toEqual({ mapSizes: { rx_cnt: 8 }, globals: { blocked_verdict: '03000000' } });
  });

  it('a frozen map (.rodata) refuses map update and delete with EPERM naming it, and keeps its value', () => {
    const state = join(tempDir('load-frozen'), 'state');
    cli(state, 'prog', 'load', object, '--map-size', 'rx_cnt=8', '--set', 'blocked_port=53');
    const before = cli(state, 'map', 'dump', '.rodata');
    const update = cliFails(state, 'map', 'update', '.rodata', 'u32:0', '0000000000');
    expect(update.status).toBe(1);
    expect(update.stderr).toMatch(/EPERM: map \.rodata .*frozen/);
    const del = cliFails(state, 'map', 'delete', '.rodata', 'u32:0');
    expect(del.stderr).toMatch(/EPERM: map \.rodata/);
    expect(cli(state, 'map', 'dump', '.rodata')).toBe(before);
  });
});
