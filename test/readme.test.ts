import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repo, tempDir } from './cli/cli.js';

/** The shell block of the README's "What you can do": the commands a reader copies. */
function readmeCommands(): string {
  const readme = readFileSync(join(repo, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## What you can do'));
  const m = /```sh\n([\s\S]*?)```/.exec(section);
  if (!m) throw new Error('README.md: no ```sh block under "What you can do"');
  return m[1];
}

describe('the README', () => {
  it('writes every xdpchain command as npx xdpchain (a bare xdpchain is not on PATH after npm install)', () => {
    const lines = readmeCommands()
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    const bare = lines.filter((l) => /(^|&&\s*)xdpchain\b/.test(l));
    expect(bare).toEqual([]);
  });

  it('runs as written, in order, from a checkout: each command creates what the later ones use', () => {
    // A checkout as a reader has it, in a scratch directory so the files the commands write go there.
    const root = tempDir('readme');
    const checkout = join(root, 'xdpchain');
    mkdirSync(checkout);
    for (const f of ['dist', 'progs', 'test', 'data', 'package.json', 'node_modules']) symlinkSync(join(repo, f), join(checkout, f));
    // The conformance vectors live beside the repository; where they are absent, one vector stands in.
    const shared = join(repo, '..', 'shared', 'conformance');
    if (existsSync(shared)) {
      mkdirSync(join(root, 'shared'));
      symlinkSync(shared, join(root, 'shared', 'conformance'));
    } else {
      mkdirSync(join(root, 'shared', 'conformance', 'tests'), { recursive: true });
      writeFileSync(join(root, 'shared', 'conformance', 'tests', 'exit.data'), '-- asm\nmov %r0, 1\nexit\n-- result\n0x1\n');
    }
    // `npx xdpchain` runs the checkout's built command; starting npm for each of ~60 commands would only add time.
    const script = `set -e\nnpx() { [ "$1" = xdpchain ] || return 127; shift; node dist/cli/main.js "$@"; }\n${readmeCommands()}`;
    // The README's state is the default ./.xdpchain of the checkout.
    const env = { ...process.env };
    delete env.XDPCHAIN_STATE;
    const r = spawnSync('bash', ['-c', script], { cwd: checkout, encoding: 'utf8', env });
    expect(r.stderr.split('\n').filter((l) => /error|not found/i.test(l))).toEqual([]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/4 frames received on veth1\n {2}XDP_DROP {6}4\n/);
    expect(r.stdout).toMatch(/delivered on veth1: 4 to the stack/);
  }, 300_000);
});
