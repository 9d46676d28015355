/**
 * Structured control flow (src/vm/wasm/emit/structure.ts) and single-caller inlining
 * (src/vm/wasm/emit/inline.ts): random flow graphs, reducible and not, must visit their blocks
 * in the order the graph says, for every sequence of branch decisions.
 */
import { describe, expect, it } from 'vitest';
import type { Expr } from '../../../src/vm/wasm/emit/expr.js';
import { inlineSingleCallers } from '../../../src/vm/wasm/emit/inline.js';
import { WasmModule } from '../../../src/vm/wasm/emit/module.js';
import { analyseFlow, structure, type FlowBlock } from '../../../src/vm/wasm/emit/structure.js';

function rng(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s >>> 8) % n;
  };
}

/** A graph: per block, its branches' targets, -1 for the unconditional last one (absent: none). */
interface Graph {
  blocks: { conds: number[]; always?: number }[];
}

const FUEL = 300;

/** The blocks a run visits: each block's branches are tried in order, a conditional one taken when the next decision is 1. */
function simulate(g: Graph, decisions: number[]): number[] {
  const trace: number[] = [];
  let at = 0;
  let d = 0;
  for (;;) {
    if (trace.length === FUEL) return [...trace, -2];
    trace.push(at);
    const b = g.blocks[at];
    const taken = b.conds.find(() => decisions[d++ % decisions.length] === 1);
    if (taken !== undefined) at = taken;
    else if (b.always !== undefined) at = b.always;
    else return [...trace, -1];
  }
}

/** The graph compiled by `structure` into a function that calls visit(block) and decide() as it goes. */
function compile(g: Graph): (decisions: number[]) => number[] {
  const m = new WasmModule();
  m.addFunctionImport('visit', 'env', 'visit', ['i32'], 'none');
  m.addFunctionImport('decide', 'env', 'decide', [], 'i32');
  const flow = new Map<number, FlowBlock>();
  g.blocks.forEach((b, i) => {
    const branches: FlowBlock['branches'] = b.conds.map((to) => ({ cond: m.call('decide', [], 'i32'), to }));
    if (b.always !== undefined) branches.push({ cond: null, to: b.always });
    flow.set(i, { code: [m.call('visit', [m.i32.const(i)], 'none')], branches });
  });
  m.addFunction('run', [], 'none', ['i32'], m.block(null, [structure(m, flow, 0, 0, 'x'), m.call('visit', [m.i32.const(-1)], 'none')], 'none'));
  m.addFunctionExport('run', 'run');
  const binary = m.emit();
  expect(WebAssembly.validate(binary)).toBe(true);
  let trace: number[] = [];
  let script: number[] = [];
  let d = 0;
  const run = new WebAssembly.Instance(new WebAssembly.Module(binary), {
    env: {
      visit: (b: number) => {
        if (trace.length === FUEL && b !== -1) {
          trace.push(-2);
          throw new Error('fuel');
        }
        trace.push(b);
      },
      decide: () => script[d++ % script.length],
    },
  }).exports.run as () => void;
  return (decisions) => {
    trace = [];
    script = decisions;
    d = 0;
    try {
      run();
    } catch (e) {
      if ((e as Error).message !== 'fuel') throw e;
    }
    return trace;
  };
}

function randomGraph(random: (n: number) => number): Graph {
  const n = 1 + random(12);
  return {
    blocks: Array.from({ length: n }, () => {
      const conds = Array.from({ length: random(3) }, () => random(n));
      return random(5) === 0 ? { conds } : { conds, always: random(n) };
    }),
  };
}

const shapeOf = (g: Graph): ReturnType<typeof analyseFlow> => {
  const flow = new Map<number, FlowBlock>(
    g.blocks.map((b, i) => [
      i,
      { code: [], branches: [...b.conds.map((to) => ({ cond: null, to })), ...(b.always === undefined ? [] : [{ cond: null, to: b.always }])] },
    ]),
  );
  return analyseFlow(flow, 0);
};

describe('structured control flow', () => {
  const check = (g: Graph, random: (n: number) => number, runs = 12): void => {
    const run = compile(g);
    for (let r = 0; r < runs; r++) {
      const decisions = Array.from({ length: 1 + random(9) }, () => random(2));
      expect({ g, decisions, trace: run(decisions) }).toEqual({ g, decisions, trace: simulate(g, decisions) });
    }
  };

  it('follows diamonds, nested loops, loops with several exits and switch-like branches', () => {
    const random = rng(1);
    const graphs: Graph[] = [
      { blocks: [{ conds: [1], always: 2 }, { conds: [], always: 3 }, { conds: [], always: 3 }, { conds: [] }] },
      { blocks: [{ conds: [], always: 1 }, { conds: [2], always: 4 }, { conds: [2], always: 3 }, { conds: [1, 4], always: 0 }, { conds: [] }] },
      { blocks: [{ conds: [1, 2, 3], always: 4 }, { conds: [], always: 4 }, { conds: [0] }, { conds: [], always: 1 }, { conds: [4] }] },
      { blocks: [{ conds: [], always: 0 }] },
    ];
    for (const g of graphs) {
      expect(shapeOf(g).reducible).toBe(true);
      check(g, random);
    }
  });

  it('runs irreducible flow (a loop entered in two places) through its dispatch loop', () => {
    const g: Graph = { blocks: [{ conds: [1], always: 2 }, { conds: [3], always: 2 }, { conds: [3], always: 1 }, { conds: [] }] };
    expect(shapeOf(g).reducible).toBe(false);
    check(g, rng(2), 30);
  });

  it('visits random graphs as the graph says, reducible or not', () => {
    const random = rng(3);
    let irreducible = 0;
    let loops = 0;
    for (let i = 0; i < 300; i++) {
      const g = randomGraph(random);
      const shape = shapeOf(g);
      if (!shape.reducible) irreducible++;
      else if (shape.loopHeader.some((x) => x === 1)) loops++;
      check(g, random, 6);
    }
    expect(irreducible).toBeGreaterThan(20);
    expect(loops).toBeGreaterThan(20);
  });

  it('structures a chain of thousands of blocks', () => {
    const n = 3000;
    const g: Graph = { blocks: Array.from({ length: n }, (_, i) => (i === n - 1 ? { conds: [] } : { conds: [Math.min(i + 2, n - 1)], always: i + 1 })) };
    const run = compile(g);
    const decisions = [0, 0, 1];
    expect(run(decisions)).toEqual(simulate(g, decisions));
  });
});

describe('single-caller inlining', () => {
  /** helper(x) = sum of 0..x-1 with local counters (zero on each call, for x falling); twice(x) has two callers; main is exported. */
  function build(): WasmModule {
    const m = new WasmModule();
    const g = (i: number): Expr => m.local.get(i, 'i32');
    m.addFunction(
      'helper',
      ['i32'],
      'i32',
      ['i32', 'i32'],
      m.block(
        null,
        [
          m.loop(
            'more',
            m.block(
              null,
              [
                m.if(m.i32.ge_u(g(1), g(0)), m.return(g(2))),
                m.local.set(2, m.i32.add(g(2), g(1))),
                m.local.set(1, m.i32.add(g(1), m.i32.const(1))),
                m.br('more'),
              ],
              'none',
            ),
          ),
          m.unreachable(),
        ],
        'none',
      ),
    );
    m.addFunction('twice', ['i32'], 'i32', [], m.i32.mul(g(0), m.i32.const(2)));
    m.addFunction(
      'loops',
      ['i32'],
      'i32',
      ['i32', 'i32'],
      m.block(
        null,
        [
          m.block(
            'done',
            [
              m.loop(
                'again',
                m.block(
                  null,
                  [
                    m.br('done', m.i32.ge_u(g(1), g(0))),
                    m.local.set(2, m.i32.add(g(2), m.call('helper', [m.i32.sub(g(0), g(1))], 'i32'))),
                    m.local.set(1, m.i32.add(g(1), m.i32.const(1))),
                    m.br('again'),
                  ],
                  'none',
                ),
              ),
            ],
            'none',
          ),
          m.i32.add(m.call('twice', [g(2)], 'i32'), m.call('main', [m.i32.const(-1)], 'i32')),
        ],
        'i32',
      ),
    );
    m.addFunction('main', ['i32'], 'i32', [], m.if(m.i32.lt_s(g(0), m.i32.const(0)), m.i32.const(0), m.call('loops', [g(0)], 'i32')));
    m.addFunction('user', ['i32'], 'i32', [], m.call('twice', [g(0)], 'i32'));
    m.addFunctionExport('main', 'main');
    m.addFunctionExport('user', 'user');
    return m;
  }
  const run = (m: WasmModule): ((x: number) => number) => new WebAssembly.Instance(new WebAssembly.Module(m.emit())).exports.main as (x: number) => number;

  it('inlines single callers bottom-up, with fresh locals each time, and keeps shared and exported functions', () => {
    const plain = run(build());
    const m = build();
    inlineSingleCallers(m);
    expect([...m.functions.keys()]).toEqual(['twice', 'main', 'user']);
    const inlined = run(m);
    for (const x of [-3, 0, 1, 5, 20]) expect(inlined(x)).toBe(plain(x));
    expect(plain(5)).toBe(2 * (10 + 6 + 3 + 1 + 0));
  });
});
