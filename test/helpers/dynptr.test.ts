/**
 * Corner cases of XDP dynptrs that compiled programs (test/differential, dynptr-* scenarios) do
 * not reach: the layout of the 16 bytes, dynptrs a program damaged, and buffers it may not use.
 */
import { describe, expect, it } from 'vitest';
import { BPF_DYNPTR_TYPE_XDP, decodeDynptr, encodeDynptr } from '../../src/helpers/dynptr.js';
import { encodeInstruction, type Instruction } from '../../src/isa/instruction.js';
import { Runtime } from '../../src/runtime/runtime.js';
import type { ProgramReference } from '../../src/object-spec/program-spec.js';
import { ENGINES } from '../../src/vm/engines.js';
import { loadProgramSpec, xdpProgramSpec } from '../runtime/specs.js';

const mov = (dst: number, src: number | { reg: number }): Instruction => ({
  kind: 'alu',
  bits: 64,
  op: 'mov',
  dst,
  src: typeof src === 'number' ? { imm: src } : src,
});
const add = (dst: number, imm: number): Instruction => ({ kind: 'alu', bits: 64, op: 'add', dst, src: { imm } });
const stackPtr = (dst: number, off: number): Instruction[] => [mov(dst, { reg: 10 }), add(dst, off)];

/** A program from instructions and kfunc calls by name (`name` in place of an instruction). */
function build(parts: (Instruction | string)[]): { instructions: Instruction[]; references: ProgramReference[] } {
  const instructions: Instruction[] = [];
  const references: ProgramReference[] = [];
  let slot = 0;
  for (const p of parts) {
    if (typeof p === 'string') {
      references.push({ slot, kind: 'kfunc', name: p });
      instructions.push({ kind: 'call', target: 'kfunc', imm: 0 });
    } else instructions.push(p);
    slot += typeof p !== 'string' && p.kind === 'ld_imm64' ? 2 : 1;
  }
  return { instructions, references };
}

/** Make a dynptr at r10-16 from the context, run `between`, then slice 8 bytes at 0 into the buffer `r3` points to. */
function sliceAfter(between: Instruction[], buffer: Instruction[] = stackPtr(3, -32), fromCtx: Instruction[] = [mov(1, { reg: 6 })]): (Instruction | string)[] {
  return [
    mov(6, { reg: 1 }),
    ...fromCtx,
    mov(2, 0),
    ...stackPtr(3, -16),
    'bpf_dynptr_from_xdp',
    ...between,
    ...stackPtr(1, -16),
    mov(2, 0),
    ...buffer,
    mov(4, 8),
    'bpf_dynptr_slice',
    mov(0, 2),
    { kind: 'exit' },
  ];
}

function run(engine: string, parts: (Instruction | string)[], size = 100) {
  const rt = new Runtime({ engine: engine as 'wasm', possibleCpus: 1 });
  const { instructions, references } = build(parts);
  const spec = {
    ...xdpProgramSpec(
      'dynptr_case',
      instructions.flatMap((i) => encodeInstruction(i)),
    ),
    references,
  };
  return rt.testRun(loadProgramSpec(rt, spec), { data: new Uint8Array(size) });
}

describe('the 16 bytes of an XDP dynptr', () => {
  it("holds the kernel's bpf_dynptr_kern: data, size | type << 28 | rdonly << 31, offset", () => {
    const bytes = encodeDynptr({ data: 0x12345678, size: 3600, offset: 14, type: BPF_DYNPTR_TYPE_XDP, rdonly: true });
    const dv = new DataView(bytes.buffer);
    expect(dv.getBigUint64(0, true)).toBe(0x12345678n);
    expect(dv.getUint32(8, true)).toBe((3600 | (4 << 28) | 0x80000000) >>> 0);
    expect(dv.getUint32(12, true)).toBe(14);
    expect(decodeDynptr(bytes)).toEqual({ fields: { data: 0x12345678, size: 3600, offset: 14, type: 4, rdonly: true }, dataHigh: 0 });
    expect([...encodeDynptr(null)]).toEqual(new Array(16).fill(0));
  });
});

describe.each(Object.keys(ENGINES))('dynptrs a program damaged or misuses (%s)', (engine) => {
  it('slices a dynptr it made (the baseline of the cases below)', () => {
    const out = run(engine, sliceAfter([]));
    expect(out.fault).toBeUndefined();
    expect(out.retval).toBe(2);
  });

  it('faults on a dynptr whose data the program overwrote, naming the kfunc', () => {
    const out = run(engine, sliceAfter([{ kind: 'store', size: 4, base: 10, off: -16, value: { imm: 0x1234 } }]));
    expect(out.retval).toBe(0);
    expect(out.fault?.message).toMatch(/bpf_dynptr_slice: the dynptr at 0x[0-9a-f]+ points to 0x1234, not to this run's context/);
  });

  it('faults on a dynptr whose type the program overwrote', () => {
    const out = run(engine, sliceAfter([{ kind: 'store', size: 1, base: 10, off: -5, value: { imm: 0x10 } }]));
    expect(out.fault?.message).toMatch(/bpf_dynptr_slice: the dynptr at 0x[0-9a-f]+ has type 1, not BPF_DYNPTR_TYPE_XDP \(4\)/);
  });

  it('treats 16 zero bytes as the null dynptr: the slice is NULL, no fault', () => {
    const zero = [-16, -8].map((off): Instruction => ({ kind: 'store', size: 8, base: 10, off, value: { imm: 0 } }));
    const parts = sliceAfter(zero);
    parts.splice(parts.length - 2, 1, mov(7, { reg: 0 }), mov(0, { reg: 7 }));
    const out = run(engine, parts);
    expect(out.fault).toBeUndefined();
    expect(out.retval).toBe(0);
  });

  it('faults when bpf_dynptr_from_xdp is not given the context', () => {
    const out = run(engine, sliceAfter([], stackPtr(3, -32), stackPtr(1, -64)));
    expect(out.fault?.message).toMatch(/bpf_dynptr_from_xdp: argument 1 is not the program's context/);
  });

  it('faults when a slice must be copied into a buffer the program may not write (the read-only context)', () => {
    const inFrame = run(engine, sliceAfter([], [mov(3, { reg: 6 })]));
    expect(inFrame.fault).toBeUndefined();
    const across = run(engine, sliceAfter([], [mov(3, { reg: 6 })]), 3524);
    expect(across.fault).toBeUndefined();
    const parts = sliceAfter([], [mov(3, { reg: 6 })]);
    parts.splice(parts.indexOf('bpf_dynptr_slice') - 3, 1, mov(2, 3516));
    const copied = run(engine, parts, 3600);
    expect(copied.fault?.message).toMatch(/bpf_dynptr_slice.*write of 8 bytes.*read-only/);
  });
});
