import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ipv4UdpFrame, toHex } from '../../src/packet/index.js';
import { writeSyntheticPcap } from '../../src/pcap/file.js';
import { cli, cliFails, tempDir } from './cli.js';

describe('xdpchain --max-memory', () => {
  it('limits the memory of every runtime a command creates: test-run, run and the state directory', () => {
    const dir = tempDir('max-memory');
    const state = join(dir, 'state');
    const hex = toHex(ipv4UdpFrame());
    const pcap = join(dir, 'in.pcap');
    writeSyntheticPcap(pcap, 4, () => ipv4UdpFrame());
    const tooSmall =
      /ENOMEM: out of memory: .* needs \d+ bytes, but the address space has \d+ of its 327680-byte limit free \(raise the limit with --max-memory <size>/;
    for (const args of [
      ['test-run', 'progs/build/xdp_pass.o', '--hex', hex],
      ['run', 'progs/build/xdp_pass.o', '--pcap', pcap],
      ['prog', 'load', 'progs/build/xdp_pass.o'],
    ]) {
      const r = cliFails(state, '--max-memory', '320K', ...args);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(tooSmall);
    }
    expect(JSON.parse(cli(state, '--max-memory', '2G', 'test-run', 'progs/build/xdp_pass.o', '--hex', hex, '--json')).retval).toBe(2);
  });

  it('refuses a size it cannot read or a wasm32 memory cannot hold', () => {
    const state = join(tempDir('max-memory-bad'), 'state');
    expect(cliFails(state, '--max-memory', 'lots', 'status').stderr).toMatch(
      /--max-memory "lots" is not a size: give bytes or a number with K, M or G, like 512M or 2G/,
    );
    expect(cliFails(state, '--max-memory', '4G', 'status').stderr).toMatch(/--max-memory 4G is 4294967296 bytes; the most is 4026531840/);
  });
});
