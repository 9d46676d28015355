import { XdpchainError } from '../../errors/index.js';
import type { RawInstruction } from '../../isa/raw.js';
import type { CoreRelocatable, CoreRelocation } from './relocation.js';
import { essentialName } from '../names.js';
import type { Btf } from '../types.js';
import { computeRelocation, type CoreValue } from './calc.js';
import { findCandidates, matchSpec } from './match.js';
import { patchInstruction } from './patch.js';
import { formatAccessSpec, parseAccessSpec, type AccessSpec } from './spec.js';
import { CoreProblem, describeType } from './types.js';
import { kindFamily } from './kinds.js';

/** The BTF relocations are computed against, and what to call it in messages. */
export interface CoreTarget {
  btf: Btf;
  /** e.g. `/sys/kernel/btf/vmlinux` or `bundled xdp-types.btf`. */
  name: string;
}

/** What became of one relocation. */
export interface CoreRelocationOutcome {
  /** Index in the program's relocation list (libbpf numbers relocations the same way in its log). */
  index: number;
  relocation: CoreRelocation;
  /** The access in the program's own BTF, e.g. `struct iphdr.saddr (0:9:0:0 @ offset 12)`. */
  local: string;
  /** The target's matching access, when one matched. */
  target?: string;
  /** The value patched in, unless poisoned. */
  value?: bigint;
  /** Why the instruction was poisoned. */
  poisoned?: string;
}

/** A program's instructions with every CO-RE relocation applied. */
export interface RelocatedProgram {
  instructions: RawInstruction[];
  outcomes: CoreRelocationOutcome[];
  /** The fault message of each poisoned slot: it names the relocation, for the run that reaches it. */
  poisoned: Map<number, string>;
}

/**
 * Apply a program's CO-RE relocations against a target BTF, as libbpf does at load: find the
 * target types with the root's essential name, match the access in each, require every match
 * to agree, and patch the instruction (or poison it when nothing matches and the kind has no
 * answer for "missing"). A relocation that cannot be applied at all fails the load (EINVAL).
 */
export function applyCoreRelocations(spec: CoreRelocatable, target: CoreTarget): RelocatedProgram {
  const instructions = spec.instructions.map((i) => ({ ...i }));
  const outcomes: CoreRelocationOutcome[] = [];
  const poisoned = new Map<number, string>();
  const relocations = spec.coreRelocations ?? [];
  if (relocations.length === 0) return { instructions, outcomes, poisoned };
  const local = spec.btf;
  if (!local) throw new XdpchainError('EINVAL', `program ${spec.name} has CO-RE relocations but no BTF to read them with`, { program: spec.name });
  /** Candidates per local root type, narrowed as relocations rule some out (libbpf's candidate cache). */
  const candidates = new Map<number, number[]>();

  relocations.forEach((relo, index) => {
    const head = `program ${spec.name}, instruction ${relo.slot}: CO-RE relocation #${index} (${relo.kind}) of ${describeType(local, relo.typeId)}, access "${relo.accessString}"`;
    let localText = describeType(local, relo.typeId);
    try {
      if (relo.slot < 0 || relo.slot >= instructions.length)
        throw new CoreProblem(`slot ${relo.slot} is outside the program's ${instructions.length} instructions`);
      const localSpec = parseAccessSpec(local, relo.typeId, relo.accessString, relo.kind);
      localText = formatAccessSpec(localSpec);
      const { value, targetSpec } = resolve(localSpec, relo, target, candidates);
      const result = patchInstruction(instructions, relo.slot, value);
      if (result.poisoned && value.poison) result.reason = missingReason(localSpec, target, candidates.get(relo.typeId) ?? []);
      const outcome: CoreRelocationOutcome = { index, relocation: relo, local: localText, ...(targetSpec ? { target: formatAccessSpec(targetSpec) } : {}) };
      if (result.poisoned) {
        outcome.poisoned = result.reason;
        poisoned.set(
          relo.slot,
          `CO-RE relocation #${index} (${relo.kind}) of ${localText}, access "${relo.accessString}", was not resolved against ${target.name}: ${result.reason}; the instruction was poisoned as libbpf poisons it (a call to invalid helper 0xbad2310), which the kernel's verifier refuses wherever it is reachable`,
        );
      } else {
        outcome.value = value.value;
      }
      outcomes.push(outcome);
    } catch (e) {
      if (!(e instanceof CoreProblem)) throw e;
      throw new XdpchainError(e.errno, `${head.replace(describeType(local, relo.typeId), localText)} against ${target.name}: ${e.message}`, {
        program: spec.name,
        insn: relo.slot,
        relocation: index,
        kind: relo.kind,
        accessString: relo.accessString,
      });
    }
  });
  return { instructions, outcomes, poisoned };
}

/** The value of one relocation against the target: every matching candidate must agree. */
function resolve(
  localSpec: AccessSpec,
  relo: CoreRelocation,
  target: CoreTarget,
  candidates: Map<number, number[]>,
): { value: CoreValue; targetSpec?: AccessSpec } {
  if (relo.kind === 'type_id_local') {
    // Type ids may be renumbered by linking, so the compiled value is not checked.
    const id = BigInt(relo.typeId);
    return { value: { original: id, value: id, poison: false, validate: false, originalSize: 0, newSize: 0, badSizeChange: false } };
  }
  const root = localSpec.btf.types[relo.typeId];
  if (!root?.name) throw new CoreProblem('the root type is anonymous, and candidates are found by name', 'EOPNOTSUPP');
  let cands = candidates.get(relo.typeId);
  if (!cands) {
    cands = findCandidates(localSpec.btf, relo.typeId, target.btf);
    candidates.set(relo.typeId, cands);
  }
  let chosen: { value: CoreValue; spec: AccessSpec } | undefined;
  const matched: number[] = [];
  for (const cand of cands) {
    const spec = matchSpec(localSpec, target.btf, cand);
    if (!spec) continue;
    const value = computeRelocation(relo.kind, localSpec, spec);
    if (!chosen) {
      chosen = { value, spec };
    } else if (spec.bitOffset !== chosen.spec.bitOffset) {
      throw new CoreProblem(`the target's candidates disagree on the field's offset: ${formatAccessSpec(chosen.spec)} and ${formatAccessSpec(spec)}`);
    } else if (value.poison !== chosen.value.poison || value.value !== chosen.value.value) {
      throw new CoreProblem(
        `the target's candidates disagree: ${formatAccessSpec(chosen.spec)} gives ${chosen.value.poison ? 'no value' : chosen.value.value}, ${formatAccessSpec(spec)} gives ${value.poison ? 'no value' : value.value}`,
      );
    }
    matched.push(cand);
  }
  if (!chosen) return { value: computeRelocation(relo.kind, localSpec, undefined) };
  candidates.set(relo.typeId, matched);
  return { value: chosen.value, targetSpec: chosen.spec };
}

/** Why nothing in the target matched: no type of that name, or none with that field or enumerator. */
function missingReason(local: AccessSpec, target: CoreTarget, candidates: readonly number[]): string {
  const root = local.btf.types[local.rootTypeId];
  const name = `${root?.kind ?? 'type'} ${essentialName(root?.name ?? '')}`;
  if (candidates.length === 0) return `${target.name} has no ${name}`;
  const found = candidates.map((id) => describeType(target.btf, id)).join(', ');
  const what = local.accessors
    .filter((a) => a.name)
    .map((a) => a.name)
    .join('.');
  return `${found} in ${target.name} has no ${kindFamily(local.kind) === 'enumval' ? 'enumerator' : 'compatible field'} ${what}`;
}
