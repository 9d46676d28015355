import { applyCoreRelocations, POISON_HELPER_ID } from '../btf/core/index.js';
import type { Btf } from '../btf/types.js';
import type { ProgramSpec } from '../object-spec/program-spec.js';
import type { HelperTable } from '../vm/helper.js';

/** A program ready to resolve: its CO-RE relocations applied, and what its poisoned slots fault with. */
export interface CoreRelocated {
  spec: ProgramSpec;
  poisoned: ReadonlyMap<number, string>;
}

/**
 * Apply a program's CO-RE relocations (none: the spec as it is). The target BTF is asked for only
 * when there are relocations, so programs without them never read the kernel's BTF.
 */
export function relocateProgram(spec: ProgramSpec, kernelBtf: () => Btf): CoreRelocated {
  if (!spec.coreRelocations?.length) return { spec, poisoned: new Map() };
  const target = kernelBtf();
  const r = applyCoreRelocations(spec, { btf: target, name: target.source ?? 'the target BTF' });
  return { spec: { ...spec, instructions: r.instructions }, poisoned: r.poisoned };
}

/**
 * The helper table of a program with poisoned instructions: the invalid helper they call exists
 * for it alone and ends the run with the message of the relocation at the calling slot, so the
 * program loads and faults only where a poisoned instruction is reached.
 */
export function withPoisonHelper(helpers: HelperTable, poisoned: ReadonlyMap<number, string>): HelperTable {
  if (poisoned.size === 0) return helpers;
  const table = new Map(helpers);
  table.set(POISON_HELPER_ID, {
    id: POISON_HELPER_ID,
    // The kernel's verifier calls it "unknown#195896080" when it refuses a reachable one.
    name: `unknown#${POISON_HELPER_ID}`,
    fn: (call) => call.fault(poisoned.get(call.insn) ?? 'poisoned CO-RE relocation'),
  });
  return table;
}
