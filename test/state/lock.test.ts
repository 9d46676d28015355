import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deadPid } from '../dead-pid.js';

const worker = new URL('./lock-worker.mjs', import.meta.url).pathname;
const lockModule = new URL('../../dist/state/lock.js', import.meta.url).href;

const run = (dir: string, rounds: number, abandon: number, dead: number) =>
  new Promise<number>((resolve, reject) => {
    const p = spawn(process.execPath, [worker, lockModule, dir, String(rounds), String(abandon), String(dead)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (b: Buffer) => {
      out += b.toString();
    });
    p.on('exit', (code) => (code === 0 ? resolve(Number(out)) : reject(new Error(`worker exited with ${code}`))));
  });

describe('StateLock (runs against dist/)', () => {
  it('lets one process in at a time, also while locks left by dead owners are taken over', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xdpchain-lock-'));
    try {
      writeFileSync(join(dir, 'counter'), '0');
      const workers = 8;
      const rounds = 60;
      const dead = deadPid();
      const overlaps = await Promise.all(Array.from({ length: workers }, () => run(dir, rounds, 3, dead)));
      expect(overlaps).toEqual(new Array(workers).fill(0));
      expect(Number(readFileSync(join(dir, 'counter'), 'utf8'))).toBe(workers * rounds);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
