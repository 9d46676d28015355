/** The kernel oracle's own logic, without a kernel: name mapping, dump conversion, netns commands, errno names. */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { convertDump, netnsCommands, repoRoot, specNameFor } from './kernel-oracle.js';
import { errnoFromMessage, shq } from './shell.js';

describe('map names', () => {
  it('maps libbpf global-data names to section names and keeps BTF map names', () => {
    expect(specNameFor('firewall_bss', 'firewall.bss')).toBe('.bss');
    expect(specNameFor('load_bal_rodata', 'load_bal.rodata')).toBe('.rodata');
    expect(specNameFor('ringbuf__bss', 'ringbuf_.bss')).toBe('.bss');
    expect(specNameFor('_rodata_str1_1', '.rodata.str1.1')).toBe('.rodata.str1.1');
    // The pin name is libbpf's full name; the kernel keeps only 15 characters.
    expect(specNameFor('denied_ports_counters', 'denied_ports_co')).toBe('denied_ports_counters');
  });
});

describe('dump conversion', () => {
  it('turns bpftool JSON into sorted hex entries, per-CPU values by CPU, and drops empty slots', () => {
    expect(
      convertDump('m', [
        { key: ['0x01', '0x00'], value: ['0xab', '0x0c'] },
        {
          key: ['0x00', '0x00'],
          values: [
            { cpu: 1, value: ['0x02'] },
            { cpu: 0, value: ['0x01'] },
          ],
        },
        { key: ['0x02', '0x00'], value: { error: 'No such file or directory' } },
      ]),
    ).toEqual([
      { key: '0000', values: ['01', '02'] },
      { key: '0100', value: 'ab0c' },
    ]);
  });

  it('refuses lookups that fail for another reason than an empty slot', () => {
    expect(() => convertDump('x', [{ key: ['0x00'], value: { error: 'Operation not supported' } }])).toThrow(/lookup failed/);
  });
});

describe('netns commands', () => {
  it('creates veth pairs with fixed ifindexes, adds addresses, routes, neighbours and sysctls', () => {
    const cmds = netnsCommands({
      links: [{ name: 'a0', peer: 'a1', ifindex: 10, peerIfindex: 11, mac: '02:00:00:00:00:02', addresses: ['10.0.0.2/24', 'fd00::2/64'] }],
      routes: ['blackhole 10.9.0.0/16'],
      neighbours: [{ address: '10.0.0.1', mac: '02:00:00:00:00:01', dev: 'a0' }],
      sysctls: { 'net.ipv4.conf.all.forwarding': '1' },
    });
    expect(cmds).toEqual([
      'ip link set lo up',
      "ip link add 'a0' index 10 address '02:00:00:00:00:02' type veth peer name 'a1' index 11",
      "ip addr add '10.0.0.2/24' dev 'a0'",
      "ip addr add 'fd00::2/64' dev 'a0' nodad",
      "ip link set 'a0' up",
      "ip link set 'a1' up",
      "sysctl -q -w 'net.ipv4.conf.all.forwarding=1'",
      "ip route add 'blackhole' '10.9.0.0/16'",
      "ip neigh add '10.0.0.1' lladdr '02:00:00:00:00:01' dev 'a0' nud permanent",
    ]);
  });

  it('refuses shell metacharacters', () => {
    expect(() => netnsCommands({ links: [], routes: ['1.2.3.0/24 dev x; reboot'], neighbours: [] })).toThrow(/characters outside/);
  });

  it('quotes single quotes for sh', () => {
    expect(execFileSync('sh', ['-c', `printf %s ${shq("it's")}`], { encoding: 'utf8' })).toBe("it's");
  });
});

describe('errno names', () => {
  it('reads the errno out of bpftool messages', () => {
    expect(errnoFromMessage('failed to run program: Invalid argument')).toBe('EINVAL');
    expect(errnoFromMessage('failed to run program: No such device')).toBe('ENODEV');
    expect(errnoFromMessage('failed to run program: Cannot allocate memory')).toBe('ENOMEM');
    expect(errnoFromMessage('something else')).toBeUndefined();
  });
});

describe('progs/ build', () => {
  const clang = (() => {
    try {
      execFileSync('clang', ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  it.skipIf(!clang)(
    `committed objects are exactly what progs/build.sh builds from the sources (deterministic)${clang ? '' : ' — skipped: clang not installed'}`,
    () => {
      execFileSync('bash', [`${repoRoot()}/progs/build.sh`, '--check'], { stdio: 'pipe' });
    },
  );
});
