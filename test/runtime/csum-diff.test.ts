/** bpf_csum_diff on packet bytes: an engine that sums inline must give the helper's answers. */
import { describe, expect, it } from 'vitest';
import { encodeInstruction, type Instruction } from '../../src/isa/instruction.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { ENGINES } from '../../src/vm/engines.js';
import { outcomeOf, succeeded } from '../error-of.js';
import { loadProgramSpec, xdpProgramSpec } from './specs.js';

/** r0 = bpf_csum_diff(data + fromOff or a bad pointer, fromSize, data + toOff, toSize, seed). */
function program(fromOff: number | 'bad', fromSize: number, toOff: number, toSize: number, seed: number) {
  const i: Instruction[] = [
    { kind: 'load', size: 4, signed: false, dst: 6, base: 1, off: 0 },
    fromOff === 'bad' ? { kind: 'alu', bits: 64, op: 'mov', dst: 1, src: { imm: 16 } } : { kind: 'alu', bits: 64, op: 'mov', dst: 1, src: { reg: 6 } },
    { kind: 'alu', bits: 64, op: 'add', dst: 1, src: { imm: fromOff === 'bad' ? 0 : fromOff } },
    { kind: 'alu', bits: 64, op: 'mov', dst: 2, src: { imm: fromSize } },
    { kind: 'alu', bits: 64, op: 'mov', dst: 3, src: { reg: 6 } },
    { kind: 'alu', bits: 64, op: 'add', dst: 3, src: { imm: toOff } },
    { kind: 'alu', bits: 64, op: 'mov', dst: 4, src: { imm: toSize } },
    { kind: 'alu', bits: 64, op: 'mov', dst: 5, src: { imm: seed } },
    { kind: 'call', target: 'helper', imm: 28 },
    { kind: 'exit' },
  ];
  return xdpProgramSpec(
    'csum',
    i.flatMap((x) => encodeInstruction(x)),
  );
}

describe('bpf_csum_diff', () => {
  it("gives the helper's sums for every size, seed and an unreadable range on every engine", () => {
    let seed = 12345;
    const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0);
    const data = Uint8Array.from({ length: 200 }, () => rand() & 0xff);
    data.fill(0, 100, 140); // a zero run: sums of 0 are special
    const cases: [number | 'bad', number, number, number, number][] = [];
    for (const fromSize of [0, 1, 3, 4, 7, 20, 64]) {
      for (const toSize of [0, 2, 4, 13, 40]) {
        for (const s of [0, 1, 0xffff, 0x12345678, -1]) cases.push([rand() % 90, fromSize, rand() % 90, toSize, s]);
      }
    }
    cases.push([100, 20, 104, 20, 0], [100, 8, 0, 0, 0], [0, 0, 100, 8, 0], ['bad', 8, 0, 4, 0], [0, 4, 300, 4, 0]);
    const outcome = (engine: string, c: (typeof cases)[number]) => {
      const rt = new Runtime({ engine: engine as 'wasm', possibleCpus: 1 });
      return outcomeOf(() => rt.testRun(loadProgramSpec(rt, program(...c)), { data }).retval);
    };
    const references: unknown[] = [];
    for (const c of cases) {
      const reference = outcome('interp', c);
      references.push(reference);
      for (const engine of Object.keys(ENGINES)) expect({ c, r: outcome(engine, c) }).toEqual({ c, r: reference });
    }
    // All but the few cases built to fail give a sum.
    expect(succeeded(references)).toBeGreaterThan(cases.length - 5);
  });
});
