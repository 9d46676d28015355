import { describe, expect, it } from 'vitest';
import { encodeInstruction, type Instruction } from '../../src/isa/instruction.js';
import { PseudoLd } from '../../src/isa/opcodes.js';
import { ipv4UdpFrame } from '../../src/packet/index.js';
import { Runtime } from '../../src/runtime/runtime.js';
import type { MapSpec } from '../../src/object-spec/map-spec.js';
import type { ProgramSpec } from '../../src/object-spec/program-spec.js';
import { engines } from '../vm/engines.js';
import { loadProgramSpec, xdpProgramSpec } from './specs.js';

const mapSpec = (name: string, over: Partial<MapSpec> = {}): MapSpec => ({
  name,
  type: 'array',
  keySize: 4,
  valueSize: 8,
  maxEntries: 1,
  flags: 0,
  pinning: 'none',
  contents: [],
  frozen: false,
  keyTypeId: 0,
  valueTypeId: 0,
  ...over,
});

/**
 * r0 = fn(21) where fn's address was stored into `where` and read back:
 *   `.data` global: direct value address; `ptrs` hash map: bpf_map_update/lookup.
 */
function program(where: 'global' | 'map'): ProgramSpec {
  const i: Instruction[] = [];
  const refs: ProgramSpec['references'] = [];
  const slot = () => i.reduce((n, x) => n + (x.kind === 'ld_imm64' ? 2 : 1), 0);
  if (where === 'global') {
    refs.push({ slot: slot(), kind: 'map-value', map: '.data', offset: 0 });
    i.push({ kind: 'ld_imm64', dst: 6, pseudo: PseudoLd.MAP_VALUE, imm: 0n });
  } else {
    // key 0 at r10-8, the pointer at r10-16, then update and look up the hash map
    i.push({ kind: 'store', size: 4, base: 10, off: -8, value: { imm: 0 } });
  }
  const fnLoad = slot();
  i.push({ kind: 'ld_imm64', dst: 2, pseudo: PseudoLd.FUNC, imm: 0n });
  if (where === 'global') {
    i.push({ kind: 'store', size: 8, base: 6, off: 0, value: { reg: 2 } }, { kind: 'load', size: 8, signed: false, dst: 3, base: 6, off: 0 });
  } else {
    i.push({ kind: 'store', size: 8, base: 10, off: -16, value: { reg: 2 } });
    refs.push({ slot: slot(), kind: 'map', map: 'ptrs' });
    i.push({ kind: 'ld_imm64', dst: 1, pseudo: PseudoLd.MAP_FD, imm: 0n });
    i.push({ kind: 'alu', bits: 64, op: 'mov', dst: 2, src: { reg: 10 } }, { kind: 'alu', bits: 64, op: 'add', dst: 2, src: { imm: -8 } });
    i.push({ kind: 'alu', bits: 64, op: 'mov', dst: 3, src: { reg: 10 } }, { kind: 'alu', bits: 64, op: 'add', dst: 3, src: { imm: -16 } });
    i.push({ kind: 'alu', bits: 64, op: 'mov', dst: 4, src: { imm: 0 } }, { kind: 'call', target: 'helper', imm: 2 });
    refs.push({ slot: slot(), kind: 'map', map: 'ptrs' });
    i.push({ kind: 'ld_imm64', dst: 1, pseudo: PseudoLd.MAP_FD, imm: 0n });
    i.push({ kind: 'alu', bits: 64, op: 'mov', dst: 2, src: { reg: 10 } }, { kind: 'alu', bits: 64, op: 'add', dst: 2, src: { imm: -8 } });
    i.push({ kind: 'call', target: 'helper', imm: 1 }, { kind: 'load', size: 8, signed: false, dst: 3, base: 0, off: 0 });
  }
  i.push({ kind: 'alu', bits: 64, op: 'mov', dst: 1, src: { imm: 21 } }, { kind: 'callx', reg: 3, legacyImm: false }, { kind: 'exit' });
  const fnSlot = slot();
  i.push({ kind: 'alu', bits: 64, op: 'mov', dst: 0, src: { reg: 1 } }, { kind: 'alu', bits: 64, op: 'mul', dst: 0, src: { imm: 2 } }, { kind: 'exit' });
  const raw = i.flatMap((x) => encodeInstruction(x));
  raw[fnLoad].imm = fnSlot - (fnLoad + 1);
  return { ...xdpProgramSpec(`callx_${where}`, raw), references: refs };
}

describe.each(engines)('callx through function pointers kept in memory on $name (DESIGN §5.5)', ({ name }) => {
  it.each(['global', 'map'] as const)('calls a function whose address was stored in %s data', (where) => {
    const rt = new Runtime({ engine: name as 'interp', possibleCpus: 1 });
    const maps = new Map([
      ['.data', mapSpec('.data', { initialData: new Uint8Array(8) })],
      ['ptrs', mapSpec('ptrs', { type: 'hash' })],
    ]);
    const p = program(where);
    expect(rt.testRun(loadProgramSpec(rt, p, maps), { data: ipv4UdpFrame() }).retval).toBe(42);
  });
});
