/** The wasm engine's batch driver on its own: successors, counters, cursor, and resuming after a legacy load ends a program. */
import { describe, expect, it } from 'vitest';
import { decodeProgram } from '../../src/isa/program.js';
import type { RawInstruction } from '../../src/isa/raw.js';
import { AddressSpace } from '../../src/vm/address-space.js';
import { BATCH_SLOTS, COUNTER_BYTES, Cursor, type BatchLayout } from '../../src/vm/batch.js';
import { CodeRegistry } from '../../src/vm/engine.js';
import { helperTable } from '../../src/vm/helper.js';
import { RunState } from '../../src/vm/run-state.js';
import { createWasmEngine } from '../../src/vm/wasm/index.js';

const I = (opcode: number, dst = 0, src = 0, off = 0, imm = 0): RawInstruction => ({ opcode, dst, src, off, imm });
const EXIT = I(0x95);

describe('the wasm batch driver', () => {
  it('follows successors per return code, counts runs, and resumes a packet whose program a legacy load ended', () => {
    const space = new AddressSpace({ maxDataBytes: 1 << 20 });
    const engine = createWasmEngine({ space, registry: new CodeRegistry() });
    const layout: BatchLayout = {
      counters: space.allocPrivate(4 * COUNTER_BYTES, 'counters'),
      successors: space.allocPrivate(4 * BATCH_SLOTS * 4, 'successors'),
      cursor: space.allocPrivate(Cursor.size, 'cursor'),
      maxChain: 32,
    };
    const driver = engine.batchDriver!(layout);
    const compile = (name: string, insns: RawInstruction[]) => engine.compile({ name, program: decodeProgram(insns), helpers: helperTable([]) });
    // node 0: ldabsb 100; mov r0, 2; exit (a packet shorter than 101 bytes ends it with r0 = 0)
    driver.bind(0, compile('probe', [I(0x30, 0, 0, 0, 100), I(0xb7, 0, 0, 0, 2), EXIT]));
    // node 1: mov r0, 7; exit
    driver.bind(1, compile('seven', [I(0xb7, 0, 0, 0, 7), EXIT]));
    // after node 0 returns 0 (slot 1), node 1 runs
    space.dv.setInt32(layout.successors + 1 * 4, 2, true);

    const lengths = [200, 16, 200, 16, 16];
    const pkt = space.alloc(256, 'packet');
    const cursor = () => space.dv.getInt32(layout.cursor + Cursor.packet * 4, true);
    const state = new RunState({
      host: {
        get legacyPacket() {
          return { addr: pkt.addr, len: lengths[cursor()] };
        },
      },
    });
    const ctxList = space.allocPrivate(lengths.length * 4, 'contexts');
    const results = space.allocPrivate(lengths.length * 4, 'results');
    driver.run({ state, entry: 0, ctxList, ctxStride: 4, results, resultStride: 4, from: 0, count: lengths.length });

    expect(lengths.map((_, i) => space.dv.getUint32(results + i * 4, true))).toEqual([2, 7, 2, 7, 7]);
    const runs = (node: number) => space.dv.getFloat64(layout.counters + node * COUNTER_BYTES, true);
    expect([runs(0), runs(1)]).toEqual([5, 3]);
  });
});
