/**
 * Access groups (src/vm/wasm/access-groups.ts): one range check for several accesses through a
 * base register must not change what a program does, nor where and how it faults. Random blocks
 * of loads and stores through pointers near the ends of their regions, run on every engine.
 */
import { describe, expect, it } from 'vitest';
import { encodeInstruction, type Instruction } from '../../src/isa/instruction.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { ENGINES } from '../../src/vm/engines.js';
import type { EngineName } from '../../src/vm/engine.js';
import { accessGroups } from '../../src/vm/wasm/access-groups.js';
import { loadProgramSpec, xdpProgramSpec } from '../runtime/specs.js';

let seed = 2024;
const random = (n: number): number => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % n;
const pick = <T>(xs: readonly T[]): T => xs[random(xs.length)];
const SIZES = [1, 2, 4, 8] as const;

/** r6 = ctx (24 bytes, read-only), r7 = data, r8 = r10 - 64, r9 = data_end; then random accesses and pointer moves, summed into r0. */
function randomProgram(length: number): Instruction[] {
  const i: Instruction[] = [
    { kind: 'alu', bits: 64, op: 'mov', dst: 6, src: { reg: 1 } },
    { kind: 'load', size: 4, signed: false, dst: 7, base: 1, off: 0 },
    { kind: 'load', size: 4, signed: false, dst: 9, base: 1, off: 4 },
    { kind: 'alu', bits: 64, op: 'mov', dst: 8, src: { reg: 10 } },
    { kind: 'alu', bits: 64, op: 'add', dst: 8, src: { imm: -64 } },
    { kind: 'alu', bits: 64, op: 'mov', dst: 0, src: { imm: 0 } },
  ];
  const offsets: Record<number, () => number> = {
    6: () => random(30) - 4,
    7: () => random(120) - 30,
    8: () => random(90) - 20,
    9: () => random(40) - 30,
  };
  for (let n = 0; n < length; n++) {
    const base = pick([6, 7, 8, 9, 7, 8]);
    const off = offsets[base]();
    const size = pick(SIZES);
    const roll = random(10);
    // No loads of the context's pointers: addresses differ between engines.
    if (roll < 4) i.push({ kind: 'load', size, signed: false, dst: pick([2, 3, 4]), base, off: base === 6 ? Math.max(off, 12) : off });
    else if (roll < 6) i.push({ kind: 'store', size, base, off, value: { imm: random(256) } });
    else if (roll < 7) i.push({ kind: 'store', size, base, off, value: { reg: pick([2, 3]) } });
    else if (roll < 8) i.push({ kind: 'alu', bits: 64, op: 'add', dst: base, src: { imm: random(17) - 8 } });
    else i.push({ kind: 'alu', bits: 64, op: 'add', dst: 0, src: { reg: pick([2, 3, 4]) } });
  }
  i.push({ kind: 'exit' });
  return i;
}

describe('access groups', () => {
  it('group accesses by base register until it changes, across loads, stores and pointer moves', () => {
    const code = (insns: Instruction[]) => {
      const raw = insns.flatMap((x) => encodeInstruction(x));
      return {
        op: Uint8Array.from(raw.map((r) => r.opcode)),
        dst: Uint8Array.from(raw.map((r) => r.dst)),
        src: Uint8Array.from(raw.map((r) => r.src)),
        off: Int32Array.from(raw.map((r) => r.off)),
        imm: Int32Array.from(raw.map((r) => r.imm)),
      };
    };
    const c = code([
      { kind: 'load', size: 4, signed: false, dst: 2, base: 7, off: 14 },
      { kind: 'load', size: 1, signed: false, dst: 3, base: 7, off: 23 },
      { kind: 'store', size: 2, base: 8, off: -2, value: { imm: 1 } },
      { kind: 'load', size: 4, signed: false, dst: 4, base: 7, off: 26 },
      { kind: 'alu', bits: 64, op: 'add', dst: 7, src: { imm: 4 } },
      { kind: 'load', size: 4, signed: false, dst: 4, base: 7, off: 0 },
      { kind: 'store', size: 8, base: 8, off: 8, value: { reg: 2 } },
      { kind: 'load', size: 8, signed: false, dst: 8, base: 8, off: 0 },
      { kind: 'load', size: 8, signed: false, dst: 2, base: 8, off: 0 },
    ]);
    const groups = accessGroups(c as never, [0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(groups.get(0)).toMatchObject({ base: 7, first: 0, members: [0, 1, 3], minOff: 14, maxEnd: 30, write: false });
    expect(groups.get(2)).toMatchObject({ base: 8, first: 2, members: [2, 6, 7], minOff: -2, maxEnd: 16, write: true });
    expect(groups.has(5)).toBe(false);
    expect(groups.has(8)).toBe(false);
  });

  it('leave every result, packet byte and fault as the reference engine has them', () => {
    let faults = 0;
    for (let p = 0; p < 250; p++) {
      const insns = randomProgram(6 + random(14));
      const spec = xdpProgramSpec(
        'access',
        insns.flatMap((x) => encodeInstruction(x)),
      );
      const outcome = (engine: EngineName) => {
        const rt = new Runtime({ engine, possibleCpus: 1, statsTiming: false });
        const out = rt.testRun(loadProgramSpec(rt, spec), { data: Uint8Array.from({ length: 80 }, (_, k) => k * 7), repeat: 2 });
        return { retval: out.retval, packet: [...out.dataOut], fault: out.fault?.message.replace(/0x[0-9a-f]+/g, '0x…') };
      };
      const reference = outcome('interp');
      if (reference.fault) faults++;
      for (const engine of Object.keys(ENGINES) as EngineName[]) expect({ p, engine, ...outcome(engine) }).toEqual({ p, engine, ...reference });
    }
    expect(faults).toBeGreaterThan(30);
    expect(faults).toBeLessThan(220);
  });
});
