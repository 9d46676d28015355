import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * vitest's global setup: every temporary directory of this run goes under one directory of its
 * own, removed when the run ends, and so does the CLI's module cache. Tests and the CLI processes they start make theirs with
 * `mkdtemp(tmpdir())`, and TMPDIR is what `tmpdir()` answers, in the workers vitest starts after
 * this and in their children; so nothing is left in /tmp, and no other process's files are touched.
 */
export default function setup(): () => void {
  const previous = { TMPDIR: process.env.TMPDIR, XDPCHAIN_CACHE_DIR: process.env.XDPCHAIN_CACHE_DIR };
  const dir = mkdtempSync(join(tmpdir(), 'xdpchain-test-run-'));
  // Others may enter it (not write), as they may enter /tmp: tests run commands as another user
  // (a state directory that user cannot write), which must reach their directories.
  chmodSync(dir, 0o755);
  process.env.TMPDIR = dir;
  // The CLI processes of the run share one module cache of their own: the user's stays untouched,
  // and the run's commands find what earlier ones compiled, as a user's would.
  process.env.XDPCHAIN_CACHE_DIR = join(dir, 'cache');
  return () => {
    for (const [k, v] of Object.entries(previous)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    rmSync(dir, { recursive: true, force: true });
  };
}
