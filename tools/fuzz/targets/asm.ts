import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseDataFile } from '../../../src/conformance/data-file.js';
import { assemble } from '../../../src/isa/asm.js';
import { decodeProgram } from '../../../src/isa/program.js';
import { mutateAsm } from '../asm-mutate.js';
import { repoRoot } from '../seeds.js';
import type { FuzzTarget, OpenTarget } from '../target.js';

/** The conformance vectors beside the repository ($SHARED or ../shared, as CI lays them out). */
function conformanceDir(): string {
  return resolve(process.env.SHARED ?? join(repoRoot(), '..', 'shared'), 'conformance', 'tests');
}

/**
 * Assembler sources: the `-- asm` part of every conformance vector, through the vector parser
 * (the whole .data text), the assembler and the decoder that checks what it produced.
 */
export const asmTarget: FuzzTarget = {
  name: 'asm',
  open(): OpenTarget {
    const dir = conformanceDir();
    if (!existsSync(dir)) throw new Error(`fuzz: no assembler seeds: ${dir} does not exist (set SHARED)`);
    const seeds = readdirSync(dir)
      .filter((f) => f.endsWith('.data'))
      .sort()
      .map((f) => new Uint8Array(readFileSync(join(dir, f))));
    if (seeds.length === 0) throw new Error(`fuzz: no .data vectors in ${dir}`);
    return {
      seeds,
      generate: (rng) => mutateAsm(rng, rng.pick(seeds), seeds),
      run(input) {
        const text = Buffer.from(input).toString('utf8');
        const asm = /^-- asm\n([\s\S]*?)(?=^-- |(?![\s\S]))/m.exec(text)?.[1] ?? text;
        decodeProgram(assemble(asm));
        parseDataFile(text, 'fuzz.data');
      },
      close: () => undefined,
    };
  },
};
