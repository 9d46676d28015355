import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ipv4UdpFrame } from '../../src/packet/index.js';
import { readCaptureFile, writeSyntheticPcap } from '../../src/pcap/file.js';
import { cli, tempDir } from './cli.js';

describe('xdpchain inject', () => {
  it('reports and writes every delivered frame, however many (no cap at 10,000)', () => {
    const dir = tempDir('inject-many');
    const state = join(dir, 'state');
    const input = join(dir, 'in.pcap');
    const frames = 12_345;
    writeSyntheticPcap(input, frames, (i) => ipv4UdpFrame({ srcPort: 1024 + (i % 60000) }));
    cli(state, 'netdev', 'add', 'veth0', '--peer', 'veth1');
    cli(state, 'netdev', 'add', 'eth0');
    cli(state, 'prog', 'load', 'progs/build/xdp_pass.o');
    cli(state, 'attach', 'veth1', 'xdp_pass');
    const out = join(dir, 'out');
    // Text output: --json lists one event per hook run, more than a pipe's buffer here.
    const text = cli(state, 'inject', 'veth1', input, '--out', out);
    expect(text).toMatch(new RegExp(`^${frames} frames received on veth1\n`));
    expect(text).toMatch(new RegExp(`delivered on veth1: ${frames} to the stack, 0 to the wire`));
    const written = [...readCaptureFile(join(out, 'veth1.stack.pcap'))];
    expect(written).toHaveLength(frames);
    expect(written[frames - 1].data).toEqual(ipv4UdpFrame({ srcPort: 1024 + ((frames - 1) % 60000) }));
    // A device without a program passes everything too.
    expect(cli(state, 'inject', 'eth0', input)).toMatch(new RegExp(`delivered on eth0: ${frames} to the stack`));
  });
});
