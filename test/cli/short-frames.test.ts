import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ipv4UdpFrame } from '../../src/packet/index.js';
import { readCaptureFile, writeSyntheticPcap } from '../../src/pcap/file.js';
import { cli, tempDir } from './cli.js';

/** A capture of one good frame and runts of 0, 5 and 13 bytes (what a NIC drops before XDP). */
function captureWithRunts(dir: string): string {
  const path = join(dir, 'runts.pcap');
  const frames = [ipv4UdpFrame(), new Uint8Array(0), new Uint8Array(5), new Uint8Array(13)];
  writeSyntheticPcap(path, frames.length, (i) => frames[i]);
  return path;
}

describe('frames shorter than an Ethernet header', () => {
  it('run drops them before the program and counts them, in text and JSON', () => {
    const dir = tempDir('short-run');
    const input = captureWithRunts(dir);
    const state = join(dir, 'state');
    const out = join(dir, 'out');
    const r = JSON.parse(cli(state, 'run', 'progs/build/xdp_pass.o', '--pcap', input, '--out', out, '--json'));
    // `packets` are those the program ran on, as before; the runts are counted beside them.
    expect(r.packets).toBe(1);
    expect(r.runts).toBe(3);
    expect(r.actions).toEqual({ XDP_PASS: { packets: 1, bytes: ipv4UdpFrame().length } });
    expect([...readCaptureFile(join(out, 'pass.pcap'))]).toHaveLength(1);
    expect(cli(state, 'run', 'progs/build/xdp_pass.o', '--pcap', input)).toMatch(/3 frames shorter than 14 bytes dropped by the device before the program/);
  });

  it('inject drops them on the device before its XDP and counts them, in text and JSON', () => {
    const dir = tempDir('short-inject');
    const input = captureWithRunts(dir);
    const state = join(dir, 'state');
    cli(state, 'netdev', 'add', 'veth0', '--peer', 'veth1');
    cli(state, 'prog', 'load', 'progs/build/xdp_pass.o');
    cli(state, 'attach', 'veth1', 'xdp_pass');
    const r = JSON.parse(cli(state, 'inject', 'veth1', input, '--json'));
    expect(r.frames).toBe(4);
    expect(r.runts).toBe(3);
    expect(r.actions).toEqual({ XDP_PASS: 1 });
    expect(r.delivered).toEqual([{ device: 'veth1', stack: 1, wire: 0 }]);
    expect(cli(state, 'inject', 'veth1', input)).toMatch(/3 frames shorter than 14 bytes dropped by veth1 before XDP/);
    // The device keeps the count between invocations, like ip -s link's length errors.
    expect(cli(state, 'netdev', 'list')).toMatch(/rx-length-errors 6/);
  });
});
