import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from './cli/cli.js';
import setup from './run-temp-dir.js';

describe('temporary directories of a test run', () => {
  it("are made under the run's own directory, in this worker too", () => {
    expect(dirname(tempDir('where'))).toMatch(/\/xdpchain-test-run-[^/]+$/);
  });

  it('go when the run ends, and TMPDIR is what it was', () => {
    const before = process.env.TMPDIR;
    const teardown = setup();
    const made = mkdtempSync(join(tmpdir(), 'xdpchain-inner-'));
    writeFileSync(join(made, 'f'), 'x');
    expect(dirname(made)).toBe(process.env.TMPDIR);
    teardown();
    expect(existsSync(dirname(made))).toBe(false);
    expect(process.env.TMPDIR).toBe(before);
  });

  it('hold the CLI module cache of the run, in this worker too, and the setting goes with it', () => {
    expect(process.env.XDPCHAIN_CACHE_DIR).toBe(join(dirname(tempDir('cache')), 'cache'));
    const before = process.env.XDPCHAIN_CACHE_DIR;
    const teardown = setup();
    expect(process.env.XDPCHAIN_CACHE_DIR).toBe(join(process.env.TMPDIR!, 'cache'));
    teardown();
    expect(process.env.XDPCHAIN_CACHE_DIR).toBe(before);
  });
});
