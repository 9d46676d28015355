import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildFrame, ipv4TcpSynFrame, TestHosts, toHex } from '../../src/packet/index.js';
import { cli, cliFails, tempDir } from './cli.js';

const line = (s: string) => s.trim().split('\n').filter(Boolean);

describe('xdpchain conntrack', () => {
  it('adds, lists (as conntrack -L, and as JSON) and flushes entries, kept between invocations', () => {
    const state = join(tempDir('conntrack'), 'state');
    // The seconds left round down, as conntrack -L shows 99 right after -t 100.
    expect(
      cli(
        state,
        'conntrack',
        'add',
        '--proto',
        'tcp',
        '--src',
        '10.0.0.1',
        '--dst',
        '10.0.0.2',
        '--sport',
        '1000',
        '--dport',
        '80',
        '--timeout',
        '100',
        '--tcp-state',
        'ESTABLISHED',
        '--status',
        'SEEN_REPLY,ASSURED',
        '--mark',
        '5',
      ),
    ).toMatch(
      /^tcp {6}6 (99|100) ESTABLISHED src=10\.0\.0\.1 dst=10\.0\.0\.2 sport=1000 dport=80 src=10\.0\.0\.2 dst=10\.0\.0\.1 sport=80 dport=1000 \[ASSURED\] mark=5 use=1\n$/,
    );
    cli(state, 'conntrack', 'add', '--proto', 'udp', '--src', 'fd00::1', '--dst', 'fd00::2', '--sport', '5', '--dport', '6', '--zone', '7');
    const text = line(cli(state, 'conntrack', 'list'));
    expect(text).toHaveLength(2);
    // Seconds left: what remains of 100 and 30 after the invocations in between.
    expect(Number(/^tcp {6}6 (\d+) ESTABLISHED src=10\.0\.0\.1 .* \[ASSURED\] mark=5 use=1$/.exec(text[0])?.[1])).toBeGreaterThan(80);
    expect(text[1]).toMatch(
      /^udp {6}17 [12]\d src=fd00::1 dst=fd00::2 sport=5 dport=6 \[UNREPLIED\] src=fd00::2 dst=fd00::1 sport=6 dport=5 mark=0 zone=7 use=1$/,
    );
    const json = JSON.parse(cli(state, 'conntrack', 'list', '--json')) as {
      proto: string;
      original: unknown;
      status: string[];
      zone: unknown;
      state?: string;
    }[];
    expect(json.map((e) => [e.proto, e.original, e.status, e.zone, e.state])).toEqual([
      ['tcp', { src: '10.0.0.1', dst: '10.0.0.2', sport: 1000, dport: 80 }, ['SEEN_REPLY', 'ASSURED', 'CONFIRMED'], { id: 0, dir: 3 }, 'ESTABLISHED'],
      ['udp', { src: 'fd00::1', dst: 'fd00::2', sport: 5, dport: 6 }, ['CONFIRMED'], { id: 7, dir: 3 }, undefined],
    ]);
    expect(JSON.parse(cli(state, 'conntrack', 'flush', '--json'))).toEqual({ flushed: 2 });
    expect(cli(state, 'conntrack', 'list')).toBe('');
  });

  it('refuses what conntrack -I refuses, naming it: an entry that exists, unknown status bits, other protocols', () => {
    const state = join(tempDir('conntrack-errors'), 'state');
    const add = ['conntrack', 'add', '--proto', 'udp', '--src', '10.0.0.1', '--dst', '10.0.0.2', '--sport', '1', '--dport', '2'];
    cli(state, ...add);
    expect(cliFails(state, ...add).stderr).toBe('xdpchain: EEXIST: a conntrack entry for src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 already exists\n');
    expect(cliFails(state, ...add.slice(0, -1), '3', '--status', 'SEEN_REPLY,BOGUS').stderr).toMatch(/EINVAL: unknown status bit BOGUS/);
    expect(cliFails(state, ...add.slice(0, -1), '3', '--status', 'EXPECTED').stderr).toMatch(/EBUSY: a new entry cannot have EXPECTED/);
    expect(cliFails(state, ...add.slice(0, -1), '3', '--tcp-state', 'ESTABLISHED').stderr).toMatch(/EINVAL: a TCP state is for tcp entries/);
    expect(cliFails(state, 'conntrack', 'add', '--proto', 'icmp', '--src', '10.0.0.1', '--dst', '10.0.0.2', '--sport', '1', '--dport', '2').stderr).toMatch(
      /EINVAL: protocol icmp: conntrack here tracks tcp and udp/,
    );
    expect(cliFails(state, 'conntrack', 'add', '--proto', 'udp', '--src', '10.0.0.1', '--dst', 'fd00::1', '--sport', '1', '--dport', '2').stderr).toMatch(
      /EINVAL: source 10.0.0.1 and destination fd00::1 are not the same address family/,
    );
    expect(line(cli(state, 'conntrack', 'list'))).toHaveLength(1);
  });

  it('an entry whose timeout passed between invocations is gone', async () => {
    const state = join(tempDir('conntrack-expiry'), 'state');
    cli(state, 'conntrack', 'add', '--proto', 'udp', '--src', '10.0.0.1', '--dst', '10.0.0.2', '--sport', '1', '--dport', '2', '--timeout', '1');
    cli(state, 'conntrack', 'add', '--proto', 'udp', '--src', '10.0.0.1', '--dst', '10.0.0.2', '--sport', '1', '--dport', '3', '--timeout', '600');
    await new Promise((r) => setTimeout(r, 1200));
    const left = line(cli(state, 'conntrack', 'list'));
    expect(left).toHaveLength(1);
    expect(left[0]).toMatch(/sport=1 dport=3 \[UNREPLIED\]/);
  });

  it('programs and the CLI share the table: a loaded firewall sees an added entry, and the entries it inserts are listed', () => {
    const state = join(tempDir('conntrack-prog'), 'state');
    cli(state, 'prog', 'load', 'progs/build/ct_firewall.o');
    cli(state, 'map', 'update', 'services', 'u16:80', 'u32:80');
    cli(
      state,
      'conntrack',
      'add',
      '--proto',
      'tcp',
      '--src',
      '10.0.0.1',
      '--dst',
      '10.0.0.2',
      '--sport',
      '40100',
      '--dport',
      '80',
      '--tcp-state',
      'ESTABLISHED',
    );
    const reply = buildFrame([
      { kind: 'ethernet', src: TestHosts.serverMac, dst: TestHosts.clientMac },
      { kind: 'ipv4', src: '10.0.0.2', dst: '10.0.0.1' },
      { kind: 'tcp', srcPort: 80, dstPort: 40100, flags: ['syn', 'ack'] },
    ]);
    expect(JSON.parse(cli(state, 'prog', 'run', 'xdp_ct_firewall', '--hex', toHex(reply), '--json')).retval).toBe(2);
    expect(JSON.parse(cli(state, 'prog', 'run', 'xdp_ct_firewall', '--hex', toHex(ipv4TcpSynFrame({ srcPort: 40001, dstPort: 80 })), '--json')).retval).toBe(2);
    expect(line(cli(state, 'conntrack', 'list')).map((l) => l.replace(/^(\S+ +\d+) \d+/, '$1'))).toEqual([
      'tcp      6 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=40100 dport=80 src=10.0.0.2 dst=10.0.0.1 sport=80 dport=40100 [ASSURED] mark=0 use=1',
      'tcp      6 NONE src=10.0.0.1 dst=10.0.0.2 sport=40001 dport=80 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=80 dport=40001 mark=80 use=1',
    ]);
  });
});
