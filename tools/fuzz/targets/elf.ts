import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCollectionSpec } from '../../../src/elf/index.js';
import type { Runtime } from '../../../src/runtime/runtime.js';
import { runCli } from '../cli-in-process.js';
import { mutateElf } from '../elf-mutate.js';
import { UDP_FRAME } from '../frames.js';
import { hashBytes } from '../prng.js';
import { OBJECT_DIRS, readSeeds } from '../seeds.js';
import type { FuzzTarget, OpenTarget } from '../target.js';
import { LoadSandbox } from './load-sandbox.js';

/** One parsed input in this many also goes through the CLI (listing every BTF type costs ~5 ms). */
const CLI_EVERY = 4;

/**
 * ELF objects through readCollectionSpec, the CLI's `inspect --btf` and `disasm` in-process (they
 * print what a parsed object holds: BTF types, programs, relocations; one input in CLI_EVERY,
 * chosen by its bytes), Runtime.loadCollection
 * (maps, CO-RE, the verifier, the engines) and a test-run of each XDP program with a small budget.
 */
export const elfTarget: FuzzTarget = {
  name: 'elf',
  open(): OpenTarget {
    const seeds = readSeeds(OBJECT_DIRS, '.o', 'ELF object');
    const sandbox = new LoadSandbox();
    const dir = mkdtempSync(join(tmpdir(), 'xdpchain-fuzz-elf-'));
    const file = join(dir, 'fuzz.o');
    return {
      seeds,
      generate: (rng) => mutateElf(rng, rng.pick(seeds), seeds),
      async run(input) {
        const spec = readCollectionSpec(input, { source: 'fuzz.o' });
        if (hashBytes(input) % CLI_EVERY === 0) {
          writeFileSync(file, input);
          await runCli(['inspect', file, '--btf', '--json']);
          await runCli(['disasm', file]);
        }
        sandbox.use(input, (rt: Runtime) => {
          const coll = rt.loadCollection(spec);
          for (const p of coll.programs.values()) {
            if (p.type === 'xdp') rt.testRun(p, { data: UDP_FRAME, budget: 20_000 });
          }
        });
      },
      close: () => {
        sandbox.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};
