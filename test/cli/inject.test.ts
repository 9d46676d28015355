import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ipv4UdpFrame } from '../../src/packet/index.js';
import { readCaptureFile, writeSyntheticPcap } from '../../src/pcap/file.js';
import { cli, cliRun, tempDir } from './cli.js';

/** A state directory with eth0 running xdp_pass, and a capture of `frames` UDP frames. */
function passingDevice(prefix: string, frames: number): { state: string; input: string; dir: string } {
  const dir = tempDir(prefix);
  const state = join(dir, 'state');
  const input = join(dir, `in-${frames}.pcap`);
  writeSyntheticPcap(input, frames, (i) => ipv4UdpFrame({ srcPort: 1024 + (i % 60000) }));
  cli(state, 'netdev', 'add', 'eth0');
  cli(state, 'prog', 'load', 'progs/build/xdp_pass.o');
  cli(state, 'attach', 'eth0', 'xdp_pass');
  return { state, input, dir };
}

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

  it('delivers as many frames as XDP_PASS verdicts, and --out holds every one of them, in order', () => {
    const frames = 12_000;
    const { state, input, dir } = passingDevice('inject-pass', frames);
    const out = join(dir, 'out');
    const r = JSON.parse(cli(state, 'inject', 'eth0', input, '--out', out, '--json'));
    expect(r.frames).toBe(frames);
    expect(r.actions).toEqual({ XDP_PASS: frames });
    expect(r.delivered).toEqual([{ device: 'eth0', stack: r.actions.XDP_PASS, wire: 0 }]);
    expect(r.out).toBe(out);
    expect(r.written).toEqual([{ file: 'eth0.stack.pcap', frames }]);
    const file = join(out, 'eth0.stack.pcap');
    const records = [...readCaptureFile(file)];
    expect(records).toHaveLength(frames);
    expect(statSync(file).size).toBe(24 + frames * (16 + ipv4UdpFrame().length));
    expect(records.map((rec) => rec.data)).toEqual(Array.from({ length: frames }, (_, i) => ipv4UdpFrame({ srcPort: 1024 + (i % 60000) })));
    // Each frame's timestamp is the time it left XDP, a nanosecond after the one before.
    expect(records.every((rec, i) => i === 0 || rec.timestampNs === records[i - 1].timestampNs + 1n)).toBe(true);
  });

  it('keeps its JSON report the same size for 1,000 and 10,000 frames, with timing and the events it cut', () => {
    const report = (frames: number) => {
      const { state, input } = passingDevice(`inject-json-${frames}`, frames);
      return cli(state, 'inject', 'eth0', input, '--json');
    };
    const small = report(1000);
    const large = report(10_000);
    // Only the figures differ: the same fields, the same number of events.
    const shape = (json: string) => json.replace(/\d+(\.\d+)?(e[-+]?\d+)?/g, 'N');
    expect(shape(large)).toBe(shape(small));
    const r = JSON.parse(large);
    expect(r.frames).toBe(10_000);
    expect(r.hookRuns).toBe(10_000);
    expect(r.events).toHaveLength(100);
    expect(r.events[0]).toEqual({ device: 'eth0', ifindex: 2, action: 'XDP_PASS', hop: 0 });
    expect(r.hooks).toEqual([{ device: 'eth0', ifindex: 2, action: 'XDP_PASS', count: 10_000 }]);
    expect(r.faults).toBe(0);
    expect(r.seconds).toBeGreaterThan(0);
    // seconds is rounded to the millisecond, the rate comes from the exact time.
    expect(Math.abs(r.frames / r.framesPerSecond - r.seconds)).toBeLessThanOrEqual(0.0005);
  });

  it('shows a progress line when asked, and the rate in its summary', () => {
    const { state, input } = passingDevice('inject-progress', 2000);
    const r = cliRun(state, 'inject', 'eth0', input, '--progress');
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/^\rinject: [\d,]+ packets/);
    expect(r.stderr.endsWith('\n')).toBe(true);
    expect(r.stdout).toMatch(/^2000 frames received on eth0\n/);
    expect(r.stdout).toMatch(/\n {2}in [\d.]+s \([\d,]+ frames\/s\)\n$/);
  });
});
