import { chmodSync, rmSync } from 'node:fs';
import { afterAll } from 'vitest';
import { tempDir } from './cli.js';

/**
 * Temporary directories removed when the test file ends. Returns a maker: prefix → new directory.
 */
export function tempDirsRemovedAfterAll(): (prefix: string) => string {
  const made: string[] = [];
  afterAll(() => {
    for (const d of made) rmSync(d, { recursive: true, force: true });
  });
  return (prefix) => {
    const d = tempDir(prefix);
    made.push(d);
    return d;
  };
}

/** Make a directory writable again before removal (a test made it read-only). */
export const writable = (path: string): void => {
  try {
    chmodSync(path, 0o755);
  } catch {
    /* already gone */
  }
};
