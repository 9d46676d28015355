import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliRun, tempDir } from './cli.js';

describe('xdpchain conformance', () => {
  it('refuses a missing path with ENOENT and a directory without vectors with EINVAL, naming them, exit 1', () => {
    const dir = tempDir('conformance');
    const state = join(dir, 'state');
    const missing = cliRun(state, 'conformance', join(dir, 'nonexistent'));
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe(`xdpchain: ENOENT: conformance path ${join(dir, 'nonexistent')}: no such file or directory\n`);
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    writeFileSync(join(empty, 'README'), 'not a vector');
    const none = cliRun(state, 'conformance', empty);
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(new RegExp(`^xdpchain: EINVAL: conformance path ${empty}: the directory holds no \\.data vectors`));
    expect(none.stdout).toBe('');
  });
});
