import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeSyntheticPcap } from '../../src/pcap/file.js';
import { ipv4UdpFrame } from '../../src/packet/index.js';
import { cli, cliRun, repo, tempDir } from './cli.js';

/** A failure the user caused: exit 1, one line naming the errno, then the option and the path; never an internal error. */
function expectUserError(r: { status: number; stderr: string }, errno: string, what: string): void {
  expect(r.stderr).not.toMatch(/internal error/);
  expect(r.stderr).toMatch(new RegExp(`^xdpchain: ${errno}: ${what.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: [^\\n]+\\n$`));
  expect(r.status).toBe(1);
}

describe('paths the user names', () => {
  const dir = tempDir('paths');
  const file = join(dir, 'file');
  writeFileSync(file, 'not a directory');
  const pcap = join(dir, 'in.pcap');
  writeSyntheticPcap(pcap, 3, () => ipv4UdpFrame());
  const capDir = join(dir, 'capdir');
  mkdirSync(capDir);

  it('--state naming a regular file, or a path under one: ENOTDIR naming --state', () => {
    expectUserError(cliRun(file, 'netdev', 'list'), 'ENOTDIR', `--state ${file}`);
    expectUserError(cliRun(join(file, 'sub'), 'netdev', 'list'), 'ENOTDIR', `--state ${join(file, 'sub')}`);
  });

  it('--state under /proc fails at once, naming --state (recursive mkdir spun there forever)', () => {
    expectUserError(cliRun('/proc/xdpchain-none/state', 'prog', 'show'), 'ENOENT', '--state /proc/xdpchain-none/state');
    expectUserError(cliRun('/proc', 'netdev', 'add', 'eth0'), 'ENOENT', 'cannot open the state directory /proc');
  });

  it('a directory given as the capture of inject or run: EISDIR naming it', () => {
    const state = join(dir, 'state');
    cli(state, 'netdev', 'add', 'eth0');
    expectUserError(cliRun(state, 'inject', 'eth0', capDir), 'EISDIR', `capture ${capDir}`);
    expectUserError(cliRun(state, 'run', 'progs/build/xdp_pass.o', '--pcap', capDir), 'EISDIR', `--pcap ${capDir}`);
    expectUserError(cliRun(state, 'run', 'progs/build/xdp_pass.o', '--pcap', join(dir, 'none.pcap')), 'ENOENT', `--pcap ${join(dir, 'none.pcap')}`);
  });

  it('--out naming an existing file or a place that cannot hold a directory: the errno, --out and the path', () => {
    const state = join(dir, 'state-out');
    expectUserError(cliRun(state, 'run', 'progs/build/xdp_pass.o', '--pcap', pcap, '--out', file), 'ENOTDIR', `--out ${file}`);
    expectUserError(cliRun(state, 'run', 'progs/build/xdp_pass.o', '--pcap', pcap, '--out', join(file, 'sub')), 'ENOTDIR', `--out ${join(file, 'sub')}`);
    expectUserError(cliRun(state, 'run', 'progs/build/xdp_pass.o', '--pcap', pcap, '--out', '/sys/xdpchain-test'), 'EPERM', '--out /sys/xdpchain-test');
    cli(state, 'netdev', 'add', 'eth0');
    expectUserError(cliRun(state, 'inject', 'eth0', pcap, '--out', file), 'ENOTDIR', `--out ${file}`);
  });

  it('files read or written by inspect, disasm, asm, link and test-run: the errno, the option or argument, and the path', () => {
    const state = join(dir, 'state-files');
    const missing = join(dir, 'missing.s');
    expectUserError(cliRun(state, 'inspect', capDir), 'EISDIR', `object ${capDir}`);
    expectUserError(cliRun(state, 'disasm', capDir), 'EISDIR', `file ${capDir}`);
    expectUserError(cliRun(state, 'asm', missing), 'ENOENT', `file ${missing}`);
    expectUserError(cliRun(state, 'link', '-o', capDir, 'progs/build/xdp_pass.o'), 'EISDIR', `-o ${capDir}`);
    expectUserError(cliRun(state, 'test-run', 'progs/build/xdp_pass.o', '--data', capDir), 'EISDIR', `--data ${capDir}`);
    expectUserError(
      cliRun(state, 'test-run', 'progs/build/xdp_pass.o', '--hex', '02000000000202000000000108004500', '--data-out', capDir),
      'EISDIR',
      `--data-out ${capDir}`,
    );
  });

  it("run --out /proc/xx ends at once with ENOENT instead of spinning (Node's recursive mkdir loops there)", () => {
    const r = spawnSync(process.execPath, [join(repo, 'dist/cli/main.js'), 'run', 'progs/build/xdp_pass.o', '--pcap', pcap, '--out', '/proc/xx'], {
      encoding: 'utf8',
      cwd: repo,
      timeout: 20_000,
    });
    expect(r.signal).toBeNull();
    expectUserError({ status: r.status ?? -1, stderr: r.stderr }, 'ENOENT', '--out /proc/xx');
  });
});
