import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, cliFails, tempDir } from './cli.js';

describe('xdpchain mprog', () => {
  it('keeps order, links and revision across invocations and refuses stale revisions', () => {
    const state = join(tempDir('mprog'), 'state');
    cli(state, 'netdev', 'add', 'eth0');
    for (const p of ['xdp_pass', 'ipv6_blocker', 'udp_counter']) cli(state, 'prog', 'load', `progs/build/${p}.o`);
    expect(JSON.parse(cli(state, 'mprog', 'attach', 'eth0', 'xdp_pass', '--json')).revision).toBe(2);
    const link = JSON.parse(cli(state, 'mprog', 'attach', 'eth0', 'xdp_ipv6_blocker', '--first', '--link', '--json')).link;
    cli(state, 'mprog', 'attach', 'eth0', 'xdp_udp_counter', '--after-link', String(link), '--expected-revision', '3');
    const shown = JSON.parse(cli(state, 'mprog', 'show', 'eth0', '--json'))[0];
    expect([shown.revision, shown.programs.map((p: { name: string }) => p.name)]).toEqual([4, ['xdp_ipv6_blocker', 'xdp_udp_counter', 'xdp_pass']]);
    expect(cliFails(state, 'mprog', 'detach', 'eth0', 'xdp_pass', '--expected-revision', '3').stderr).toMatch(/ESTALE/);
    expect(cliFails(state, 'mprog', 'detach', 'eth0', 'xdp_ipv6_blocker').stderr).toMatch(/EBUSY: .*link/);
    cli(state, 'mprog', 'detach', 'eth0', 'xdp_pass', '--expected-revision', '4');
    expect(JSON.parse(cli(state, 'mprog', 'show', 'eth0', '--json'))[0].revision).toBe(5);
  });
});
