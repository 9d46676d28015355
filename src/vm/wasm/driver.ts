import { BATCH_SLOTS, COUNTER_BYTES, Cursor, type BatchLayout } from '../batch.js';
import { Scratch } from './abi.js';
import { binaryen as loadedBinaryen } from './binaryen.js';

/** Parameters of the driver's `batch` export, in order. */
const P = { entry: 0, ctxList: 1, ctxStride: 2, results: 3, resultStride: 4, from: 5, count: 6, budget: 7, tracked: 8, resume: 9 } as const;
/** Its locals. */
const L = { i: 10, node: 11, r: 12, ran: 13, slot: 14, next: 15, ctx: 16 } as const;

/** The driver's `batch` export; `resume` 1 continues the cursor's packet after its node returned 0. */
export type BatchExport = (entry: number, ctxList: number, ctxStride: number, results: number, resultStride: number, from: number, count: number, budget: number, tracked: number, resume: number) => void;

/**
 * The batch driver's module: a loop over packets, each following the successor table from the
 * entry node, calling every program's `f0` through the shared function table `env.f0ByNode`
 * (indexed by node). It keeps the cursor cells current so the host knows where a fault was.
 */
export function compileDriver(layout: BatchLayout, scratch: number): Uint8Array {
  const b = loadedBinaryen();
  const { i32, i64, none } = b;
  const m = new b.Module();
  try {
    m.setFeatures(b.Features.MVP | b.Features.MutableGlobals);
    m.setMemory(1, 65536, null, [], false, false, 'mem');
    m.addMemoryImport('mem', 'env', 'memory');
    m.addTable('f0ByNode', 1, 0xffffffff);
    m.addTableImport('f0ByNode', 'env', 'f0ByNode');
    m.addFunctionImport('enter', 'env', 'enter', b.createType([i32]), none);
    m.addFunctionImport('leave', 'env', 'leave', b.createType([i32]), none);

    const get = (local: number): number => m.local.get(local, i32);
    const set = (local: number, v: number): number => m.local.set(local, v);
    const k = (v: number): number => m.i32.const(v);
    const zero64 = (): number => m.i64.const(0 as unknown as number);
    const cursor = (cell: number): number => k(layout.cursor + cell * 4);
    const counter = (): number => m.i32.add(k(layout.counters), m.i32.mul(get(L.node), k(COUNTER_BYTES)));
    const successor = (slot: number): number => m.i32.load(0, 4, m.i32.add(m.i32.add(k(layout.successors), m.i32.mul(get(L.node), k(BATCH_SLOTS * 4))), m.i32.shl(slot, k(2))));

    const runProgram = m.block(null, [
      m.i32.store(0, 4, cursor(Cursor.node), get(L.node)),
      m.i32.store(0, 4, k(scratch + Scratch.budget), get(P.budget)),
      m.i32.store(0, 4, k(scratch + Scratch.tailCount), k(0)),
      m.if(get(P.tracked), m.call('enter', [get(L.node)], none), m.f64.store(0, 8, counter(), m.f64.add(m.f64.load(0, 8, counter()), m.f64.const(1)))),
      // The program's f0(r1 = ctx, r2..r5 = 0, frame 1); r0's low 32 bits are the verdict.
      set(L.r, m.i32.wrap(m.call_indirect('f0ByNode', get(L.node), [m.i64.extend_u(get(L.ctx)), zero64(), zero64(), zero64(), zero64(), k(1)], b.createType([i64, i64, i64, i64, i64, i32]), i64))),
    ], none);

    const chain = m.loop('chain', m.block(null, [
      m.if(get(P.resume), set(P.resume, k(0)), runProgram),
      m.if(get(P.tracked), m.call('leave', [get(L.r)], none)),
      set(L.ran, m.i32.add(get(L.ran), k(1))),
      // Slot r + 1 for return codes below 7, else the wildcard; an empty slot falls back to it too.
      set(L.slot, m.select(m.i32.lt_u(get(L.r), k(BATCH_SLOTS - 1)), m.i32.add(get(L.r), k(1)), k(0))),
      set(L.next, successor(get(L.slot))),
      m.if(m.i32.eqz(get(L.next)), set(L.next, successor(k(0)))),
      m.br('chained', m.i32.or(m.i32.eqz(get(L.next)), m.i32.ge_u(get(L.ran), k(layout.maxChain)))),
      m.i32.store(0, 4, cursor(Cursor.ran), get(L.ran)),
      set(L.node, m.i32.sub(get(L.next), k(1))),
      m.br('chain'),
    ], none));

    const packet = m.block(null, [
      m.i32.store(0, 4, cursor(Cursor.packet), get(L.i)),
      set(L.ctx, m.i32.load(0, 4, m.i32.add(get(P.ctxList), m.i32.mul(get(L.i), get(P.ctxStride))))),
      m.i32.store(0, 4, k(scratch + Scratch.ctx), get(L.ctx)),
      m.if(
        get(P.resume),
        m.block(null, [set(L.node, m.i32.load(0, 4, cursor(Cursor.node))), set(L.ran, m.i32.load(0, 4, cursor(Cursor.ran))), set(L.r, k(0))], none),
        m.block(null, [set(L.node, get(P.entry)), set(L.ran, k(0)), m.i32.store(0, 4, cursor(Cursor.ran), k(0))], none),
      ),
      m.block('chained', [chain], none),
      m.i32.store(0, 4, m.i32.add(get(P.results), m.i32.mul(get(L.i), get(P.resultStride))), get(L.r)),
      set(L.i, m.i32.add(get(L.i), k(1))),
    ], none);

    const body = m.block(null, [
      set(L.i, get(P.from)),
      m.block('done', [m.loop('packets', m.block(null, [m.br('done', m.i32.ge_u(get(L.i), get(P.count))), packet, m.br('packets')], none))], none),
    ], none);
    m.addFunction('batch', b.createType(new Array(10).fill(i32)), none, new Array(7).fill(i32), body);
    m.addFunctionExport('batch', 'batch');
    if (!m.validate()) throw new Error('wasm codegen for the batch driver produced an invalid module');
    return m.emitBinary();
  } finally {
    m.dispose();
  }
}
