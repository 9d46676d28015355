/** The CLI keeps compiled programs between invocations: --cache-dir, $XDPCHAIN_CACHE_DIR, $XDG_CACHE_HOME, --no-cache. */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ipv4TcpSynFrame, ipv4UdpFrame } from '../../src/packet/index.js';
import { writeSyntheticPcap } from '../../src/pcap/file.js';
import { repo, tempDir } from './cli.js';

const main = join(repo, 'dist/cli/main.js');

/** `run` of firewall.o over a capture: its report less the timings, and the run's stderr. */
function run(dir: string, env: Record<string, string | undefined>, ...global: string[]): { report: unknown; stderr: string } {
  const pcap = join(dir, 'in.pcap');
  if (!existsSync(pcap)) writeSyntheticPcap(pcap, 300, (i) => (i % 3 === 0 ? ipv4TcpSynFrame({ dstPort: 23 }) : ipv4UdpFrame({ ttl: 1 + (i % 2) })));
  const childEnv: NodeJS.ProcessEnv = { ...process.env, XDPCHAIN_CACHE_DIR: undefined, XDG_CACHE_HOME: undefined, HOME: join(dir, 'home'), ...env };
  for (const k of Object.keys(childEnv)) if (childEnv[k] === undefined) delete childEnv[k];
  const r = spawnSync(process.execPath, [main, '--state', join(dir, 'state'), ...global, 'run', 'progs/build/firewall.o', '--pcap', pcap, '--json'], {
    encoding: 'utf8',
    cwd: repo,
    env: childEnv,
  });
  expect(r.status, r.stderr).toBe(0);
  const { seconds: _s, packetsPerSecond: _p, ...report } = JSON.parse(r.stdout) as Record<string, unknown>;
  return { report, stderr: r.stderr };
}

const entries = (cache: string): string[] => (existsSync(join(cache, 'wasm')) ? readdirSync(join(cache, 'wasm')).map((f) => join(cache, 'wasm', f)) : []);

describe('the CLI module cache', () => {
  it('stores the program on the first run and reuses it on the next, with the same results', () => {
    const dir = tempDir('cache-cli');
    const cache = join(dir, 'cache');
    const first = run(dir, { XDPCHAIN_CACHE_DIR: cache });
    const [entry] = entries(cache);
    expect(entries(cache)).toHaveLength(1);
    const stored = readFileSync(entry);
    const inode = statSync(entry).ino;
    const second = run(dir, { XDPCHAIN_CACHE_DIR: cache });
    // A hit reads the entry and leaves it in place (a write would rename a new file over it).
    expect(statSync(entry).ino).toBe(inode);
    expect(readFileSync(entry)).toEqual(stored);
    expect(second).toEqual(first);
    expect(run(dir, {}, '--no-cache')).toEqual(first);
  });

  it('--no-cache neither reads nor writes; --cache-dir wins over the environment, which wins over $XDG_CACHE_HOME', () => {
    const dir = tempDir('cache-where');
    const env = { XDPCHAIN_CACHE_DIR: join(dir, 'env'), XDG_CACHE_HOME: join(dir, 'xdg') };
    run(dir, env, '--no-cache');
    expect(existsSync(join(dir, 'env'))).toBe(false);
    expect(existsSync(join(dir, 'xdg'))).toBe(false);
    expect(existsSync(join(dir, 'home'))).toBe(false);
    run(dir, env, '--cache-dir', join(dir, 'given'));
    expect(entries(join(dir, 'given'))).toHaveLength(1);
    run(dir, env);
    expect(entries(join(dir, 'env'))).toHaveLength(1);
    run(dir, { XDG_CACHE_HOME: join(dir, 'xdg') });
    expect(entries(join(dir, 'xdg', 'xdpchain'))).toHaveLength(1);
    run(dir, {});
    expect(entries(join(dir, 'home', '.cache', 'xdpchain'))).toHaveLength(1);
  });

  it('ignores a damaged entry, says nothing of it, and writes it anew', () => {
    const dir = tempDir('cache-damaged');
    const cache = join(dir, 'cache');
    const first = run(dir, { XDPCHAIN_CACHE_DIR: cache });
    const [entry] = entries(cache);
    const stored = readFileSync(entry);
    for (const bad of [stored.subarray(0, stored.length >> 1), Buffer.from('garbage')]) {
      writeFileSync(entry, bad);
      expect(run(dir, { XDPCHAIN_CACHE_DIR: cache })).toEqual(first);
      expect(readFileSync(entry)).toEqual(stored);
    }
  });

  it('still runs when the cache directory cannot be made', () => {
    const dir = tempDir('cache-blocked');
    writeFileSync(join(dir, 'file'), 'x');
    const blocked = run(dir, { XDPCHAIN_CACHE_DIR: join(dir, 'file', 'cache') });
    expect(blocked).toEqual(run(dir, {}, '--no-cache'));
  });
});
