import type { Code } from '../interp/code.js';
import { Scratch } from './abi.js';
import { i32, i64, none } from './emit/expr.js';
import { inlineSingleCallers } from './emit/inline.js';
import { WasmModule } from './emit/module.js';
import { FunctionGen } from './function-gen.js';
import { PROGRAM_PARAMS, PROGRAM_VARS, type CodegenLayout, type KnownReplacement } from './lowering.js';
import { compileCsumPartial, compileHashFind, compileLpmFind } from './support.js';

export type { CodegenLayout, KnownReplacement } from './lowering.js';

export interface CompiledModule {
  binary: Uint8Array;
  /**
   * Function entry slots, each exported as `e<slot>`. The module imports, per entry, the freplace
   * globals `ov<slot>` (replaced), `ovf<slot>` (the replacement's index in the `fns` table) and
   * `ovc<slot>` (its run counter) from `env`, so every module holding the program shares them.
   */
  entries: readonly number[];
}

/** The names of a program's freplace globals for function entry `slot` (see CompiledModule). */
export const replacementGlobals = (slot: number): readonly [string, string, string] => [`ov${slot}`, `ovf${slot}`, `ovc${slot}`];

/**
 * The host functions a program imports, each from its own namespace (`env` for a program alone):
 * how many i32 parameters each takes, and whether it returns an i32.
 */
const PROGRAM_IMPORTS = {
  fault: { params: 5, returns: false },
  helper: { params: 2, returns: true },
  callReplaced: { params: 2, returns: false },
  callx: { params: 2, returns: true },
  ldabs: { params: 2, returns: true },
} as const;

/**
 * A module being built: the shared memory and tables, its programs (none for the shared batch
 * driver), and the support functions (checksum, hash probe, LPM scan) their code calls, each
 * added once.
 */
export class ModuleBuilder {
  readonly m = new WasmModule();
  private readonly units: FunctionGen[] = [];

  constructor() {
    this.m.addMemoryImport('env', 'memory', { min: 1, max: 65536 });
    // Replacements' f0 by the index the engine gave them, and programs' f0 by batch node.
    for (const table of ['fns', 'f0ByNode']) this.m.addTableImport(table, 'env', table, { min: 1 });
  }

  /**
   * Add the program's functions, named `f<slot>` (`<from>_f<slot>` with a namespace), importing its
   * host functions and freplace globals from module `from`.
   */
  addProgram(code: Code, layout: CodegenLayout, from = 'env', known: ReadonlyMap<number, KnownReplacement> = new Map()): readonly number[] {
    const { m } = this;
    const ns = from === 'env' ? '' : `${from}_`;
    for (const [name, { params, returns }] of Object.entries(PROGRAM_IMPORTS)) {
      m.addFunctionImport(ns + name, from, name, new Array<typeof i32>(params).fill(i32), returns ? i32 : none);
    }
    const entries = [...code.spec.program.functionEntries];
    for (const entry of entries) for (const g of replacementGlobals(entry)) m.addGlobalImport(ns + g, from, g, i32, true);
    const gen = new FunctionGen(m, code, layout, ns, known);
    for (const entry of entries) m.addFunction(`${ns}f${entry}`, PROGRAM_PARAMS, i64, [...PROGRAM_VARS], gen.function(entry));
    this.units.push(gen);
    return entries;
  }

  /**
   * The module's bytes. With `inline`, every function called from one place only is inlined
   * there (a batch graph's programs into its driver).
   */
  finish(inline = false): Uint8Array {
    const { m } = this;
    // Only modules that call replacements or tail-call by node import those tables (V8 updates
    // every importer on each change).
    if (!this.units.some((u) => u.callsReplacements)) m.removeTable('fns');
    if (!this.units.some((u) => u.tailCallsByNode) && !m.hasFunction('batch')) m.removeTable('f0ByNode');
    if (this.units.some((u) => u.csumPartialUsed)) compileCsumPartial(m);
    if (this.units.some((u) => u.hashFindUsed)) compileHashFind(m);
    for (const stride of new Set(this.units.flatMap((u) => [...u.lpmStrides]))) compileLpmFind(m, stride);
    if (inline) inlineSingleCallers(m);
    return m.emit();
  }
}

/**
 * Translate one eBPF program to a wasm module. Every eBPF function becomes a wasm function
 * `(r1..r5: i64, depth: i32) -> r0: i64` (FunctionGen); r6..r10 are locals, so bpf-to-bpf calls
 * preserve them for free. No optimisation here: V8's optimising tier does it.
 */
export function compileToWasm(code: Code, layout: CodegenLayout): CompiledModule {
  const builder = new ModuleBuilder();
  const { m } = builder;
  const entries = builder.addProgram(code, layout);
  const sc = layout.scratch;
  for (const entry of entries) {
    const args = [1, 2, 3, 4, 5].map((r) => m.i64.load(0, 8, m.i32.const(sc + Scratch.args + (r - 1) * 8)));
    m.addFunction(`e${entry}`, [i32], none, [], m.i64.store(0, 8, m.i32.const(sc + Scratch.r0), m.call(`f${entry}`, [...args, m.local.get(0, i32)], i64)));
    m.addFunctionExport(`e${entry}`, `e${entry}`);
  }
  const zero = () => m.i64.const(0, 0);
  m.addFunction('run32', [i32], i32, [], m.i32.wrap(m.call('f0', [m.i64.extend_u(m.local.get(0, i32)), zero(), zero(), zero(), zero(), m.i32.const(1)], i64)));
  m.addFunctionExport('run32', 'run32');
  m.addFunctionExport('f0', 'f0');
  return { binary: builder.finish(), entries };
}
