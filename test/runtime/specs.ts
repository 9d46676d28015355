/** Hand-built XDP program specs for runtime tests. */
import { encodeInstruction, type Instruction } from '../../src/isa/instruction.js';
import { PseudoLd } from '../../src/isa/opcodes.js';
import type { RawInstruction } from '../../src/isa/raw.js';
import type { Program } from '../../src/runtime/program.js';
import type { Runtime } from '../../src/runtime/runtime.js';
import type { MapSpec } from '../../src/object-spec/map-spec.js';
import type { ProgramSpec } from '../../src/object-spec/program-spec.js';

/** An XDP program (section `xdp`, GPL) of these instructions and nothing else. */
export function xdpProgramSpec(name: string, instructions: RawInstruction[]): ProgramSpec {
  return {
    name,
    sectionName: 'xdp',
    type: 'xdp',
    attachType: 'xdp',
    flags: 0,
    license: 'GPL',
    kernelVersion: 0,
    instructions,
    references: [],
    funcInfo: [],
    lineInfo: [],
    warnings: [],
  };
}

/** A tiny XDP program returning `ret` (any value, 32..63 included). */
export function returning(name: string, ret: number): ProgramSpec {
  return xdpProgramSpec(name, [...encodeInstruction({ kind: 'alu', bits: 64, op: 'mov', dst: 0, src: { imm: ret } }), ...encodeInstruction({ kind: 'exit' })]);
}

/**
 * The end of a lookup test program, with r2 pointing at the key: r0 = the first u32 of the value
 * `bpf_map_lookup_elem` finds in the map referenced by its first instruction, or 0xdead.
 */
export function lookupReturningValue(): Instruction[] {
  return [
    { kind: 'ld_imm64', dst: 1, pseudo: PseudoLd.MAP_FD, imm: 0n },
    { kind: 'call', target: 'helper', imm: 1 },
    { kind: 'jump', bits: 64, cond: 'jne', dst: 0, src: { imm: 0 }, offset: 2 },
    { kind: 'alu', bits: 64, op: 'mov', dst: 0, src: { imm: 0xdead } },
    { kind: 'exit' },
    { kind: 'load', size: 4, signed: false, dst: 0, base: 0, off: 0 },
    { kind: 'exit' },
  ];
}

/** Load one program spec (and the maps it names) as its own collection. */
export function loadProgramSpec(rt: Runtime, p: ProgramSpec, maps: Map<string, MapSpec> = new Map()): Program {
  return rt.loadCollection({ programs: new Map([[p.name, p]]), maps, license: 'GPL' }).program(p.name);
}
