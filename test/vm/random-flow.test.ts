/**
 * Control flow of compiled programs (src/vm/wasm/function-gen.ts over emit/structure.ts): random
 * programs with forward and backward jumps anywhere, so loops, loops with several exits and
 * irreducible flow (jumps into the middle of loops) all occur, run with a small instruction
 * budget on every engine, alone and compiled into a batch graph: results and faults must agree.
 */
import { describe, expect, it } from 'vitest';
import { encodeInstruction, type Instruction, type JumpCond } from '../../src/isa/instruction.js';
import { Runtime } from '../../src/runtime/runtime.js';
import type { EngineName } from '../../src/vm/engine.js';
import { ENGINES } from '../../src/vm/engines.js';
import { functionBlocks, isJump, jumpTargetOf, nextSlot } from '../../src/vm/wasm/cfg.js';
import { analyseFlow, type FlowBlock } from '../../src/vm/wasm/emit/structure.js';
import { loadProgramSpec, xdpProgramSpec } from '../runtime/specs.js';

function rng(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s >>> 8) % n;
  };
}

const CONDS: JumpCond[] = ['jeq', 'jgt', 'jge', 'jset', 'jne', 'jsgt', 'jsge', 'jlt', 'jle', 'jslt', 'jsle'];
const ALU = ['add', 'sub', 'xor', 'mul', 'and', 'or', 'lsh', 'rsh', 'mov'] as const;
const REGS = [0, 3, 4, 5, 6];

/** r3..r5 = packet bytes 0..2, then random ALU work, stack traffic and jumps to any slot of the body. */
function randomProgram(random: (n: number) => number): Instruction[] {
  const head: Instruction[] = [
    { kind: 'load', size: 4, signed: false, dst: 2, base: 1, off: 0 },
    { kind: 'load', size: 1, signed: false, dst: 3, base: 2, off: 0 },
    { kind: 'load', size: 1, signed: false, dst: 4, base: 2, off: 1 },
    { kind: 'load', size: 1, signed: false, dst: 5, base: 2, off: 2 },
    { kind: 'alu', bits: 64, op: 'mov', dst: 0, src: { imm: 0 } },
    { kind: 'alu', bits: 64, op: 'mov', dst: 6, src: { imm: 1 } },
  ];
  const length = 8 + random(30);
  const body: ((at: number) => Instruction)[] = [];
  for (let n = 0; n < length; n++) {
    const roll = random(20);
    const reg = (): number => REGS[random(REGS.length)];
    if (roll < 9) {
      const op = ALU[random(ALU.length)];
      const dst = reg();
      const src = random(2) ? { reg: reg() } : { imm: op === 'lsh' || op === 'rsh' ? random(8) : random(40) - 10 };
      body.push(() => ({ kind: 'alu', bits: random(3) ? 64 : 32, op, dst, src }));
    } else if (roll < 15) {
      const to = random(length + 1);
      const cond = CONDS[random(CONDS.length)];
      const dst = reg();
      const src = random(2) ? { reg: reg() } : { imm: random(20) - 5 };
      const bits = random(2) ? 64 : 32;
      body.push((at) => ({ kind: 'jump', bits, cond, dst, src, offset: to - at - 1 }));
    } else if (roll < 16) {
      const to = random(length + 1);
      body.push((at) => ({ kind: 'jump', bits: 64, cond: 'ja', dst: 0, src: { imm: 0 }, offset: to - at - 1 }));
    } else if (roll < 18) {
      const r = reg();
      body.push(() => ({ kind: 'store', size: 8, base: 10, off: -8, value: { reg: r } }));
    } else if (roll < 19) {
      const r = reg();
      body.push(() => ({ kind: 'load', size: 8, signed: false, dst: r, base: 10, off: -8 }));
    } else {
      body.push(() => ({ kind: 'exit' }));
    }
  }
  // Offsets are relative, so the head before the body moves no target.
  return [...head, ...body.map((f, at) => f(at)), { kind: 'exit' }];
}

/** Whether the program's flow is reducible, and whether it loops, as the wasm engine sees it. */
function shapeOf(insns: Instruction[]): { reducible: boolean; loops: boolean } {
  const raw = insns.flatMap((x) => encodeInstruction(x));
  const code = {
    op: Uint8Array.from(raw.map((r) => r.opcode)),
    dst: Uint8Array.from(raw.map((r) => r.dst)),
    src: Uint8Array.from(raw.map((r) => r.src)),
    off: Int32Array.from(raw.map((r) => r.off)),
    imm: Int32Array.from(raw.map((r) => r.imm)),
    helpers: [],
  } as never;
  const flow = new Map<number, FlowBlock>();
  for (const b of functionBlocks(code, 0).values()) {
    const last = b.slots[b.slots.length - 1];
    const op = (code as { op: Uint8Array }).op[last];
    const branches =
      op === 0x95
        ? []
        : isJump(op)
          ? [
              { cond: null, to: jumpTargetOf(code, last) },
              { cond: null, to: last + 1 },
            ]
          : [{ cond: null, to: nextSlot(code, last) }];
    flow.set(b.start, { code: [], branches: op === 0x05 ? branches.slice(0, 1) : branches });
  }
  const shape = analyseFlow(flow, 0);
  return { reducible: shape.reducible, loops: shape.loopHeader.some((x) => x === 1) };
}

describe('random control flow', () => {
  it('gives every result and budget fault the reference engine gives, alone and in a batch graph', () => {
    const random = rng(99);
    let irreducible = 0;
    let loops = 0;
    let faults = 0;
    for (let p = 0; p < 200; p++) {
      const insns = randomProgram(random);
      const shape = shapeOf(insns);
      if (!shape.reducible) irreducible++;
      else if (shape.loops) loops++;
      const spec = xdpProgramSpec(
        'flow',
        insns.flatMap((x) => encodeInstruction(x)),
      );
      const data = Uint8Array.from({ length: 64 }, () => random(256));
      const outcome = (engine: EngineName, graphAfterPackets?: number) => {
        const rt = new Runtime({ engine, possibleCpus: 1, statsTiming: false, graphAfterPackets });
        const out = rt.testRun(loadProgramSpec(rt, spec), { data, repeat: 2, budget: 2000 });
        // The wasm engine charges a block's budget when it enters the block, so it names the block's first instruction.
        return { retval: out.retval, fault: out.fault?.message.replace(/instruction \d+: instruction budget/, 'instruction …: instruction budget') };
      };
      const reference = outcome('interp');
      if (reference.fault) faults++;
      for (const engine of Object.keys(ENGINES) as EngineName[]) {
        expect({ p, engine, ...outcome(engine) }).toEqual({ p, engine, ...reference });
        expect({ p, engine, graph: true, ...outcome(engine, 0) }).toEqual({ p, engine, graph: true, ...reference });
      }
    }
    expect(irreducible).toBeGreaterThan(10);
    expect(loops).toBeGreaterThan(10);
    expect(faults).toBeGreaterThan(10);
  });
});
