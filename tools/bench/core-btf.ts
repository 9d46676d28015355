import { existsSync, readFileSync } from 'node:fs';
import { VMLINUX_BTF_PATH } from '../../src/btf/bundled.js';
import { applyCoreRelocations } from '../../src/btf/core/index.js';
import { readBtfFile } from '../../src/elf/btf-file.js';
import { readCollectionSpec } from '../../src/elf/index.js';

/** Milliseconds spent parsing the kernel's BTF and relocating one program against it. */
export interface CoreRelocationTiming {
  parseMs: number;
  relocateMs: number;
}

/** What the CO-RE load bench measured: the first round (code not yet optimised, as in a CLI run) and the median. */
export interface CoreRelocationBench {
  object: string;
  program: string;
  relocations: number;
  first: CoreRelocationTiming;
  median: CoreRelocationTiming;
}

const sinceMs = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e6;

/**
 * Time what loading a CO-RE program adds: reading and parsing /sys/kernel/btf/vmlinux, then
 * applying the program's relocations against it, `rounds` times over (each round parses afresh,
 * so nothing is cached between rounds). A string, the reason, where there is nothing to time.
 */
export function benchCoreRelocation(object: string, program: string, rounds: number): CoreRelocationBench | string {
  if (!existsSync(VMLINUX_BTF_PATH)) return `${VMLINUX_BTF_PATH} does not exist`;
  const spec = readCollectionSpec(readFileSync(object), { source: object }).programs.get(program);
  if (!spec?.coreRelocations?.length) return `${object} has no program ${program} with CO-RE relocations`;
  const timings: CoreRelocationTiming[] = [];
  for (let i = 0; i < Math.max(1, rounds); i++) {
    const parsing = process.hrtime.bigint();
    const btf = readBtfFile(VMLINUX_BTF_PATH);
    const parseMs = sinceMs(parsing);
    const relocating = process.hrtime.bigint();
    applyCoreRelocations(spec, { btf, name: VMLINUX_BTF_PATH });
    timings.push({ parseMs, relocateMs: sinceMs(relocating) });
  }
  const median = (pick: (t: CoreRelocationTiming) => number): number => timings.map(pick).sort((a, b) => a - b)[Math.floor(timings.length / 2)];
  return { object, program, relocations: spec.coreRelocations.length, first: timings[0], median: { parseMs: median((t) => t.parseMs), relocateMs: median((t) => t.relocateMs) } };
}
