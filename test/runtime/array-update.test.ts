/** bpf_map_update_elem on arrays: an engine that copies inline must give the helper's answers and contents. */
import { describe, expect, it } from 'vitest';
import { encodeInstruction, type Instruction } from '../../src/isa/instruction.js';
import { PseudoLd } from '../../src/isa/opcodes.js';
import { ipv4UdpFrame } from '../../src/packet/index.js';
import { Runtime } from '../../src/runtime/runtime.js';
import type { MapSpec } from '../../src/object-spec/map-spec.js';
import { ENGINES } from '../../src/vm/engines.js';
import { outcomeOf, succeeded } from '../error-of.js';
import { loadProgramSpec, xdpProgramSpec } from './specs.js';

const arraySpec = (type: 'array' | 'percpu_array'): MapSpec => ({
  name: 'values',
  type,
  keySize: 4,
  valueSize: 12,
  maxEntries: 4,
  flags: 0,
  pinning: 'none',
  contents: [],
  frozen: false,
  keyTypeId: 0,
  valueTypeId: 0,
});

/** update(values, &key, value, flags) with the value 12 bytes on the stack (or a bad pointer); r0 is the result. */
function program(key: number, flags: bigint, badValue: boolean) {
  const i: Instruction[] = [
    { kind: 'store', size: 4, base: 10, off: -4, value: { imm: key } },
    { kind: 'store', size: 8, base: 10, off: -24, value: { imm: 0x11223344 } },
    { kind: 'store', size: 4, base: 10, off: -16, value: { imm: -0x55667788 } },
    { kind: 'ld_imm64', dst: 1, pseudo: PseudoLd.MAP_FD, imm: 0n },
    { kind: 'alu', bits: 64, op: 'mov', dst: 2, src: { reg: 10 } },
    { kind: 'alu', bits: 64, op: 'add', dst: 2, src: { imm: -4 } },
    badValue ? { kind: 'alu', bits: 64, op: 'mov', dst: 3, src: { imm: 16 } } : { kind: 'alu', bits: 64, op: 'mov', dst: 3, src: { reg: 10 } },
    { kind: 'alu', bits: 64, op: 'add', dst: 3, src: { imm: badValue ? 0 : -24 } },
    { kind: 'ld_imm64', dst: 4, pseudo: 0, imm: flags },
    { kind: 'call', target: 'helper', imm: 2 },
    { kind: 'exit' },
  ];
  return {
    ...xdpProgramSpec(
      'update',
      i.flatMap((x) => encodeInstruction(x)),
    ),
    references: [{ slot: 3, kind: 'map' as const, map: 'values' }],
  };
}

describe('array updates from programs', () => {
  it.each(['array', 'percpu_array'] as const)("%s: every engine gives the helper's result and leaves the same values", (type) => {
    const outcome = (engine: string, key: number, flags: bigint, badValue: boolean) => {
      const rt = new Runtime({ engine: engine as 'wasm', possibleCpus: 2, cpu: 1, statsTiming: false });
      const prog = loadProgramSpec(rt, program(key, flags, badValue), new Map([['values', arraySpec(type)]]));
      const retval = outcomeOf(() => rt.testRun(prog, { data: ipv4UdpFrame() }).retval);
      const map = rt.maps.all()[0];
      return { retval, values: [0, 1, 2, 3].map((k) => [...map.lookup(new Uint8Array([k, 0, 0, 0]))!]) };
    };
    const references: unknown[] = [];
    for (const key of [0, 3, 4, 0xffffffff]) {
      for (const flags of [0n, 1n, 2n, 3n, 4n, 5n, 1n << 32n]) {
        for (const badValue of [false, true]) {
          const reference = outcome('interp', key, flags, badValue);
          references.push(reference.retval);
          for (const engine of Object.keys(ENGINES))
            expect({ key, flags, badValue, ...outcome(engine, key, flags, badValue) }).toEqual({ key, flags, badValue, ...reference });
        }
      }
    }
    // Every run gives the helper's result (errors are return codes here, not thrown).
    expect(succeeded(references)).toBe(references.length);
  });

  it('a frozen array (.rodata, BPF_F_RDONLY_PROG) is never written by a program: every engine ends the run naming the map', () => {
    for (const engine of Object.keys(ENGINES)) {
      const rt = new Runtime({ engine: engine as 'wasm', statsTiming: false });
      const rodata: MapSpec = { ...arraySpec('array'), name: '.rodata', flags: 0x80, frozen: true, initialData: new Uint8Array(16).fill(7) };
      const prog = loadProgramSpec(
        rt,
        { ...program(0, 0n, false), references: [{ slot: 3, kind: 'map' as const, map: '.rodata' }] },
        new Map([['.rodata', rodata]]),
      );
      const out = rt.testRun(prog, { data: ipv4UdpFrame() });
      expect({ engine, retval: out.retval }).toEqual({ engine, retval: 0 });
      expect(out.fault?.message).toMatch(/map \.rodata .*read-only for programs/);
      expect([...rt.maps.all()[0].lookup(new Uint8Array(4))!]).toEqual(new Array(12).fill(7));
    }
  });
});
