import { BATCH_SLOTS, COUNTER_BYTES, Cursor, type BatchLayout } from '../batch.js';
import { Scratch } from './abi.js';
import { ModuleBuilder } from './codegen.js';
import { i32, i64, none, type Expr } from './emit/expr.js';
import type { WasmModule } from './emit/module.js';
import { structure, type FlowBlock } from './emit/structure.js';
import { PROGRAM_PARAMS } from './lowering.js';

/** Parameters of the driver's `batch` export, in order. */
const P = { entry: 0, ctxList: 1, ctxStride: 2, results: 3, resultStride: 4, from: 5, count: 6, budget: 7, tracked: 8, resume: 9 } as const;
/** Its locals. */
const L = { i: 10, node: 11, r: 12, ran: 13, slot: 14, next: 15, ctx: 16, label: 17 } as const;

/** The driver's `batch` export; `resume` 1 continues the cursor's packet after its node returned 0. */
export type BatchExport = (
  entry: number,
  ctxList: number,
  ctxStride: number,
  results: number,
  resultStride: number,
  from: number,
  count: number,
  budget: number,
  tracked: number,
  resume: number,
) => void;

/**
 * A batch graph as compiled into one module: the entry node, and per node the function running
 * its program and its successor row (BatchLayout.successors: node + 1 per slot, 0 for none).
 */
export interface GraphShape {
  entry: number;
  nodes: ReadonlyMap<number, { fn: string; successors: readonly number[] }>;
}

/**
 * The shared batch driver's module: a loop over packets, each following the successor table
 * from the entry node, calling every program's `f0` through the function table `env.f0ByNode`
 * (indexed by node). It keeps the cursor cells current so the host knows where a fault was.
 */
export function compileDriver(layout: BatchLayout, scratch: number): Uint8Array {
  const builder = new ModuleBuilder();
  addBatchFunction(builder.m, layout, scratch);
  return builder.finish();
}

/**
 * Add the exported `batch` function (BatchExport) to a module that has the memory and the
 * `f0ByNode` table. Without a graph, each packet follows the successor table in memory and calls
 * programs through the table. With one, the graph's successors are constants and each program is
 * called by name (compiled into the same module, so it is inlined there): a packet's chain is
 * straight-line code. Such a module serves only packets entering at `graph.entry`, and only
 * while the table holds the same successors; `resume` is not supported there (the shared driver
 * finishes a resumed packet).
 */
export function addBatchFunction(m: WasmModule, layout: BatchLayout, scratch: number, graph?: GraphShape): void {
  m.addFunctionImport('enter', 'env', 'enter', [i32], none);
  m.addFunctionImport('leave', 'env', 'leave', [i32], none);

  const get = (local: number): Expr => m.local.get(local, i32);
  const set = (local: number, v: Expr): Expr => m.local.set(local, v);
  const k = (v: number): Expr => m.i32.const(v);
  const zero64 = (): Expr => m.i64.const(0, 0);
  const cursor = (cell: number): Expr => k(layout.cursor + cell * 4);
  const counter = (node: Expr): Expr => m.i32.add(k(layout.counters), m.i32.mul(node, k(COUNTER_BYTES)));
  // The program's f0(r1 = ctx, r2..r5 = 0, frame 1); r0's low 32 bits are the verdict.
  const args = (): Expr[] => [m.i64.extend_u(get(L.ctx)), zero64(), zero64(), zero64(), zero64(), k(1)];
  /** Run node `node`'s program with a fresh budget and tail-call count, its run counted or reported; r = its verdict. */
  const runProgram = (node: () => Expr, call: Expr): Expr =>
    m.block(
      null,
      [
        m.i32.store(0, 4, cursor(Cursor.node), node()),
        m.i32.store(0, 4, k(scratch + Scratch.budget), get(P.budget)),
        m.i32.store(0, 4, k(scratch + Scratch.tailCount), k(0)),
        m.if(get(P.tracked), m.call('enter', [node()], none), m.f64.store(0, 8, counter(node()), m.f64.add(m.f64.load(0, 8, counter(node())), m.f64.const(1)))),
        set(L.r, m.i32.wrap(call)),
      ],
      none,
    );
  const leave = (): Expr => m.if(get(P.tracked), m.call('leave', [get(L.r)], none));

  const packet = m.block(
    null,
    [
      m.i32.store(0, 4, cursor(Cursor.packet), get(L.i)),
      set(L.ctx, m.i32.load(0, 4, m.i32.add(get(P.ctxList), m.i32.mul(get(L.i), get(P.ctxStride))))),
      m.i32.store(0, 4, k(scratch + Scratch.ctx), get(L.ctx)),
      graph ? graphChain(m, graph, layout, { get, set, k, cursor, runProgram, leave, args }) : tableChain(),
      m.i32.store(0, 4, m.i32.add(get(P.results), m.i32.mul(get(L.i), get(P.resultStride))), get(L.r)),
      set(L.i, m.i32.add(get(L.i), k(1))),
    ],
    none,
  );

  const body = m.block(
    null,
    [
      set(L.i, get(P.from)),
      m.block('done', [m.loop('packets', m.block(null, [m.br('done', m.i32.ge_u(get(L.i), get(P.count))), packet, m.br('packets')], none))], none),
    ],
    none,
  );
  m.addFunction('batch', new Array<typeof i32>(10).fill(i32), none, new Array<typeof i32>(8).fill(i32), body);
  m.addFunctionExport('batch', 'batch');

  function tableChain(): Expr {
    const successor = (slot: Expr): Expr =>
      m.i32.load(0, 4, m.i32.add(m.i32.add(k(layout.successors), m.i32.mul(get(L.node), k(BATCH_SLOTS * 4))), m.i32.shl(slot, k(2))));
    const viaTable = m.call_indirect('f0ByNode', get(L.node), args(), PROGRAM_PARAMS, i64);
    const chain = m.loop(
      'chain',
      m.block(
        null,
        [
          m.if(
            get(P.resume),
            set(P.resume, k(0)),
            runProgram(() => get(L.node), viaTable),
          ),
          leave(),
          set(L.ran, m.i32.add(get(L.ran), k(1))),
          // Slot r + 1 for return codes below 7, else the wildcard; an empty slot falls back to it too.
          set(L.slot, m.select(m.i32.lt_u(get(L.r), k(BATCH_SLOTS - 1)), m.i32.add(get(L.r), k(1)), k(0))),
          set(L.next, successor(get(L.slot))),
          m.if(m.i32.eqz(get(L.next)), set(L.next, successor(k(0)))),
          m.br('chained', m.i32.or(m.i32.eqz(get(L.next)), m.i32.ge_u(get(L.ran), k(layout.maxChain)))),
          m.i32.store(0, 4, cursor(Cursor.ran), get(L.ran)),
          set(L.node, m.i32.sub(get(L.next), k(1))),
          m.br('chain'),
        ],
        none,
      ),
    );
    return m.block(
      null,
      [
        m.if(
          get(P.resume),
          m.block(null, [set(L.node, m.i32.load(0, 4, cursor(Cursor.node))), set(L.ran, m.i32.load(0, 4, cursor(Cursor.ran))), set(L.r, k(0))], none),
          m.block(null, [set(L.node, get(P.entry)), set(L.ran, k(0)), m.i32.store(0, 4, cursor(Cursor.ran), k(0))], none),
        ),
        m.block('chained', [chain], none),
      ],
      none,
    );
  }
}

interface DriverParts {
  get(local: number): Expr;
  set(local: number, v: Expr): Expr;
  k(v: number): Expr;
  cursor(cell: number): Expr;
  runProgram(node: () => Expr, call: Expr): Expr;
  leave(): Expr;
  args(): Expr[];
}

/**
 * A packet's way through a graph with constant successors, as structured flow: one block per
 * node (run its program, count it), a branch to each distinct successor taken for the return
 * codes that lead there while fewer than maxChain programs have run, else out.
 */
function graphChain(m: WasmModule, graph: GraphShape, layout: BatchLayout, d: DriverParts): Expr {
  const { get, set, k } = d;
  const flow = new Map<number, FlowBlock>();
  for (const [node, { fn, successors }] of graph.nodes) {
    const block: FlowBlock = {
      code: [
        m.i32.store(0, 4, d.cursor(Cursor.ran), get(L.ran)),
        d.runProgram(() => k(node), m.call(fn, d.args(), i64)),
        d.leave(),
        set(L.ran, m.i32.add(get(L.ran), k(1))),
      ],
      branches: [],
    };
    flow.set(node, block);
    // Where return code c goes: slot c + 1 for c < 7 unless empty, else the wildcard slot 0.
    const target = (c: number): number => (c < BATCH_SLOTS - 1 && successors[c + 1] !== 0 ? successors[c + 1] : successors[0]);
    const wildcard = successors[0];
    for (const to of new Set([...Array(BATCH_SLOTS - 1).keys()].map(target).concat(wildcard))) {
      if (to === 0) continue;
      let mask = 0;
      for (let c = 0; c < BATCH_SLOTS - 1; c++) if (target(c) === to) mask |= 1 << c;
      const codeLeads = m.select(m.i32.lt_u(get(L.r), k(BATCH_SLOTS - 1)), m.i32.and(m.i32.shr_u(k(mask), get(L.r)), k(1)), k(to === wildcard ? 1 : 0));
      block.branches.push({ cond: m.i32.and(codeLeads, m.i32.lt_u(get(L.ran), k(layout.maxChain))), to: to - 1 });
    }
  }
  return m.block(null, [set(L.ran, k(0)), structure(m, flow, graph.entry, L.label, 'g')], none);
}
