/** Device-bound programs and device RX metadata from the command line, kept in the state directory. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ipv4UdpFrame, toHex } from '../../src/packet/index.js';
import { readCaptureFile } from '../../src/pcap/file.js';
import { ByteSink, PcapWriter } from '../../src/pcap/write.js';
import { cli, cliFails, tempDir } from './cli.js';

describe('RX metadata through the CLI', () => {
  it('binds a program with --dev-bound, gives devices metadata, and keeps both across invocations', () => {
    const dir = tempDir('rxmeta');
    const state = join(dir, 'state');
    const capture = join(dir, 'tagged.pcap');
    const tagged = ipv4UdpFrame({ vlans: [{ vid: 42 }] });
    const sink = ByteSink.toFile(capture);
    new PcapWriter(sink, { nanoseconds: true }).writePacket(tagged, 1_700_000_000_123_456_789n);
    sink.close();

    cli(state, 'netdev', 'add', 'nic0', '--peer', 'nic1', '--rx-metadata', 'vlan,timestamp,hash', '--rx-vlan-strip');
    const devs = JSON.parse(cli(state, 'netdev', 'list', '--json')) as { name: string; rxMetadata: string[]; rxVlanStrip: boolean }[];
    expect(devs.filter((d) => d.name !== 'lo').map((d) => [d.name, d.rxMetadata, d.rxVlanStrip])).toEqual([
      ['nic0', ['timestamp', 'hash', 'vlan'], true],
      ['nic1', ['timestamp', 'hash', 'vlan'], true],
    ]);
    expect(cli(state, 'netdev', 'list')).toMatch(/nic0@nic1[^\n]*\n[^\n]*\n\s+rx metadata: timestamp,hash,vlan {2}rx-vlan-strip/);
    expect(cliFails(state, 'netdev', 'add', 'nic2', '--rx-metadata', 'csum').stderr).toMatch(/EINVAL: unknown RX metadata "csum"/);

    expect(cliFails(state, 'prog', 'load', 'progs/build/rx_metadata.o').stderr).toMatch(
      /EINVAL: program xdp_rx_metadata, instruction \d+: metadata kfuncs require device-bound program/,
    );
    cli(state, 'prog', 'load', 'progs/build/rx_metadata.o', '--dev-bound', 'nic0');
    expect(cli(state, 'prog', 'show', 'xdp_rx_metadata')).toMatch(/\tbound to nic0 \(device-bound\)/);
    expect(cliFails(state, 'attach', 'nic1', 'xdp_rx_metadata').stderr).toMatch(/EINVAL: Program bound to different device/);
    expect(cliFails(state, 'prog', 'run', 'xdp_rx_metadata', '--hex', toHex(tagged)).stderr).toMatch(/EINVAL: .*does not test-run device-bound programs/);
    cli(state, 'attach', 'nic0', 'xdp_rx_metadata');

    const out = join(dir, 'out');
    expect(JSON.parse(cli(state, 'inject', 'nic0', capture, '--out', out, '--json')).actions).toEqual({ XDP_PASS: 1 });
    const [row] = JSON.parse(cli(state, 'map', 'dump', 'answers', '--json')) as { value: { hex: string } }[];
    const v = Buffer.from(row.value.hex.replace(/\s/g, ''), 'hex');
    expect([v.readInt32LE(0), v.readInt32LE(4), v.readInt32LE(8), v.readBigUInt64LE(16), v.readUInt32LE(24), v.readUInt16BE(28), v.readUInt16LE(30)]).toEqual([
      0,
      0,
      0,
      1_700_000_000_123_456_789n,
      41,
      0x8100,
      42,
    ]);
    // XDP saw the frame untagged; the stack gets it back with its tag.
    expect([...readCaptureFile(join(out, 'nic0.stack.pcap'))].map((r) => toHex(r.data))).toEqual([toHex(tagged)]);

    const shown = JSON.parse(cli(state, 'prog', 'show', '--json')) as { name: string; boundIfindex?: number; flags: number }[];
    const nic0 = devs.find((d) => d.name === 'nic0') as unknown as { ifindex: number };
    expect(shown.map((p) => [p.name, p.boundIfindex, p.flags & 64])).toEqual([['xdp_rx_metadata', nic0.ifindex, 64]]);
    expect(cliFails(state, 'netdev', 'del', 'nic1').stderr).toMatch(
      /EBUSY: nic1 cannot be deleted while programs are bound to it or its peer: xdp_rx_metadata/,
    );
    cli(state, 'detach', 'nic0');
    cli(state, 'prog', 'unload', 'xdp_rx_metadata');
    cli(state, 'netdev', 'del', 'nic0');
  });
});
