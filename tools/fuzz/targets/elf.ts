import { readCollectionSpec } from '../../../src/elf/index.js';
import { Runtime } from '../../../src/runtime/runtime.js';
import { mutateElf } from '../elf-mutate.js';
import { OBJECT_DIRS, readSeeds } from '../seeds.js';
import type { FuzzTarget, OpenTarget } from '../target.js';
import { LoadSandbox } from './load-sandbox.js';
import { UDP_FRAME } from '../frames.js';

/** ELF objects through readCollectionSpec, Runtime.loadCollection and a test-run of each XDP program. */
export const elfTarget: FuzzTarget = {
  name: 'elf',
  open(): OpenTarget {
    const seeds = readSeeds(OBJECT_DIRS, '.o', 'ELF object');
    const sandbox = new LoadSandbox();
    return {
      seeds,
      generate: (rng) => mutateElf(rng, rng.pick(seeds), seeds),
      run(input) {
        const spec = readCollectionSpec(input, { source: 'fuzz.o' });
        sandbox.use(input, (rt: Runtime) => {
          const coll = rt.loadCollection(spec);
          for (const p of coll.programs.values()) {
            if (p.type === 'xdp') rt.testRun(p, { data: UDP_FRAME, budget: 20_000 });
          }
        });
      },
      close: () => sandbox.close(),
    };
  },
};
