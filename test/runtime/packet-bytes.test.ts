/** bpf_xdp_load_bytes / store_bytes: an engine that copies inline must give the helpers' answers and packets. */
import { describe, expect, it } from 'vitest';
import { encodeInstruction, type Instruction } from '../../src/isa/instruction.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { ENGINES } from '../../src/vm/engines.js';
import { XDP_MAX_LINEAR } from '../../src/xdp/constants.js';
import { outcomeOf, succeeded } from '../error-of.js';
import { loadProgramSpec, xdpProgramSpec } from './specs.js';

type Buffer = 'stack' | 'bad' | 'context';

/** r7 = load_bytes(ctx, from, buf, len); r0 = r7 · 2^8 + store_bytes(ctx, to, buf, len) (low bytes of each). */
function program(from: number, to: number, len: number, buffer: Buffer) {
  const buf: Instruction[] =
    buffer === 'stack'
      ? [
          { kind: 'alu', bits: 64, op: 'mov', dst: 3, src: { reg: 10 } },
          { kind: 'alu', bits: 64, op: 'add', dst: 3, src: { imm: -256 } },
        ]
      : buffer === 'bad'
        ? [{ kind: 'alu', bits: 64, op: 'mov', dst: 3, src: { imm: 16 } }]
        : [{ kind: 'alu', bits: 64, op: 'mov', dst: 3, src: { reg: 6 } }];
  const call = (at: number, id: number): Instruction[] => [
    { kind: 'alu', bits: 64, op: 'mov', dst: 1, src: { reg: 6 } },
    { kind: 'alu', bits: 64, op: 'mov', dst: 2, src: { imm: at } },
    ...buf,
    { kind: 'alu', bits: 64, op: 'mov', dst: 4, src: { imm: len } },
    { kind: 'call', target: 'helper', imm: id },
  ];
  const i: Instruction[] = [
    { kind: 'alu', bits: 64, op: 'mov', dst: 6, src: { reg: 1 } },
    ...call(from, 189),
    { kind: 'alu', bits: 64, op: 'mov', dst: 7, src: { reg: 0 } },
    { kind: 'alu', bits: 64, op: 'and', dst: 7, src: { imm: 0xff } },
    { kind: 'alu', bits: 64, op: 'lsh', dst: 7, src: { imm: 8 } },
    ...call(to, 190),
    { kind: 'alu', bits: 64, op: 'and', dst: 0, src: { imm: 0xff } },
    { kind: 'alu', bits: 64, op: 'or', dst: 0, src: { reg: 7 } },
    { kind: 'exit' },
  ];
  return xdpProgramSpec(
    'bytes',
    i.flatMap((x) => encodeInstruction(x)),
  );
}

describe('packet bytes helpers', () => {
  it('load and store the same bytes, with the same errors, on every engine (linear and fragmented frames)', () => {
    const cases: [number, number, number, Buffer][] = [];
    for (const len of [0, 1, 7, 64, 200, 0x10000]) {
      for (const [from, to] of [
        [0, 10],
        [14, 0],
        [50, 51],
        [90, 2],
        [0xffff, 0],
        [3, 0x10000],
      ])
        cases.push([from, to, len, 'stack']);
    }
    cases.push([0, 10, 8, 'bad'], [0, 10, 8, 'context']);
    const outcome = (engine: string, c: (typeof cases)[number], size: number) => {
      const rt = new Runtime({ engine: engine as 'wasm', possibleCpus: 1 });
      const data = Uint8Array.from({ length: size }, (_, i) => (i * 37 + 11) & 0xff);
      return outcomeOf(() => {
        const out = rt.testRun(loadProgramSpec(rt, program(...c)), { data });
        return { retval: out.retval, packet: [...out.dataOut] };
      });
    };
    const references: unknown[] = [];
    for (const size of [120, XDP_MAX_LINEAR + 200]) {
      for (const c of cases) {
        const reference = outcome('interp', c, size);
        references.push(reference);
        for (const engine of Object.keys(ENGINES)) expect({ c, size, ...outcome(engine, c, size) }).toEqual({ c, size, ...reference });
      }
    }
    expect(succeeded(references)).toBeGreaterThan(references.length / 2);
  });
});
