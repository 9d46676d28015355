import { describe, expect, it } from 'vitest';
import { encodeInstruction, type Instruction } from '../../src/isa/instruction.js';
import { decodeProgram } from '../../src/isa/program.js';
import { ipv4UdpFrame } from '../../src/packet/index.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { XdpAction } from '../../src/xdp/constants.js';
import { dispatcherProgram, slotFunction } from '../../src/xdp/dispatcher/program.js';
import { engines } from '../vm/engines.js';

const returns = (v: number): Instruction[] => [{ kind: 'alu', bits: 64, op: 'mov', dst: 0, src: { imm: v } }, { kind: 'exit' }];

describe.each(engines)('generated dispatcher bytecode on $name', ({ name }) => {
  /** A dispatcher with the given slot masks whose slot k returns rets[k] (as freplace would make it). */
  function run(rets: number[], masks: number[], slots = 10): number {
    const rt = new Runtime({ engine: name as 'interp', possibleCpus: 1 });
    const { program, config } = dispatcherProgram(slots, { enabled: rets.length, chainCallActions: masks, runPriorities: [], programFlags: [], frags: false });
    const coll = rt.loadCollection({ programs: new Map([[program.name, program]]), maps: new Map([[config.name, config]]), license: 'GPL' });
    const disp = coll.program(program.name);
    rets.forEach((r, k) => {
      const comp = rt.engine.compile({ name: `c${k}`, program: decodeProgram(returns(r).flatMap((i) => encodeInstruction(i))), helpers: rt.helpers });
      const slot = program.funcInfo.find((f) => f.name === slotFunction(k))!.slot;
      disp.executable.replaceFunction(slot, comp);
    });
    return rt.testRun(disp, { data: ipv4UdpFrame() }).retval;
  }
  const PASS = 1 << XdpAction.PASS;

  it('returns XDP_PASS when every slot continues, and stops at the first verdict outside its mask', () => {
    expect(run([XdpAction.PASS, XdpAction.PASS], [PASS, PASS])).toBe(XdpAction.PASS);
    expect(run([XdpAction.DROP, XdpAction.TX], [PASS, PASS])).toBe(XdpAction.DROP);
    expect(run([XdpAction.DROP, XdpAction.TX], [PASS | (1 << XdpAction.DROP), PASS])).toBe(XdpAction.TX);
    expect(run([XdpAction.TX, XdpAction.DROP], [1 << XdpAction.TX, 1 << XdpAction.DROP])).toBe(XdpAction.PASS);
  });

  it('stops on return values 32..63 and continues past a slot returning 31 (an emptied slot)', () => {
    expect(run([32, XdpAction.DROP], [0xffffffff, 0xffffffff])).toBe(32);
    expect(run([63, XdpAction.DROP], [0xffffffff, 0xffffffff])).toBe(63);
    expect(run([31, XdpAction.DROP], [0, 0])).toBe(XdpAction.DROP);
  });

  it('runs only the enabled slots', () => {
    expect(run([], [])).toBe(XdpAction.PASS);
    expect(run([XdpAction.DROP], [PASS], 3)).toBe(XdpAction.DROP);
  });
});
