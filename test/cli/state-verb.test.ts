import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deadPid } from '../dead-pid.js';
import { cli, cliRun } from './cli.js';
import { tempDirsRemovedAfterAll } from './temp-dirs.js';

const tempDir = tempDirsRemovedAfterAll();

/** Two devices, a program attached, a chain: the state before; a map update: the state after. */
function populated(prefix: string): { state: string; file: string } {
  const dir = tempDir(prefix);
  const state = join(dir, 'state');
  cli(state, 'netdev', 'add', 'eth0', '--peer', 'eth1');
  cli(state, 'prog', 'load', 'progs/build/udp_counter.o');
  cli(state, 'prog', 'load', 'progs/build/xdp_pass.o', '--chain-calls');
  cli(state, 'chain', 'add', 'xdp_udp_counter', 'any', 'xdp_pass');
  cli(state, 'attach', 'eth0', 'xdp_udp_counter');
  return { state, file: join(state, 'state.json') };
}

const edit = (file: string, change: (s: Record<string, unknown> & { netdevs: Record<string, unknown>[]; chains: unknown[] }) => void) => {
  const s = JSON.parse(readFileSync(file, 'utf8'));
  change(s);
  writeFileSync(file, JSON.stringify(s));
};

describe('xdpchain state check', () => {
  it('a sound directory: exit 0, each file sound', () => {
    const { state } = populated('check-ok');
    const r = cliRun(state, 'state', 'check');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/state\.json: sound/);
    expect(r.stdout).toMatch(/state\.json\.prev: sound/);
    expect(JSON.parse(cli(state, 'state', 'check', '--json'))).toMatchObject({ ok: true, problems: [], origin: '--state' });
  });

  it('lists every problem with its field, exits 1; --json gives file, field and message', () => {
    const { state, file } = populated('check-bad');
    edit(file, (s) => {
      s.netdevs[0].peer = 7;
      s.netdevs[1].mtu = 'big';
    });
    const r = cliRun(state, 'state', 'check');
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('netdevs[0].peer: expected a string, got 7');
    expect(r.stdout).toContain('netdevs[1].mtu: expected a whole number ≥ 0, got "big"');
    const j = cliRun(state, 'state', 'check', '--json');
    expect(j.status).toBe(1);
    expect(JSON.parse(j.stdout).problems).toEqual([
      { file, field: 'netdevs[0].peer', message: 'expected a string, got 7' },
      { file, field: 'netdevs[1].mtu', message: 'expected a whole number ≥ 0, got "big"' },
    ]);
  });

  it('finds a kept object file that was cut short', () => {
    const { state } = populated('check-object');
    const objects = join(state, 'objects');
    const [first] = readdirSync(objects);
    writeFileSync(join(objects, first), readFileSync(join(objects, first)).subarray(0, 100));
    const r = cliRun(state, 'state', 'check');
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`collections\\[\\d\\]\\.object: ${join(objects, first)} is damaged: its sha256 is`));
    expect(cliRun(state, 'prog', 'show').stderr).toMatch(/EINVAL: .*state\.json: collections\[\d\]\.object: .* is damaged/);
  });
});

describe('xdpchain state repair', () => {
  it('puts back state.json.prev, the state before the last change, and keeps the damaged file', () => {
    const { state, file } = populated('repair-prev');
    cli(state, 'map', 'update', 'udp_totals', 'u32:0', 'u64:5,u64:6');
    const damaged = readFileSync(file, 'utf8').slice(0, 200);
    writeFileSync(file, damaged);
    const r = cliRun(state, 'state', 'repair');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/state\.json was damaged: not valid JSON/);
    expect(r.stdout).toMatch(/restored state\.json\.prev: the state before the change saved at .*, which is lost/);
    expect(readFileSync(join(state, 'state.json.damaged'), 'utf8')).toBe(damaged);
    // The map update was the last change: it is gone, everything before it is back.
    expect(JSON.parse(cli(state, 'map', 'lookup', 'udp_totals', 'u32:0', '--json')).value.hex).toBe('0'.repeat(32));
    expect(cli(state, 'prog', 'show')).toMatch(/xdp_udp_counter[\s\S]*xdp_pass/);
    expect(cliRun(state, 'state', 'check').status).toBe(0);
    expect(cli(state, 'state', 'repair')).toMatch(/state\.json is sound: nothing to repair/);
  });

  it('without a sound state.json.prev, leaves out exactly what is damaged and what referred to it, and says so', () => {
    const { state, file } = populated('repair-salvage');
    rmSync(join(state, 'state.json.prev'));
    edit(file, (s) => {
      s.netdevs[1].name = 12;
      s.chains.push({ prev: 1, retcode: 2, next: 99 });
    });
    const r = cliRun(state, 'state', 'repair');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines).toContain('  dropped netdevs[1]: device 12 (ifindex 3) (netdevs[1].name: expected a string, got 12)');
    expect(lines).toContain('  dropped netdevs[0].peer: the pairing of device "eth0" (now unpaired) (netdevs[0].peer: no device is named eth1)');
    expect(lines).toContain('  dropped chains[1]: chain from program 1 on 2 to program 99 (chains[1].next: program 99 is not in the state)');
    expect(lines.filter((l) => l.startsWith('  dropped'))).toHaveLength(3);
    expect(cli(state, 'prog', 'show')).toMatch(/xdp_udp_counter[\s\S]*xdp_pass/);
    const devices = cli(state, 'netdev', 'list');
    expect(devices).toMatch(/^2: eth0 .*\n\s+xdp: xdp_udp_counter \(id 1\)$/m);
    expect(devices).not.toMatch(/eth1/);
    expect(cliRun(state, 'state', 'check').status).toBe(0);
  });

  it('a state.json that is not JSON and no state.json.prev: drops everything, saying so', () => {
    const { state, file } = populated('repair-garbled');
    rmSync(join(state, 'state.json.prev'));
    writeFileSync(file, 'garbage');
    const r = cliRun(state, 'state', 'repair');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('dropped (the whole file)');
    expect(cli(state, 'prog', 'show').trim()).toBe('');
  });
});

describe('temporary files of killed commands', () => {
  it('state check lists them (still exit 0: they are harmless); state repair removes them and says so', () => {
    const { state } = populated('leftovers');
    const dead = deadPid();
    const leftovers = [join(state, `.state.json.${dead}.tmp`), join(state, 'objects', `.x.o.${dead}.tmp`), join(state, `lock.${dead}.new`)];
    for (const f of leftovers) writeFileSync(f, '{"half');
    const check = cliRun(state, 'state', 'check', '--json');
    expect(check.status).toBe(0);
    expect((JSON.parse(check.stdout) as { leftovers: string[] }).leftovers.sort()).toEqual([...leftovers].sort());
    const repair = cli(state, 'state', 'repair');
    for (const f of leftovers) {
      expect(repair).toContain(`removed ${f}, left by a command that was killed while writing`);
      expect(existsSync(f)).toBe(false);
    }
  });
});

describe('xdpchain state reset', () => {
  it('removes everything and says what each file held', () => {
    const { state } = populated('reset');
    const r = cli(state, 'state', 'reset');
    expect(r).toContain(`removed ${join(state, 'state.json')} (2 programs, 1 map, 2 devices, 1 attachment, 0 links, 1 chain, 0 captures)`);
    expect(r).toContain(`removed ${join(state, 'objects')} (2 kept object files)`);
    expect(existsSync(join(state, 'state.json'))).toBe(false);
    expect(cli(state, 'prog', 'show').trim()).toBe('');
    expect(cli(state, 'state', 'reset')).toMatch(/nothing to remove/);
  });

  it('--help says what each verb does', () => {
    const { state } = populated('help');
    expect(cli(state, 'state', 'check', '--help')).toMatch(/exits 1 if state\.json has problems/);
    expect(cli(state, 'state', 'repair', '--help')).toMatch(/state\.json\.prev/);
    expect(cli(state, 'state', 'reset', '--help')).toMatch(/asks nothing/);
  });
});
