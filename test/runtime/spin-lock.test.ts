/** bpf_spin_lock / unlock: an engine that sets the lock word inline must do what the helpers do, faults included. */
import { describe, expect, it } from 'vitest';
import { encodeInstruction, type Instruction } from '../../src/isa/instruction.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { ENGINES } from '../../src/vm/engines.js';
import type { EngineName } from '../../src/vm/engine.js';
import { loadProgramSpec, xdpProgramSpec } from './specs.js';

type Target = 'stack' | 'context' | 'null' | 'stack-end';

/** Lock at the target, read the word into r6, unlock, return r6·16 + the word after unlocking. */
function program(target: Target) {
  const targets: Record<Target, Instruction[]> = {
    stack: [
      { kind: 'alu', bits: 64, op: 'mov', dst: 1, src: { reg: 10 } },
      { kind: 'alu', bits: 64, op: 'add', dst: 1, src: { imm: -8 } },
    ],
    'stack-end': [
      { kind: 'alu', bits: 64, op: 'mov', dst: 1, src: { reg: 10 } },
      { kind: 'alu', bits: 64, op: 'add', dst: 1, src: { imm: -2 } },
    ],
    context: [{ kind: 'alu', bits: 64, op: 'mov', dst: 1, src: { reg: 7 } }],
    null: [{ kind: 'alu', bits: 64, op: 'mov', dst: 1, src: { imm: 0 } }],
  };
  const at = targets[target];
  const i: Instruction[] = [
    { kind: 'alu', bits: 64, op: 'mov', dst: 7, src: { reg: 1 } },
    { kind: 'store', size: 8, base: 10, off: -8, value: { imm: 7 } },
    ...at,
    { kind: 'call', target: 'helper', imm: 93 },
    { kind: 'load', size: 4, signed: false, dst: 6, base: 10, off: -8 },
    ...at,
    { kind: 'call', target: 'helper', imm: 94 },
    { kind: 'load', size: 4, signed: false, dst: 0, base: 10, off: -8 },
    { kind: 'alu', bits: 64, op: 'lsh', dst: 6, src: { imm: 4 } },
    { kind: 'alu', bits: 64, op: 'add', dst: 0, src: { reg: 6 } },
    { kind: 'exit' },
  ];
  return xdpProgramSpec(
    'locks',
    i.flatMap((x) => encodeInstruction(x)),
  );
}

describe('spin locks', () => {
  it('record the lock state, and fault on words the program may not write, on every engine', () => {
    const outcome = (engine: EngineName, target: Target, repeat: number) => {
      const rt = new Runtime({ engine, possibleCpus: 1, statsTiming: false });
      try {
        const out = rt.testRun(loadProgramSpec(rt, program(target)), { data: new Uint8Array(64), repeat });
        return { retval: out.retval, fault: out.fault?.message.replace(/0x[0-9a-f]+/g, '0x…') };
      } catch (e) {
        return { error: String(e).replace(/0x[0-9a-f]+/g, '0x…') };
      }
    };
    for (const target of ['stack', 'context', 'null', 'stack-end'] as const) {
      for (const repeat of [1, 5]) {
        const reference = outcome('interp', target, repeat);
        for (const engine of Object.keys(ENGINES) as EngineName[])
          expect({ target, repeat, engine, ...outcome(engine, target, repeat) }).toEqual({ target, repeat, engine, ...reference });
      }
    }
    expect(outcome('wasm', 'stack', 1)).toEqual({ retval: 0x10 });
    expect(outcome('wasm', 'context', 1).fault).toMatch(
      /^program locks, instruction 3: bpf_spin_lock: write of 4 bytes: .*xdp_md context \(24 bytes, read-only\)/,
    );
  });
});
