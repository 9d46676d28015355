import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * vitest's global setup: every temporary directory of this run goes under one directory of its
 * own, removed when the run ends. Tests and the CLI processes they start make theirs with
 * `mkdtemp(tmpdir())`, and TMPDIR is what `tmpdir()` answers, in the workers vitest starts after
 * this and in their children; so nothing is left in /tmp, and no other process's files are touched.
 */
export default function setup(): () => void {
  const previous = process.env.TMPDIR;
  const dir = mkdtempSync(join(tmpdir(), 'xdpchain-test-run-'));
  // Others may enter it (not write), as they may enter /tmp: tests run commands as another user
  // (a state directory that user cannot write), which must reach their directories.
  chmodSync(dir, 0o755);
  process.env.TMPDIR = dir;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    rmSync(dir, { recursive: true, force: true });
  };
}
