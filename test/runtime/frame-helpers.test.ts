/**
 * The frame helpers at and past their limits: an engine that runs them inline must give the
 * helpers' answers (src/xdp/buffer.ts) — the reference interpreter always calls them.
 */
import { describe, expect, it } from 'vitest';
import { encodeInstruction, type Instruction } from '../../src/isa/instruction.js';
import { ipv4UdpFrame } from '../../src/packet/index.js';
import { Runtime } from '../../src/runtime/runtime.js';
import type { ProgramSpec } from '../../src/object-spec/program-spec.js';
import { ENGINES } from '../../src/vm/engines.js';
import { loadProgramSpec, xdpProgramSpec } from './specs.js';

const HELPERS = { adjust_head: 44, adjust_meta: 54, adjust_tail: 65, get_buff_len: 188 } as const;

/** r0 = helper(ctx, delta) · 31 + (data_end - data) + (data - data_meta) · 2^12: the result and where the frame now is. */
function program(helper: keyof typeof HELPERS, delta: number): ProgramSpec {
  const i: Instruction[] = [
    { kind: 'alu', bits: 64, op: 'mov', dst: 6, src: { reg: 1 } },
    { kind: 'alu', bits: 64, op: 'mov', dst: 2, src: { imm: delta } },
    { kind: 'call', target: 'helper', imm: HELPERS[helper] },
    { kind: 'alu', bits: 64, op: 'mov', dst: 7, src: { reg: 0 } },
    { kind: 'alu', bits: 64, op: 'mul', dst: 7, src: { imm: 31 } },
  ];
  i.push(
    { kind: 'load', size: 4, signed: false, dst: 2, base: 6, off: 0 },
    { kind: 'load', size: 4, signed: false, dst: 3, base: 6, off: 4 },
    { kind: 'load', size: 4, signed: false, dst: 4, base: 6, off: 8 },
    { kind: 'alu', bits: 64, op: 'sub', dst: 3, src: { reg: 2 } },
    { kind: 'alu', bits: 64, op: 'sub', dst: 2, src: { reg: 4 } },
    { kind: 'alu', bits: 64, op: 'lsh', dst: 2, src: { imm: 12 } },
    { kind: 'alu', bits: 64, op: 'add', dst: 7, src: { reg: 3 } },
    { kind: 'alu', bits: 64, op: 'add', dst: 7, src: { reg: 2 } },
    { kind: 'alu', bits: 64, op: 'mov', dst: 0, src: { reg: 7 } },
    { kind: 'exit' },
  );
  return xdpProgramSpec(
    `frame_${helper}`,
    i.flatMap((x) => encodeInstruction(x)),
  );
}

const CASES: [keyof typeof HELPERS, number[]][] = [
  // The test-run frame: data 256 bytes in, 60 bytes of packet; 40 bytes of descriptor, 320 of tailroom.
  ['adjust_head', [-217, -216, -215, -1, 0, 1, 45, 46, 47, 1000, -0x80000000, 0x7fffffff]],
  ['adjust_meta', [-4, -8, -3, -2, -216, -217, -212, 4, -252, -256, -32, -36]],
  ['adjust_tail', [-47, -46, -45, 100, 3459, 3460, 3461, 1, -1, 0x7fffffff, -0x80000000]],
  ['get_buff_len', [0]],
];

describe('frame helpers inline and through the host', () => {
  it.each(CASES)('%s gives the same answers, packet and context on every engine', (helper, deltas) => {
    const outcome = (engine: string, delta: number, withMeta: boolean, statsTiming: boolean) => {
      const rt = new Runtime({ engine: engine as 'wasm', possibleCpus: 1, statsTiming });
      const p = program(helper, delta);
      const prog = loadProgramSpec(rt, p);
      const data = ipv4UdpFrame();
      const out = rt.testRun(
        prog,
        withMeta ? { data: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, ...data]), ctx: { data: 8, dataEnd: data.length + 8 } } : { data, repeat: 3 },
      );
      return { retval: out.retval, dataOut: [...out.dataOut], ctxOut: out.ctxOut };
    };
    for (const delta of deltas) {
      for (const withMeta of [false, true]) {
        const reference = outcome('interp', delta, withMeta, true);
        for (const engine of Object.keys(ENGINES))
          for (const timing of [false, true]) expect({ delta, ...outcome(engine, delta, withMeta, timing) }).toEqual({ delta, ...reference });
      }
    }
  });
});
