import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ipv4UdpFrame } from '../../src/packet/index.js';
import { writeSyntheticPcap } from '../../src/pcap/file.js';
import { cli, cliFails, repo, tempDir } from './cli.js';

const main = join(repo, 'dist/cli/main.js');

describe('the state directory', () => {
  it('keeps the array entries that differ from a fresh map, and every entry of maps with initial data', () => {
    const state = join(tempDir('arrays'), 'state');
    cli(state, 'prog', 'load', 'progs/build/firewall.o');
    cli(state, 'map', 'update', 'rule_stats', 'u32:3', 'u64:5,u64:7');
    cli(state, 'map', 'update', '.data', 'u32:0', 'u32:0');
    const saved = JSON.parse(readFileSync(join(state, 'state.json'), 'utf8')).collections[0].maps;
    expect(saved.rule_stats.entries).toEqual([{ key: '03000000', value: '05000000000000000700000000000000' }]);
    expect(saved['.data'].entries).toEqual([{ key: '00000000', value: '00000000' }]);
    const value = (map: string, key: string) => JSON.parse(cli(state, 'map', 'lookup', map, key, '--json')).value.hex;
    expect([value('rule_stats', 'u32:3'), value('rule_stats', 'u32:2'), value('.data', 'u32:0')]).toEqual([
      '05000000000000000700000000000000',
      '00000000000000000000000000000000',
      '00000000',
    ]);
  });

  it('keeps per-program statistics: 1000 packets through a 3-program chain, each program counted (prog show --json)', () => {
    const dir = tempDir('stats');
    const state = join(dir, 'state');
    const traffic = join(dir, 't.pcap');
    writeSyntheticPcap(traffic, 1000, () => ipv4UdpFrame());
    cli(state, 'netdev', 'add', 'eth0');
    for (const o of ['ttl_guard', 'port_acl', 'xdp_pass']) cli(state, 'prog', 'load', `progs/build/${o}.o`, '--chain-calls');
    cli(state, 'chain', 'add', 'xdp_ttl_guard', 'XDP_PASS', 'xdp_port_acl');
    cli(state, 'chain', 'add', 'xdp_port_acl', 'any', 'xdp_pass');
    cli(state, 'attach', 'eth0', 'xdp_ttl_guard');
    expect(JSON.parse(cli(state, 'inject', 'eth0', traffic, '--json')).actions).toEqual({ XDP_PASS: 1000 });
    const progs = JSON.parse(cli(state, 'prog', 'show', '--json')) as { name: string; runCount: number; runTimeNs: number; flags: number }[];
    expect(progs.map((p) => [p.name, p.runCount, p.flags & 16])).toEqual([
      ['xdp_ttl_guard', 1000, 16],
      ['xdp_port_acl', 1000, 16],
      ['xdp_pass', 1000, 16],
    ]);
    for (const p of progs) expect(p.runTimeNs).toBeGreaterThan(0);
  });

  it('keeps a pinned freplace link across invocations; closing it restores the original function', () => {
    const dir = tempDir('freplace');
    const state = join(dir, 'state');
    const short = join(dir, 'short.pcap');
    writeSyntheticPcap(short, 1, () => new Uint8Array(40).fill(1));
    cli(state, 'netdev', 'add', 'eth0');
    cli(state, 'prog', 'load', 'progs/build/freplace_target.o');
    cli(state, 'attach', 'eth0', 'xdp_freplace_target');
    expect(JSON.parse(cli(state, 'inject', 'eth0', short, '--json')).actions).toEqual({ XDP_DROP: 1 });
    cli(state, 'prog', 'load', 'progs/build/freplace_ext.o', '--prog', 'classify_tx', '--target', 'xdp_freplace_target');
    const link = JSON.parse(cli(state, 'freplace', 'attach', 'classify_tx', '--pin', 'tx-classifier', '--json')).link;
    expect(JSON.parse(cli(state, 'inject', 'eth0', short, '--json')).actions).toEqual({ XDP_TX: 1 });
    const links = JSON.parse(cli(state, 'link', 'show', '--json'));
    expect(links).toEqual([expect.objectContaining({ id: link, type: 'freplace', function: 'classify', pinned: 'tx-classifier' })]);
    expect(cliFails(state, 'prog', 'unload', 'xdp_freplace_target').stderr).toMatch(
      /EBUSY: xdp_freplace_target \(id \d+\) is in use: attached to eth0, freplace program classify_tx/,
    );
    expect(cliFails(state, 'prog', 'load', 'progs/build/freplace_ext.o', '--prog', 'replace_static', '--target', 'xdp_freplace_target').stderr).toMatch(
      /EINVAL: .*static function/,
    );
    cli(state, 'link', 'detach', String(link));
    expect(JSON.parse(cli(state, 'inject', 'eth0', short, '--json')).actions).toEqual({ XDP_DROP: 1 });
  });

  it('serialises concurrent invocations: eight parallel map updates all land', async () => {
    const dir = tempDir('lock');
    const state = join(dir, 'state');
    cli(state, 'prog', 'load', 'progs/build/firewall.o');
    const run = (i: number) =>
      new Promise<number>((resolve) => {
        const p = spawn(process.execPath, [main, '--state', state, 'map', 'update', 'allow_src', `ipv4:10.9.0.${i}`, `u32:${i}`], {
          cwd: repo,
          stdio: 'ignore',
        });
        p.on('exit', (code) => resolve(code ?? -1));
      });
    expect(await Promise.all(Array.from({ length: 8 }, (_, i) => run(i + 1)))).toEqual(new Array(8).fill(0));
    const dump = JSON.parse(cli(state, 'map', 'dump', 'allow_src', '--json')) as unknown[];
    expect(dump).toHaveLength(8);
  });
});
