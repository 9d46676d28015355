import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tempDir } from './cli.js';

describe('chain retcodes on the command line', () => {
  it('--help names every spelling of the wildcard: any, *, -1 and 4294967295 (~0 as u32)', () => {
    const state = join(tempDir('chain-help'), 'state');
    for (const verb of ['add', 'del', 'get']) {
      const help = cli(state, 'chain', verb, '--help');
      expect(help).toMatch(/any/);
      expect(help).toMatch(/\*/);
      expect(help).toMatch(/-1/);
      expect(help).toMatch(/4294967295/);
    }
  });

  it('every spelling of the wildcard names the same slot', () => {
    const state = join(tempDir('chain-any'), 'state');
    cli(state, 'prog', 'load', 'progs/build/xdp_pass.o');
    const drop = JSON.parse(cli(state, 'prog', 'load', 'progs/build/xdp_drop.o', '--json'))[0].id as number;
    cli(state, 'chain', 'add', 'xdp_pass', '*', 'xdp_drop');
    for (const any of ['any', '*', '-1', '4294967295']) expect(cli(state, 'chain', 'get', 'xdp_pass', any).trim()).toBe(String(drop));
  });
});
