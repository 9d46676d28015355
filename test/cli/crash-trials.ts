import { spawn } from 'node:child_process';
import { cpSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ipv4UdpFrame } from '../../src/packet/index.js';
import { writeSyntheticPcap } from '../../src/pcap/file.js';
import { checkStateDir } from '../../src/state/check.js';
import { comparableState } from '../../src/state/compare.js';
import { StateLock } from '../../src/state/lock.js';
import type { StateSnapshot } from '../../src/state/snapshot.js';
// The CLI registers these state extensions; checking a directory in-process needs them too.
import '../../src/cli/commands/dispatch.js';
import '../../src/cli/commands/mprog.js';
import '../../src/cli/commands/dump.js';
import { cli, repo } from './cli.js';

const main = join(repo, 'dist/cli/main.js');

/** The mutating commands under test; `DIR` is replaced by the trial's state directory, `ROOT` by the bench's. */
export const MUTATIONS: readonly (readonly string[])[] = [
  ['prog', 'load', 'progs/build/port_acl.o'],
  ['attach', 'eth1', 'xdp_ttl_guard'],
  ['chain', 'add', 'xdp_ttl_guard', 'any', 'xdp_pass'],
  ['load', 'eth2', 'progs/build/ipv6_blocker.o', 'progs/build/firewall.o'],
  ['map', 'update', 'udp_totals', 'u32:0', 'u64:7,u64:9'],
  ['inject', 'eth0', 'ROOT/frames.pcap'],
  ['link', 'pin', '1', 'crash-pin'],
  ['dump', 'eth0', '-w', 'DIR/../capture.pcapng'],
];

/** How long each atomic write pauses half-way (XDPCHAIN_TEST_WRITE_PAUSE_MS) in 3 of 4 trials, so kills land inside saves. */
const WRITE_PAUSE_MS = 150;

/** A trial's directory: `<root>/<name>/state`, so `DIR/..` is the trial's own scratch space. */
const stateOf = (root: string, name: string) => join(root, name, 'state');

/** A state directory as a comparable value, with the trial's own path replaced so trials compare. */
function stateValue(state: string): string {
  const text = readFileSync(join(state, 'state.json'), 'utf8').replaceAll(join(state, '..'), '<trial>');
  return JSON.stringify(comparableState(JSON.parse(text) as StateSnapshot));
}

function run(
  root: string,
  state: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  killAfterMs?: number,
): Promise<{ killed: boolean; code: number | null; ms: number; stderr: string }> {
  const argv = args.map((a) => a.replace('DIR', state).replace('ROOT', root));
  const started = Date.now();
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [main, '--state', state, ...argv], { cwd: repo, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    let killed = false;
    const timer =
      killAfterMs === undefined
        ? undefined
        : setTimeout(() => {
            killed = p.kill('SIGKILL');
          }, killAfterMs);
    p.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ killed: killed && signal === 'SIGKILL', code, ms: Date.now() - started, stderr });
    });
  });
}

/** What one trial found. */
export interface TrialResult {
  command: string;
  /** `before`: the kill came before the change was saved; `after`: after; `finished`: the command ended first. */
  outcome: 'before' | 'after' | 'finished';
  /** Temporary files the killed command left (harmless; state repair removes them). */
  leftovers: number;
  /** Empty when the directory was sound; else what was wrong. */
  failures: string[];
}

/** A template state directory, the expected state after each mutation, and a trial runner. */
export class CrashBench {
  private readonly before: string;
  private readonly after = new Map<number, { value: string; ms: number }>();

  private constructor(
    private readonly root: string,
    private readonly random: () => number,
  ) {
    this.before = stateValue(stateOf(root, 'template'));
  }

  /** Build the template (devices, programs, an attachment, a link) under `root`. */
  static async create(root: string, seed: number): Promise<CrashBench> {
    const state = stateOf(root, 'template');
    writeSyntheticPcap(join(root, 'frames.pcap'), 20, () => ipv4UdpFrame());
    cli(state, 'netdev', 'add', 'eth0', '--peer', 'eth1');
    cli(state, 'netdev', 'add', 'eth2');
    cli(state, 'netdev', 'add', 'eth3');
    cli(state, 'prog', 'load', 'progs/build/udp_counter.o');
    cli(state, 'prog', 'load', 'progs/build/xdp_pass.o', '--chain-calls');
    cli(state, 'prog', 'load', 'progs/build/ttl_guard.o', '--chain-calls');
    cli(state, 'attach', 'eth0', 'xdp_udp_counter');
    cli(state, 'attach', 'eth3', 'xdp_pass', '--link');
    let x = seed >>> 0 || 1;
    const random = () => {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      return x / 2 ** 32;
    };
    const bench = new CrashBench(root, random);
    for (let i = 0; i < MUTATIONS.length; i++) await bench.reference(i);
    return bench;
  }

  /** Run a mutation to the end on a fresh copy: the state "after", and how long it takes. */
  private async reference(i: number): Promise<void> {
    const state = this.copy(`ref${i}`);
    const r = await run(this.root, state, MUTATIONS[i], process.env);
    if (r.code !== 0) throw new Error(`${MUTATIONS[i].join(' ')} failed: ${r.stderr}`);
    if (stateValue(state) === this.before) throw new Error(`${MUTATIONS[i].join(' ')} changed nothing: it cannot show a torn write`);
    this.after.set(i, { value: stateValue(state), ms: r.ms });
    rmSync(join(this.root, `ref${i}`), { recursive: true, force: true });
  }

  private copy(name: string): string {
    const state = stateOf(this.root, name);
    cpSync(stateOf(this.root, 'template'), state, { recursive: true });
    return state;
  }

  /** One trial: a random mutation killed with SIGKILL at a random time, then the directory checked. */
  async trial(n: number): Promise<TrialResult> {
    const i = Math.floor(this.random() * MUTATIONS.length);
    const paused = this.random() < 0.75;
    const expected = this.after.get(i)!;
    // A save is two writes (state.json.prev, state.json), a load three; the window reaches a little past the end.
    const window = expected.ms + (paused ? 2 * WRITE_PAUSE_MS : 0);
    const delay = Math.floor(this.random() * window * 1.1);
    const state = this.copy(`t${n}`);
    const env = { ...process.env, ...(paused ? { XDPCHAIN_TEST_WRITE_PAUSE_MS: String(WRITE_PAUSE_MS) } : {}) };
    const r = await run(this.root, state, MUTATIONS[i], env, delay);
    const failures: string[] = [];
    const command = `${MUTATIONS[i].join(' ')} (killed after ${delay} ms${paused ? ', writes paused' : ''})`;
    if (!r.killed && r.code !== 0) failures.push(`exited ${r.code}: ${r.stderr}`);
    const report = checkStateDir(state);
    for (const f of [report.current, report.previous]) for (const p of f.problems) failures.push(`${f.file}: ${p.path ? `${p.path}: ` : ''}${p.message}`);
    let outcome: TrialResult['outcome'] = 'finished';
    if (failures.length === 0) {
      const value = stateValue(state);
      if (!r.killed) {
        if (value !== expected.value) failures.push('finished, but the state is not the expected one');
      } else if (value === this.before) outcome = 'before';
      else if (value === expected.value) outcome = 'after';
      else failures.push(`the state is neither the one before nor the one after:\n${readFileSync(join(state, 'state.json'), 'utf8').slice(0, 2000)}`);
    }
    if (failures.length === 0 && outcome === 'before') {
      // The command did not happen: running it again (after whatever the killed one left) must give the state after it.
      const again = await run(this.root, state, MUTATIONS[i], process.env);
      if (again.code !== 0) failures.push(`running it again failed: ${again.stderr}`);
      else if (stateValue(state) !== expected.value)
        failures.push(
          `running it again did not give the state after it: ${checkStateDir(state)
            .current.problems.map((p) => `${p.path}: ${p.message}`)
            .join('; ')}`,
        );
    }
    try {
      // A later command takes over the lock a killed one left.
      StateLock.acquire(join(state, 'lock'), 5_000).release();
    } catch (e) {
      failures.push(`the lock was not taken over: ${(e as Error).message}`);
    }
    rmSync(join(this.root, `t${n}`), { recursive: true, force: true });
    return { command, outcome: r.killed ? outcome : 'finished', leftovers: report.leftovers.length, failures };
  }
}
