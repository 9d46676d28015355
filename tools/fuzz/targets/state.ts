import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../cli-in-process.js';
import { mutateJson } from '../json-mutate.js';
import { repoRoot } from '../seeds.js';
import { hashBytes } from '../prng.js';
import type { FuzzTarget, OpenTarget } from '../target.js';

/**
 * The commands that make the seed state: devices, chained programs, an attachment, map contents
 * and a pinned freplace link, so state.json has every section a restore reads.
 */
const SETUP: readonly (readonly string[])[] = [
  ['netdev', 'add', 'eth0'],
  ['netdev', 'add', 'veth0', '--peer', 'veth1'],
  ['prog', 'load', 'progs/build/ttl_guard.o', '--chain-calls'],
  ['prog', 'load', 'progs/build/port_acl.o', '--chain-calls'],
  ['prog', 'load', 'progs/build/firewall.o'],
  ['chain', 'add', 'xdp_ttl_guard', 'XDP_PASS', 'xdp_port_acl'],
  ['attach', 'eth0', 'xdp_ttl_guard'],
  ['map', 'update', 'rule_stats', 'u32:3', 'u64:5,u64:7'],
  ['prog', 'load', 'progs/build/freplace_target.o'],
  ['prog', 'load', 'progs/build/freplace_ext.o', '--prog', 'classify_tx', '--target', 'xdp_freplace_target'],
  ['freplace', 'attach', 'classify_tx', '--pin', 'tx-classifier'],
];

/** Read-only commands that open a state directory, each restoring all of it. */
const READERS: readonly (readonly string[])[] = [
  ['prog', 'show', '--json'],
  ['map', 'show', '--json'],
  ['netdev', 'list', '--json'],
  ['link', 'show', '--json'],
];

/**
 * A state directory (made by SETUP in a temporary directory) whose state.json is mutated, then
 * opened by a read-only command in-process. An input is the state.json to open.
 */
export const stateTarget: FuzzTarget = {
  name: 'state',
  async open(): Promise<OpenTarget> {
    const base = mkdtempSync(join(tmpdir(), 'xdpchain-fuzz-state-'));
    try {
      const pristine = join(base, 'pristine');
      const work = join(base, 'work');
      // Object paths are the repository's (a worker thread cannot chdir there).
      const absolute = (arg: string): string => (arg.startsWith('progs/') ? join(repoRoot(), arg) : arg);
      for (const args of SETUP) await runCli(['--state', pristine, '--engine', 'interp', ...args.map(absolute)]);
      const seed = new Uint8Array(readFileSync(join(pristine, 'state.json')));
      return {
        seeds: [seed],
        generate: (rng) => mutateJson(rng, seed),
        async run(input) {
          rmSync(work, { recursive: true, force: true });
          mkdirSync(work);
          cpSync(pristine, work, { recursive: true });
          writeFileSync(join(work, 'state.json'), input);
          const reader = READERS[hashBytes(input) % READERS.length];
          await runCli(['--state', work, '--engine', 'interp', ...reader]);
        },
        close: () => rmSync(base, { recursive: true, force: true }),
      };
    } catch (e) {
      rmSync(base, { recursive: true, force: true });
      throw e;
    }
  },
};
