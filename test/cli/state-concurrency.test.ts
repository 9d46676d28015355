import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ipv4UdpFrame } from '../../src/packet/index.js';
import { writeSyntheticPcap } from '../../src/pcap/file.js';
import { deadPid } from '../dead-pid.js';
import { cli, repo } from './cli.js';
import { tempDirsRemovedAfterAll } from './temp-dirs.js';

const main = join(repo, 'dist/cli/main.js');
const PARALLEL = 16;
const tempDir = tempDirsRemovedAfterAll();

/** A state directory with a UDP-counting program attached to eth0, and a one-frame capture to inject. */
function counting(prefix: string): { state: string; frame: string } {
  const dir = tempDir(prefix);
  const state = join(dir, 'state');
  const frame = join(dir, 'one.pcap');
  writeSyntheticPcap(frame, 1, () => ipv4UdpFrame());
  cli(state, 'netdev', 'add', 'eth0');
  cli(state, 'prog', 'load', 'progs/build/udp_counter.o');
  cli(state, 'attach', 'eth0', 'xdp_udp_counter');
  return { state, frame };
}

const injectInParallel = (state: string, frame: string) =>
  Promise.all(
    Array.from(
      { length: PARALLEL },
      () =>
        new Promise<{ code: number; stderr: string }>((resolve) => {
          const p = spawn(process.execPath, [main, '--state', state, 'inject', 'eth0', frame], { cwd: repo, stdio: ['ignore', 'ignore', 'pipe'] });
          let stderr = '';
          p.stderr.on('data', (b: Buffer) => {
            stderr += b.toString();
          });
          p.on('exit', (code) => resolve({ code: code ?? -1, stderr }));
        }),
    ),
  );

const runCount = (state: string) => (JSON.parse(cli(state, 'prog', 'show', 'xdp_udp_counter', '--json')) as { runCount: number }[])[0].runCount;

describe('parallel commands on one state directory', () => {
  it(`${PARALLEL} parallel injects into a counting program: every frame counted, none lost`, async () => {
    const { state, frame } = counting('parallel-inject');
    const results = await injectInParallel(state, frame);
    expect(results.filter((r) => r.code !== 0)).toEqual([]);
    expect(runCount(state)).toBe(PARALLEL);
  });

  it(`${PARALLEL} parallel injects after a killed command left its lock: one takes it over, none lost`, async () => {
    const { state, frame } = counting('stale-lock');
    writeFileSync(join(state, 'lock'), `${deadPid()}\n`);
    const results = await injectInParallel(state, frame);
    expect(results.filter((r) => r.code !== 0)).toEqual([]);
    expect(runCount(state)).toBe(PARALLEL);
  });
});
