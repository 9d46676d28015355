import { inlineTailCall } from '../../src/vm/wasm/inline-xdp.js';
import { describe, expect, it } from 'vitest';
import type { Instruction } from '../../src/isa/instruction.js';
import { RunState } from '../../src/vm/run-state.js';
import { engines } from './engines.js';
import { alu, call, exit, ja, jmp, lddw, load, mov32, mov64, store, testVm } from './program-helpers.js';

const INT32_MIN = -2147483648;
const U64 = (v: bigint) => BigInt.asUintN(64, v);

describe.each(engines)('instruction semantics on $name', ({ create }) => {
  const run = (insns: Instruction[], r1 = 0): bigint => testVm(create).compile(insns).run(new RunState(), r1);
  /** r0 = a (64-bit); r0 <op>= b; exit */
  const op64 = (op: Extract<Instruction, { kind: 'alu' }>['op'], a: bigint, b: bigint | number) =>
    run([lddw(0, a), ...(typeof b === 'number' ? [alu(64, op, 0, b)] : [lddw(1, b), alu(64, op, 0, { reg: 1 })]), exit]);
  const op32 = (op: Extract<Instruction, { kind: 'alu' }>['op'], a: bigint, b: bigint | number) =>
    run([lddw(0, a), ...(typeof b === 'number' ? [alu(32, op, 0, b)] : [lddw(1, b), alu(32, op, 0, { reg: 1 })]), exit]);

  describe('ALU', () => {
    it('masks shift counts to 31 and 63', () => {
      expect(op32('lsh', 1n, 33n)).toBe(2n);
      expect(op64('lsh', 1n, 65n)).toBe(2n);
      expect(op32('rsh', 0x80000000n, 63n)).toBe(1n);
      expect(op64('arsh', U64(-8n), 0x41n)).toBe(U64(-4n));
      expect(op32('arsh', 0x80000000n, 0x21n)).toBe(0xc0000000n);
    });

    it('zero-extends every 32-bit result', () => {
      expect(op32('add', 0xffffffffn, 1)).toBe(0n);
      expect(run([lddw(0, 0xdeadbeef00000000n), mov32(0, -1), exit])).toBe(0xffffffffn);
      expect(op32('sub', 0x1_0000_0000n, 1)).toBe(0xffffffffn);
      expect(op32('mul', 0x1_0000_0002n, 0x80000000n)).toBe(0n);
      expect(run([lddw(0, 0xffffffff_ffffffffn), { kind: 'alu', bits: 32, op: 'neg', dst: 0, src: { imm: 0 } }, exit])).toBe(1n);
    });

    it('sign-extends 32-bit immediates in 64-bit operations', () => {
      expect(op64('add', 0n, -1)).toBe(U64(-1n));
      expect(op64('and', U64(-1n), -2)).toBe(U64(-2n));
      expect(run([mov64(0, -5), exit])).toBe(U64(-5n));
    });

    it('handles INT_MIN / -1 and INT_MIN % -1 without trapping', () => {
      expect(run([mov32(0, INT32_MIN), alu(32, 'sdiv', 0, -1), exit])).toBe(0x80000000n);
      expect(run([mov32(0, INT32_MIN), alu(32, 'smod', 0, -1), exit])).toBe(0n);
      expect(op64('sdiv', 1n << 63n, -1)).toBe(1n << 63n);
      expect(op64('smod', 1n << 63n, U64(-1n))).toBe(0n);
      expect(op64('mul', 1n << 63n, U64(-1n))).toBe(1n << 63n);
    });

    it('divides by zero to 0 and leaves the dividend on modulo by zero', () => {
      for (const op of ['div', 'sdiv'] as const) {
        expect(op64(op, 77n, 0)).toBe(0n);
        expect(op64(op, 77n, 0n)).toBe(0n);
        expect(op32(op, 77n, 0)).toBe(0n);
        expect(op32(op, 77n, 0n)).toBe(0n);
      }
      for (const op of ['mod', 'smod'] as const) {
        expect(op64(op, U64(-77n), 0)).toBe(U64(-77n));
        expect(op64(op, U64(-77n), 0n)).toBe(U64(-77n));
        // 32-bit: the dividend's low half, zero-extended.
        expect(op32(op, 0x1_ffff_ffb3n, 0)).toBe(0xffffffb3n);
        expect(op32(op, 0x1_ffff_ffb3n, 0n)).toBe(0xffffffb3n);
      }
    });

    it("rounds signed division toward zero and gives the remainder the dividend's sign", () => {
      expect(op64('sdiv', U64(-7n), 2)).toBe(U64(-3n));
      expect(op64('smod', U64(-7n), 2)).toBe(U64(-1n));
      expect(op64('smod', 7n, -2)).toBe(1n);
      expect(op32('sdiv', 0xfffffff9n, 2)).toBe(0xfffffffdn);
      expect(op64('div', U64(-1n), 3)).toBe(U64(-1n) / 3n);
      expect(op64('mod', U64(-1n), 1000n)).toBe(U64(-1n) % 1000n);
    });

    it('sign-extends with movsx from 8, 16 and 32 bits', () => {
      const movsx = (bits: 32 | 64, from: 8 | 16 | 32, v: bigint) => run([lddw(1, v), alu(bits, 'movsx', 0, { reg: 1 }, from), exit]);
      expect(movsx(64, 8, 0x180n)).toBe(U64(-128n));
      expect(movsx(64, 16, 0x18000n)).toBe(U64(-32768n));
      expect(movsx(64, 32, 0x1_8000_0000n)).toBe(U64(-(2n ** 31n)));
      expect(movsx(32, 8, 0xffn)).toBe(0xffffffffn);
      expect(movsx(32, 16, 0x7fffn)).toBe(0x7fffn);
    });

    it('swaps bytes: le truncates, be and bswap reverse', () => {
      const v = 0x1122334455667788n;
      const e = (order: 'le' | 'be' | 'bswap', bits: 16 | 32 | 64) => run([lddw(0, v), { kind: 'endian', order, bits, dst: 0 }, exit]);
      expect(e('le', 16)).toBe(0x7788n);
      expect(e('le', 32)).toBe(0x55667788n);
      expect(e('le', 64)).toBe(v);
      expect(e('be', 16)).toBe(0x8877n);
      expect(e('be', 32)).toBe(0x88776655n);
      expect(e('be', 64)).toBe(0x8877665544332211n);
      expect(e('bswap', 16)).toBe(0x8877n);
      expect(e('bswap', 64)).toBe(0x8877665544332211n);
    });
  });

  describe('memory', () => {
    it('sign-extends loads of every width', () => {
      const prog = (size: 1 | 2 | 4) => [lddw(1, U64(-2n)), store(8, 10, -8, { reg: 1 }), load(size, 0, 10, -8, true), exit];
      expect(run(prog(1))).toBe(U64(-2n));
      expect(run(prog(2))).toBe(U64(-2n));
      expect(run(prog(4))).toBe(U64(-2n));
      expect(run([mov64(1, 0x80), store(1, 10, -1, { reg: 1 }), load(1, 0, 10, -1), exit])).toBe(0x80n);
    });

    it('does little-endian unaligned accesses', () => {
      expect(run([lddw(1, 0x0102030405060708n), store(8, 10, -9, { reg: 1 }), load(4, 0, 10, -7), exit])).toBe(0x03040506n);
    });

    it('returns the old value from fetching atomics, in 32 and 64 bits', () => {
      const atomic = (size: 4 | 8, op: 'add' | 'or' | 'and' | 'xor' | 'xchg', fetch: boolean): [bigint, bigint] => {
        const r0 = run([
          lddw(1, 0xf0f0f0f0_0000000fn),
          store(8, 10, -8, { reg: 1 }),
          mov64(2, 0x3c),
          { kind: 'atomic', size, op, fetch, base: 10, off: -8, src: 2 },
          load(8, 3, 10, -8), // the memory afterwards
          mov64(0, { reg: 2 }),
          alu(64, 'lsh', 0, 32),
          alu(64, 'rsh', 0, 32), // fetched value, low half
          exit,
        ]);
        const mem = run([
          lddw(1, 0xf0f0f0f0_0000000fn),
          store(8, 10, -8, { reg: 1 }),
          mov64(2, 0x3c),
          { kind: 'atomic', size, op, fetch, base: 10, off: -8, src: 2 },
          load(8, 0, 10, -8),
          exit,
        ]);
        return [r0, mem];
      };
      expect(atomic(8, 'add', true)).toEqual([0xfn, 0xf0f0f0f0_0000004bn]);
      expect(atomic(8, 'add', false)).toEqual([0x3cn, 0xf0f0f0f0_0000004bn]);
      expect(atomic(4, 'or', true)).toEqual([0xfn, 0xf0f0f0f0_0000003fn]);
      expect(atomic(4, 'and', true)).toEqual([0xfn, 0xf0f0f0f0_0000000cn]);
      expect(atomic(8, 'xor', true)).toEqual([0xfn, 0xf0f0f0f0_00000033n]);
      expect(atomic(4, 'xchg', true)).toEqual([0xfn, 0xf0f0f0f0_0000003cn]);
    });

    it('zero-extends the fetched value of 32-bit atomics', () => {
      expect(
        run([
          mov32(1, -1),
          store(4, 10, -4, { reg: 1 }),
          mov64(2, 1),
          { kind: 'atomic', size: 4, op: 'add', fetch: true, base: 10, off: -4, src: 2 },
          mov64(0, { reg: 2 }),
          exit,
        ]),
      ).toBe(0xffffffffn);
    });

    it('cmpxchg always loads the old value into r0 and stores only on a match', () => {
      const cas = (size: 4 | 8, expected: bigint) => [
        run([
          lddw(1, 0x1_0000_0005n),
          store(8, 10, -8, { reg: 1 }),
          lddw(0, expected),
          mov64(2, 9),
          { kind: 'atomic', size, op: 'cmpxchg', fetch: true, base: 10, off: -8, src: 2 },
          exit,
        ]),
        run([
          lddw(1, 0x1_0000_0005n),
          store(8, 10, -8, { reg: 1 }),
          lddw(0, expected),
          mov64(2, 9),
          { kind: 'atomic', size, op: 'cmpxchg', fetch: true, base: 10, off: -8, src: 2 },
          load(8, 0, 10, -8),
          exit,
        ]),
      ];
      expect(cas(8, 0x1_0000_0005n)).toEqual([0x1_0000_0005n, 9n]);
      expect(cas(8, 5n)).toEqual([0x1_0000_0005n, 0x1_0000_0005n]);
      // 32-bit compares only the low halves and zero-extends the old value.
      expect(cas(4, 0xffff_0000_0000_0005n)).toEqual([5n, 0x1_0000_0009n]);
      expect(cas(4, 6n)).toEqual([5n, 0x1_0000_0005n]);
    });
  });

  describe('control flow', () => {
    it('compares signed and unsigned, 32 and 64 bits', () => {
      const taken = (cond: Extract<Instruction, { kind: 'jump' }>['cond'], bits: 32 | 64, a: bigint, b: number) =>
        run([lddw(1, a), mov64(0, 0), jmp(cond, 1, b, 1, bits), exit, mov64(0, 1), exit]);
      expect(taken('jsgt', 64, U64(-1n), -2)).toBe(1n);
      expect(taken('jgt', 64, U64(-1n), -2)).toBe(1n);
      expect(taken('jgt', 64, 0xffff_fffen, -1)).toBe(0n);
      expect(taken('jlt', 32, 0x1_0000_0001n, 2)).toBe(1n);
      expect(taken('jslt', 32, 0xffff_ffffn, 0)).toBe(1n);
      expect(taken('jset', 64, 0x1_0000_0000n, 1)).toBe(0n);
      expect(taken('jset', 32, 0x1_0000_0002n, 2)).toBe(1n);
      expect(taken('jeq', 64, U64(-1n), -1)).toBe(1n);
      expect(taken('jeq', 32, 0x5_0000_0007n, 7)).toBe(1n);
    });

    it('jumps over 40000 instructions with a 32-bit ja', () => {
      const filler: Instruction[] = new Array(40_000).fill(mov64(0, 2));
      expect(run([mov64(0, 1), ja(40_000, 32), ...filler, exit])).toBe(1n);
    });

    it("preserves r6-r9 across local calls and lets callees use the caller's stack", () => {
      const vm = testVm(create);
      const exe = vm.compile([
        mov64(6, 6),
        mov64(9, 9),
        store(8, 10, -8, 40),
        mov64(1, { reg: 10 }),
        alu(64, 'add', 1, -8),
        call(3, 'local'),
        alu(64, 'add', 0, { reg: 6 }),
        alu(64, 'add', 0, { reg: 9 }),
        exit,
        // callee: clobbers r6/r9, reads the caller's slot through r1, uses its own stack
        mov64(6, 100),
        mov64(9, 100),
        load(8, 0, 1, 0),
        store(8, 10, -8, 2),
        load(8, 2, 10, -8),
        alu(64, 'add', 0, { reg: 2 }),
        exit,
      ]);
      expect(exe.run(new RunState(), 0)).toBe(40n + 2n + 6n + 9n);
    });

    it('calls through callx in both encodings (register in dst, or in imm as old LLVM did)', () => {
      const vm = testVm(create);
      const fnSlot = 6; // ld_imm64 covers slots 0-1
      for (const legacyImm of [false, true]) {
        const exe = vm.compile([
          { kind: 'ld_imm64', dst: 3, pseudo: 4, imm: BigInt(fnSlot - 1) },
          mov64(1, 20),
          { kind: 'callx', reg: 3, legacyImm },
          alu(64, 'add', 0, 1),
          exit,
          alu(64, 'mul', 1, 2),
          mov64(0, { reg: 1 }),
          exit,
        ]);
        expect(exe.run(new RunState(), 0)).toBe(41n);
      }
    });
  });

  describe('faults end the run with a typed error', () => {
    it('an out-of-bounds load names the instruction and the region', () => {
      const exe = testVm(create).compile([mov64(0, 0), load(8, 0, 10, -4), exit]);
      expect(() => exe.run(new RunState(), 0)).toThrow(
        expect.objectContaining({
          name: 'VmFault',
          kind: 'out-of-bounds',
          message: expect.stringMatching(/instruction 1: read of 8 bytes: .* runs 4 bytes past the end of stack/),
        }),
      );
    });

    it('an infinite loop ends with a budget fault', () => {
      const exe = testVm(create).compile([mov64(0, 0), alu(64, 'add', 0, 1), ja(-2), exit]);
      expect(() => exe.run(new RunState({ budget: 100_000 }), 0)).toThrow(
        expect.objectContaining({ kind: 'budget', message: expect.stringMatching(/budget of 100000 exhausted/) }),
      );
    });

    it('a call depth of 9 is refused, 8 is fine', () => {
      const chain = (frames: number): Instruction[] => {
        const insns: Instruction[] = [];
        for (let f = 1; f < frames; f++) insns.push(call(1, 'local'), exit);
        insns.push(mov64(0, 7), exit);
        return insns;
      };
      const vm = testVm(create);
      expect(vm.compile(chain(8)).run(new RunState(), 0)).toBe(7n);
      expect(() => vm.compile(chain(9)).run(new RunState(), 0)).toThrow(
        expect.objectContaining({ kind: 'call-depth', message: expect.stringMatching(/frame 9; at most 8/) }),
      );
    });

    it('a store into a read-only region is refused', () => {
      const vm = testVm(create);
      const ro = vm.space.alloc(8, 'map .rodata value', { readOnly: true });
      const exe = vm.compile([store(4, 1, 0, 1), exit]);
      expect(() => exe.run(new RunState(), ro.addr)).toThrow(
        expect.objectContaining({ kind: 'read-only', message: expect.stringMatching(/instruction 0: write of 4 bytes: .*map \.rodata value.*read-only/) }),
      );
      expect(vm.compile([load(4, 0, 1, 0), exit]).run(new RunState(), ro.addr)).toBe(0n);
    });

    it('callx to something that is not a function is refused', () => {
      const exe = testVm(create).compile([mov64(2, 0x1234), { kind: 'callx', reg: 2, legacyImm: false }, exit]);
      expect(() => exe.run(new RunState(), 0)).toThrow(
        expect.objectContaining({ kind: 'bad-call', message: expect.stringMatching(/callx through r2 = 0x1234/) }),
      );
    });
  });

  describe('tail calls', () => {
    it("allows 33 tail calls per run; the 34th falls through with the helper's result", () => {
      const vm = testVm(create);
      let counter = 0;
      const programs: ReturnType<typeof vm.compile>[] = [];
      const tail = { id: 12, name: 'bpf_tail_call', fn: () => -2, tailCall: () => programs[++counter], wasm: inlineTailCall };
      for (let i = 0; i < 40; i++) programs.push(vm.compile([mov64(6, i), call(12), mov64(0, { reg: 6 }), alu(64, 'lsh', 0, 8), exit], [tail], `p${i}`));
      counter = 0;
      const state = new RunState();
      // p0 tail-calls p1 ... p33; p33's attempt is refused, so p33 returns its own index.
      expect(programs[0].run(state, 0)).toBe(33n << 8n);
      expect(state.tailCalls).toBe(33);
    });
  });
});
