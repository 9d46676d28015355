import type { EngineOptions, Executable, ExecutableSpec, ExecutionEngine } from '../engine.js';
import type { RunState } from '../run-state.js';
import { decodeCode, type Code } from './code.js';
import { Machine } from './machine.js';

/**
 * The reference interpreter: simple and checked at every step, used for tracing, as the oracle
 * for the wasm engine, and as the fallback engine. 64-bit registers are int32 pairs so the hot
 * path needs no BigInt.
 */
export function createInterpreter(opts: EngineOptions): ExecutionEngine {
  const codes = new Map<number, Code>();
  const replacements = new Map<number, Map<number, Executable>>();
  const machine = new Machine(opts.space, opts.registry, {
    codeOf(exe: Executable): Code {
      const c = codes.get(exe.uid);
      if (!c) throw new Error(`executable ${exe.spec.name} (uid ${exe.uid}) was not compiled by this interpreter`);
      return c;
    },
    replacementOf: (code, slot) => replacements.get(code.uid)?.get(slot),
  });

  return {
    name: 'interp',
    compile(spec: ExecutableSpec): Executable {
      const uid = opts.registry.allocateUid();
      codes.set(uid, decodeCode(uid, spec));
      const exe: Executable = {
        uid,
        engine: 'interp',
        spec,
        run: (state: RunState, r1: bigint | number, r2: bigint | number = 0) => machine.run(exe, state, r1, r2),
        runU32: (state: RunState, r1: number) => machine.runU32(exe, state, r1),
        replaceFunction(slot: number, replacement: Executable | null): void {
          if (!spec.program.functionEntries.includes(slot)) {
            throw new Error(`slot ${slot} of ${spec.name} is not a function entry`);
          }
          const table = replacements.get(uid) ?? new Map<number, Executable>();
          if (replacement) table.set(slot, replacement);
          else table.delete(slot);
          replacements.set(uid, table);
        },
      };
      opts.registry.register(exe);
      return exe;
    },
  };
}
