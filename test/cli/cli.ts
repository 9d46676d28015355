import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const main = new URL('../../dist/cli/main.js', import.meta.url).pathname;
export const repo = new URL('../../', import.meta.url).pathname;

/** Run the built CLI against a state directory; returns stdout, throws with stderr on failure. */
export function cli(state: string, ...args: string[]): string {
  return execFileSync(process.execPath, [main, '--state', state, ...args], { encoding: 'utf8', cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Run the CLI expecting failure: returns { status, stderr, stdout }. */
export function cliFails(state: string, ...args: string[]): { status: number; stderr: string; stdout: string } {
  try {
    const stdout = cli(state, ...args);
    return { status: 0, stderr: '', stdout };
  } catch (e) {
    const err = e as { status: number; stderr: string; stdout: string };
    return { status: err.status, stderr: err.stderr, stdout: err.stdout };
  }
}

/** Run the CLI and keep everything it said: exit status, stdout and stderr. */
export function cliRun(state: string, ...args: string[]): { status: number; stderr: string; stdout: string } {
  const r = spawnSync(process.execPath, [main, '--state', state, ...args], { encoding: 'utf8', cwd: repo });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export const tempDir = (prefix: string) => mkdtempSync(join(tmpdir(), `xdpchain-${prefix}-`));
