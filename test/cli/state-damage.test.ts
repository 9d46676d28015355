import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, cliRun, repo } from './cli.js';
import { tempDirsRemovedAfterAll, writable } from './temp-dirs.js';

const tempDir = tempDirsRemovedAfterAll();
const fresh = (prefix: string): { dir: string; state: string } => {
  const dir = tempDir(prefix);
  return { dir, state: join(dir, 'state') };
};

/** A state directory with a device and a loaded program, as most users have. */
const populated = (prefix: string) => {
  const t = fresh(prefix);
  cli(t.state, 'netdev', 'add', 'eth0', '--peer', 'eth1');
  cli(t.state, 'prog', 'load', 'progs/build/udp_counter.o');
  return t;
};

const stateFile = (state: string) => join(state, 'state.json');
const noCrash = (stderr: string) => {
  expect(stderr).not.toMatch(/internal error/);
  expect(stderr).not.toMatch(/\n\s+at /);
};

/** A capture started into DIR/caps/FILE, then DIR/caps removed. */
function vanishedCapture(prefix: string, file: string) {
  const { dir, state } = populated(prefix);
  const out = join(dir, 'caps', file);
  mkdirSync(join(dir, 'caps'));
  cli(state, 'dump', 'eth0', '-w', out);
  rmSync(join(dir, 'caps'), { recursive: true });
  return { state, out };
}

describe('a capture whose output went away', () => {
  it('is stopped with a warning naming it and its path, and blocks no command', () => {
    const { state, out } = vanishedCapture('capture-gone', 'a.pcapng');
    const show = cliRun(state, 'prog', 'show');
    expect(show.status).toBe(0);
    expect(show.stdout).toMatch(/xdp_udp_counter/);
    expect(show.stderr).toMatch(new RegExp(`warning: .*capture on eth0 .*${out.replaceAll('.', '\\.')}.*stopped`));
    // Stopped for good: the next command neither warns again nor lists it.
    const list = cliRun(state, 'dump', '--list');
    expect([list.status, list.stderr, list.stdout.trim()]).toEqual([0, '', 'no captures']);
  });

  it('dump --stop of it succeeds: it is stopped already, with the warning', () => {
    const { state, out } = vanishedCapture('capture-stop', 'c.pcapng');
    const stop = cliRun(state, 'dump', '--stop', out);
    expect(stop.stderr).toMatch(/warning: capture on eth0 into .*c\.pcapng stopped/);
    expect(stop.status).toBe(0);
  });

  it('is stopped when only its file was removed, rather than appended to without a header', () => {
    const { dir, state } = populated('capture-file-gone');
    const out = join(dir, 'b.pcapng');
    cli(state, 'dump', 'eth0', '-w', out);
    rmSync(out);
    const show = cliRun(state, 'prog', 'show');
    expect(show.status).toBe(0);
    expect(show.stderr).toMatch(/warning: .*b\.pcapng/);
    expect(cli(state, 'dump', '--list').trim()).toBe('no captures');
  });
});

describe('a damaged state.json', () => {
  const damaged = (prefix: string, text: string) => {
    const t = populated(prefix);
    writeFileSync(stateFile(t.state), text);
    return t;
  };

  it('truncated: EINVAL naming the file and where the JSON stops, and what to run', () => {
    const t = populated('truncated');
    const text = readFileSync(stateFile(t.state), 'utf8');
    writeFileSync(stateFile(t.state), text.slice(0, 100));
    const r = cliRun(t.state, 'prog', 'show');
    noCrash(r.stderr);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^xdpchain: EINVAL: ${stateFile(t.state)}: not valid JSON .*'xdpchain state check'.*'xdpchain state repair'`));
  });

  it('empty: EINVAL naming the file', () => {
    const t = damaged('empty', '');
    const r = cliRun(t.state, 'prog', 'show');
    noCrash(r.stderr);
    expect(r.stderr).toMatch(new RegExp(`EINVAL: ${stateFile(t.state)}: .*empty`));
  });

  it('garbled: EINVAL naming the file', () => {
    const t = damaged('garbled', '\u0000\u0017garbage{');
    const r = cliRun(t.state, 'netdev', 'list');
    noCrash(r.stderr);
    expect(r.stderr).toMatch(new RegExp(`EINVAL: ${stateFile(t.state)}: not valid JSON`));
  });

  it('wrong types: names the field, what it expected and what it got', () => {
    const t = populated('types');
    const s = JSON.parse(readFileSync(stateFile(t.state), 'utf8'));
    s.netdevs[1].peer = 7;
    writeFileSync(stateFile(t.state), JSON.stringify(s));
    const r = cliRun(t.state, 'prog', 'show');
    noCrash(r.stderr);
    expect(r.stderr).toContain(
      `EINVAL: ${stateFile(t.state)}: netdevs[1].peer: expected a string, got 7; run 'xdpchain state check' / 'xdpchain state repair'`,
    );
  });

  it('saved contents of a map the object does not have: named, not a crash (found by npm run fuzz, state seed 17)', () => {
    const t = populated('no-such-map');
    const s = JSON.parse(readFileSync(stateFile(t.state), 'utf8'));
    const maps = s.collections[0].maps;
    const [name] = Object.keys(maps);
    maps.renamed = maps[name];
    delete maps[name];
    writeFileSync(stateFile(t.state), JSON.stringify(s));
    const r = cliRun(t.state, 'prog', 'show');
    noCrash(r.stderr);
    expect(r.stderr).toMatch(/EINVAL: .*state\.json does not restore: collections\[0\]\.maps\.renamed: the object has no map renamed/);
  });

  it('dangling references: a chain to a program that does not exist is named, not a crash', () => {
    const t = populated('dangling');
    const s = JSON.parse(readFileSync(stateFile(t.state), 'utf8'));
    s.chains = [{ prev: 1, retcode: 2, next: 99 }];
    writeFileSync(stateFile(t.state), JSON.stringify(s));
    const r = cliRun(t.state, 'prog', 'show');
    noCrash(r.stderr);
    expect(r.stderr).toContain(`EINVAL: ${stateFile(t.state)}: chains[0].next: program 99 is not in the state`);
  });
});

/** Run the CLI as an unprivileged user when we are root (root writes to read-only directories). */
const asUser = (state: string, ...args: string[]) => {
  const root = process.getuid?.() === 0;
  const r = spawnSync(process.execPath, [join(repo, 'dist/cli/main.js'), '--state', state, ...args], {
    encoding: 'utf8',
    cwd: repo,
    ...(root ? { uid: 65534, gid: 65534 } : {}),
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
};

describe('a state directory this user cannot write', () => {
  it('still answers read-only commands; a changing command fails with EACCES naming the directory and --state', () => {
    const { dir, state } = populated('readonly');
    // A dispatcher makes new internal links on every restore: that alone is no change of state.
    cli(state, 'netdev', 'add', 'eth2');
    cli(state, 'load', 'eth2', 'progs/build/ipv6_blocker.o', 'progs/build/firewall.o');
    chmodSync(dir, 0o755);
    const parts = ['', 'objects', 'btf'].map((f) => join(state, f));
    for (const p of parts) chmodSync(p, 0o555);
    try {
      const show = asUser(state, 'prog', 'show');
      noCrash(show.stderr);
      expect(show.stdout).toMatch(/xdp_udp_counter/);
      expect(show.status).toBe(0);
      const status = asUser(state, 'status', 'eth2');
      expect([status.status, status.stderr]).toEqual([0, '']);
      const load = asUser(state, 'prog', 'load', 'progs/build/xdp_pass.o');
      noCrash(load.stderr);
      expect(load.status).toBe(1);
      expect(load.stderr).toMatch(new RegExp(`EACCES: state directory ${state} \\(from --state\\) is not writable`));
    } finally {
      parts.forEach(writable);
    }
    expect(cli(state, 'prog', 'show')).not.toMatch(/xdp_pass/);
  });

  it('names $XDPCHAIN_STATE when that chose the directory', () => {
    const { dir, state } = populated('readonly-env');
    chmodSync(dir, 0o755);
    chmodSync(state, 0o555);
    const root = process.getuid?.() === 0;
    try {
      const r = spawnSync(process.execPath, [join(repo, 'dist/cli/main.js'), 'netdev', 'add', 'eth9'], {
        encoding: 'utf8',
        cwd: repo,
        env: { ...process.env, XDPCHAIN_STATE: state },
        ...(root ? { uid: 65534, gid: 65534 } : {}),
      });
      noCrash(r.stderr);
      expect(r.stderr).toMatch(new RegExp(`EACCES: state directory ${state} \\(from \\$XDPCHAIN_STATE\\) is not writable`));
    } finally {
      writable(state);
    }
  });
});
