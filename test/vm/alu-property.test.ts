import { describe, expect, it } from 'vitest';
import type { AluOpName, Instruction } from '../../src/isa/instruction.js';
import { RunState } from '../../src/vm/run-state.js';
import { engines } from './engines.js';
import { alu, exit, lddw, testVm } from './program-helpers.js';

/** RFC 9669 semantics written directly with BigInt: the reference the engines must match. */
function reference(op: AluOpName, bits: 32 | 64, a: bigint, b: bigint): bigint {
  const w = BigInt(bits);
  const u = (v: bigint) => BigInt.asUintN(bits, v);
  const s = (v: bigint) => BigInt.asIntN(bits, v);
  const x = u(a);
  const y = u(b);
  const mask = bits === 32 ? 31n : 63n;
  let r: bigint;
  switch (op) {
    case 'add':
      r = x + y;
      break;
    case 'sub':
      r = x - y;
      break;
    case 'mul':
      r = x * y;
      break;
    case 'div':
      r = y === 0n ? 0n : x / y;
      break;
    case 'sdiv':
      r = y === 0n ? 0n : s(x) / s(y);
      break;
    case 'mod':
      r = y === 0n ? x : x % y;
      break;
    case 'smod':
      r = y === 0n ? x : s(x) % s(y);
      break;
    case 'or':
      r = x | y;
      break;
    case 'and':
      r = x & y;
      break;
    case 'xor':
      r = x ^ y;
      break;
    case 'lsh':
      r = x << (y & mask);
      break;
    case 'rsh':
      r = x >> (y & mask);
      break;
    case 'arsh':
      r = s(x) >> (y & mask);
      break;
    case 'neg':
      r = -x;
      break;
    case 'mov':
      r = y;
      break;
    default:
      throw new Error(op);
  }
  return BigInt.asUintN(64, u(r)) & ((1n << w) - 1n);
}

const OPS: AluOpName[] = ['add', 'sub', 'mul', 'div', 'sdiv', 'mod', 'smod', 'or', 'and', 'xor', 'lsh', 'rsh', 'arsh', 'neg', 'mov'];

describe.each(engines)('64-bit pair arithmetic agrees with BigInt on $name', ({ create }) => {
  it('for thousands of random operands across every ALU op, 32 and 64 bits, register and immediate', () => {
    let seed = 0x9e3779b9;
    const next = (): bigint => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      seed >>>= 0;
      return BigInt(seed);
    };
    const interesting = [0n, 1n, 2n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x1_0000_0000n, 1n << 63n, (1n << 64n) - 1n, 63n, 64n, 31n, 32n];
    const operand = (): bigint => {
      const pick = next() % 4n;
      if (pick === 0n) return interesting[Number(next() % BigInt(interesting.length))];
      if (pick === 1n) return next();
      return (next() << 32n) | next();
    };
    const vm = testVm(create);
    // Many cases per program, so the test stays fast: r0 accumulates a checksum of results.
    const cases: { op: AluOpName; bits: 32 | 64; a: bigint; b: bigint; imm: boolean }[] = [];
    for (let i = 0; i < 6000; i++) {
      const imm = next() % 3n === 0n;
      const b = imm ? BigInt.asIntN(32, operand()) : operand();
      cases.push({ op: OPS[Number(next() % BigInt(OPS.length))], bits: next() % 2n === 0n ? 32 : 64, a: operand(), b, imm });
    }
    for (let start = 0; start < cases.length; start += 200) {
      const batch = cases.slice(start, start + 200);
      for (const c of batch) {
        const insns: Instruction[] = [lddw(0, c.a)];
        if (c.op === 'neg') insns.push({ kind: 'alu', bits: c.bits, op: 'neg', dst: 0, src: { imm: 0 } });
        else if (c.imm) insns.push(alu(c.bits, c.op, 0, Number(c.b)));
        else insns.push(lddw(1, BigInt.asUintN(64, c.b)), alu(c.bits, c.op, 0, { reg: 1 }));
        insns.push(exit);
        const got = vm.compile(insns).run(new RunState(), 0);
        const b = c.imm ? BigInt.asUintN(64, c.b) : c.b;
        const want = reference(c.op, c.bits, c.a, c.bits === 32 ? b & 0xffffffffn : b);
        if (got !== want) expect({ ...c, got, want }).toEqual({ ...c, got: want, want });
      }
    }
  });
});
