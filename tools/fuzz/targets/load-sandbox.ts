import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseBtfFile } from '../../../src/elf/btf-file.js';
import type { Btf } from '../../../src/btf/types.js';
import { Runtime } from '../../../src/runtime/runtime.js';
import { repoRoot } from '../seeds.js';
import { hashBytes } from '../prng.js';
import type { EngineName } from '../../../src/vm/engine.js';

/** Inputs per runtime: a fresh one now and then bounds what a leak in unload could accumulate. */
const INPUTS_PER_RUNTIME = 200;

/**
 * A runtime shared by many inputs (making one per input would dominate the run time), emptied of
 * every program and map after each. The engine alternates: the interpreter mostly (cheap), wasm
 * for one input in eight (its compiler sees the mutants too), chosen by the input's bytes so a
 * replayed input runs on the engine it crashed on.
 */
export class LoadSandbox {
  private runtimes = new Map<EngineName, Runtime>();
  /**
   * CO-RE relocations go against the bundled kernel BTF, read from the repository (the default
   * would be this machine's /sys/kernel/btf/vmlinux): a seed gives the same run on every machine.
   */
  private readonly kernelBtf: Btf = parseBtfFile(new Uint8Array(readFileSync(join(repoRoot(), 'data/btf/xdp-types.btf'))), 'data/btf/xdp-types.btf');
  private uses = 0;

  use(input: Uint8Array, fn: (rt: Runtime) => void): void {
    const engine: EngineName = hashBytes(input) % 8 === 7 ? 'wasm' : 'interp';
    if (++this.uses % INPUTS_PER_RUNTIME === 0) this.runtimes.clear();
    let rt = this.runtimes.get(engine);
    if (!rt) {
      rt = new Runtime({ engine, statsTiming: false, possibleCpus: 2, maxDataBytes: 256 << 20, kernelBtf: this.kernelBtf });
      this.runtimes.set(engine, rt);
    }
    try {
      fn(rt);
    } finally {
      this.empty(rt);
    }
  }

  private empty(rt: Runtime): void {
    // Programs first (one may hold a program array's slot), then the maps they used.
    for (const p of rt.programs()) rt.unloadProgram(p);
    for (const m of rt.maps.all()) rt.closeMap(m);
  }

  close(): void {
    this.runtimes.clear();
  }
}
