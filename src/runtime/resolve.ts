import { XdpchainError } from '../errors/index.js';
import { helperName } from '../isa/helper-names.js';
import type { LineInfo, ProgramSpec } from '../object-spec/program-spec.js';
import { decodeProgram, type DecodedProgram } from '../isa/program.js';
import { PseudoLd, LD_IMM64 } from '../isa/opcodes.js';
import { splitImm64, type RawInstruction } from '../isa/raw.js';
import type { BpfMap } from '../maps/map.js';
import { ArrayMap } from '../maps/array.js';
import type { SourceLocation } from '../vm/engine.js';
import type { HelperTable } from '../vm/helper.js';
import { kfuncMismatch, type KfuncTable } from '../helpers/kfunc.js';
import { isKsymFunction } from '../btf/query.js';

/** Helpers the kernel lets only GPL-compatible programs call. */
const GPL_ONLY_HELPERS = new Set([6, 25, 177, 204, 205, 206, 207]);
/** License strings the kernel treats as GPL-compatible (license_is_gpl_compatible). */
const GPL_COMPATIBLE = new Set(['GPL', 'GPL v2', 'GPL and additional rights', 'Dual BSD/GPL', 'Dual MIT/GPL', 'Dual MPL/GPL']);

/**
 * Turn a program's references into constants, as the kernel's verifier does with fds: map
 * references become map handles, global data becomes the address of the value plus offset.
 * Returns the decoded program and the ids of the maps it uses.
 */
export function resolveReferences(
  spec: ProgramSpec,
  mapsByName: ReadonlyMap<string, BpfMap>,
  kfuncs?: KfuncTable,
  boundIfindex?: number,
): { program: DecodedProgram; mapIds: number[] } {
  const insns: RawInstruction[] = spec.instructions.map((i) => ({ ...i }));
  const used = new Set<number>();
  const where = (slot: number) => `program ${spec.name}, instruction ${slot}`;
  for (const ref of spec.references) {
    if (ref.kind === 'kfunc') {
      insns[ref.slot] = { ...insns[ref.slot], imm: resolveKfunc(spec, ref.slot, ref.name, kfuncs, boundIfindex !== undefined) };
      continue;
    }
    if (ref.kind === 'ksym')
      throw new XdpchainError('EINVAL', `${where(ref.slot)}: refers to kernel symbol ${ref.name} (ksym), which xdpchain does not provide`, {
        program: spec.name,
        insn: ref.slot,
      });
    const map = mapsByName.get(ref.map);
    if (!map)
      throw new XdpchainError('EINVAL', `${where(ref.slot)}: refers to map ${ref.map}, which the collection does not have`, {
        program: spec.name,
        insn: ref.slot,
      });
    const insn = insns[ref.slot];
    if (!insn || insn.opcode !== LD_IMM64 || ref.slot + 1 >= insns.length)
      throw new XdpchainError('EINVAL', `${where(ref.slot)}: a map reference must be a ld_imm64`, { program: spec.name, insn: ref.slot });
    let value: number;
    if (ref.kind === 'map') value = map.handle;
    else {
      if (!(map instanceof ArrayMap))
        throw new XdpchainError('EINVAL', `${where(ref.slot)}: direct value access needs an array map, ${ref.map} is ${map.spec.type}`, { program: spec.name });
      if (ref.offset < 0 || ref.offset >= map.spec.valueSize)
        throw new XdpchainError('EINVAL', `${where(ref.slot)}: offset ${ref.offset} is outside ${ref.map}'s ${map.spec.valueSize}-byte value`, {
          program: spec.name,
        });
      value = map.valueAddress(0) + ref.offset;
    }
    const { lo, hi } = splitImm64(BigInt(value));
    insns[ref.slot] = { ...insn, src: PseudoLd.IMM, imm: lo };
    insns[ref.slot + 1] = { ...insns[ref.slot + 1], imm: hi };
    used.add(map.id);
  }
  for (const [i, insn] of insns.entries()) {
    if (insn.opcode === LD_IMM64 && (insn.src === PseudoLd.MAP_FD || insn.src === PseudoLd.MAP_VALUE)) {
      throw new XdpchainError('EINVAL', `${where(i)}: map reference without a relocation (was the object linked?)`, { program: spec.name, insn: i });
    }
  }
  return { program: decodeProgram(insns, { program: spec.name }), mapIds: [...used].sort((a, b) => a - b) };
}

/**
 * The id of kfunc `name` for the call at `slot`, as libbpf finds a `__ksym` function in the
 * kernel's BTF and the kernel checks the call against the function's prototype (and, for the
 * metadata kfuncs, that the program is bound to a device).
 */
function resolveKfunc(spec: ProgramSpec, slot: number, name: string, kfuncs: KfuncTable | undefined, deviceBound: boolean): number {
  const where = `program ${spec.name}, instruction ${slot}`;
  const k = kfuncs?.get(name);
  if (!k) {
    const ksym = spec.btf && isKsymFunction(spec.btf, name);
    const what = ksym
      ? `kernel function ${name} (kfunc), which xdpchain does not provide`
      : `function ${name}, which the object declares but does not define (link the object that defines it with xdpchain link)`;
    throw new XdpchainError('EINVAL', `${where}: calls ${what}`, { program: spec.name, insn: slot });
  }
  const mismatch = kfuncMismatch(spec.btf, name, k.prototype);
  if (mismatch)
    throw new XdpchainError('EINVAL', `${where}: kfunc ${name} does not match the kernel's prototype: ${mismatch}`, { program: spec.name, insn: slot });
  // libbpf checks the declaration against vmlinux before the kernel checks the binding.
  if (k.devBound && !deviceBound) {
    throw new XdpchainError(
      'EINVAL',
      `${where}: metadata kfuncs require device-bound program: ${name} answers what a device recorded about the frame, so the program must be loaded bound to one (ProgramSpec.ifindex with BPF_F_XDP_DEV_BOUND_ONLY, or prog load --dev-bound IFACE)`,
      { program: spec.name, insn: slot },
    );
  }
  return k.id;
}

/** Every helper the program calls must exist for its type and its license. */
export function checkHelpers(spec: ProgramSpec, program: DecodedProgram, helpers: HelperTable): void {
  const gpl = GPL_COMPATIBLE.has(spec.license);
  program.slots.forEach((insn, i) => {
    if (insn?.kind !== 'call' || insn.target !== 'helper') return;
    if (!helpers.has(insn.imm)) {
      throw new XdpchainError(
        'EINVAL',
        `program ${spec.name}, instruction ${i}: calls ${helperName(insn.imm)} (helper ${insn.imm}), which is not available to ${spec.type} programs in xdpchain`,
        { program: spec.name, insn: i, helper: insn.imm },
      );
    }
    if (GPL_ONLY_HELPERS.has(insn.imm) && !gpl) {
      throw new XdpchainError(
        'EINVAL',
        `program ${spec.name}, instruction ${i}: cannot call GPL-restricted ${helperName(insn.imm)} from a program with license "${spec.license}"`,
        { program: spec.name, insn: i },
      );
    }
  });
}

/** Source line of a slot: the last line-info record at or before it. */
export function sourceLocator(lines: readonly LineInfo[]): ((insn: number) => SourceLocation | undefined) | undefined {
  if (lines.length === 0) return undefined;
  return (insn) => {
    let lo = 0;
    let hi = lines.length - 1;
    let best: LineInfo | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (lines[mid].slot <= insn) {
        best = lines[mid];
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return best && { file: best.file, line: best.line, column: best.column, text: best.text };
  };
}
