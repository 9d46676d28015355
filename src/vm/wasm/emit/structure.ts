import type { Expr, ExprBuilder } from './expr.js';

/** A basic block to structure: its code, then where control goes. */
export interface FlowBlock {
  code: Expr[];
  /**
   * Checked in order after the code: the first whose condition holds (null: always) is taken.
   * Past the last, control leaves the whole structure (a block whose code returns needs none).
   */
  branches: { cond: Expr | null; to: number }[];
}

/** The shape of a flow graph, as structuring sees it (block indices in reverse postorder, 0 the entry). */
export interface FlowShape {
  /** Block ids by index. */
  order: number[];
  /** Each block's successor indices, one per branch. */
  succ: number[][];
  /** Immediate dominator of each index (the entry its own). */
  idom: Int32Array;
  /** 1 where a back edge (to a block dominating its source) enters. */
  loopHeader: Uint8Array;
  /** Branches into each block from blocks before it in reverse postorder. */
  forwardIn: Int32Array;
  /** Whether every edge to an earlier block goes to one that dominates its source. */
  reducible: boolean;
}

/** The blocks reachable from `entry`: their order, dominators, loops and whether the flow is reducible. */
export function analyseFlow(blocks: ReadonlyMap<number, FlowBlock>, entry: number): FlowShape {
  const flow = (id: number): FlowBlock => {
    const b = blocks.get(id);
    if (!b) throw new Error(`wasm emitter: branch to block ${id}, which does not exist`);
    return b;
  };
  // Reverse postorder of the reachable blocks: order[i] is the id of block i; index 0 is the entry.
  const post: number[] = [];
  const seen = new Set<number>([entry]);
  const stack: [number, number][] = [[entry, 0]];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const branches = flow(top[0]).branches;
    if (top[1] < branches.length) {
      const to = branches[top[1]++].to;
      if (!seen.has(to)) {
        seen.add(to);
        stack.push([to, 0]);
      }
    } else {
      post.push(top[0]);
      stack.pop();
    }
  }
  const order = post.reverse();
  const index = new Map(order.map((id, i) => [id, i]));
  const n = order.length;
  const succ = order.map((id) => flow(id).branches.map((b) => index.get(b.to)!));
  const preds: number[][] = order.map(() => []);
  succ.forEach((targets, u) => targets.forEach((v) => preds[v].push(u)));

  // Immediate dominators (Cooper, Harvey and Kennedy's iteration over reverse postorder).
  const idom = new Int32Array(n).fill(-1);
  idom[0] = 0;
  for (let changed = true; changed;) {
    changed = false;
    for (let b = 1; b < n; b++) {
      let d = -1;
      for (const p of preds[b]) {
        if (idom[p] < 0) continue;
        if (d < 0) {
          d = p;
          continue;
        }
        let x = p;
        while (x !== d) {
          while (x > d) x = idom[x];
          while (d > x) d = idom[d];
        }
      }
      if (idom[b] !== d) {
        idom[b] = d;
        changed = true;
      }
    }
  }
  const dominates = (a: number, b: number): boolean => {
    while (b > a) b = idom[b];
    return b === a;
  };
  const loopHeader = new Uint8Array(n);
  const forwardIn = new Int32Array(n);
  let reducible = true;
  succ.forEach((targets, u) => {
    for (const v of targets) {
      if (v > u) forwardIn[v]++;
      else if (dominates(v, u)) loopHeader[v] = 1;
      else reducible = false;
    }
  });
  return { order, succ, idom, loopHeader, forwardIn, reducible };
}

/**
 * Structured wasm control flow (block, loop, br, br_if) for the blocks reachable from `entry`.
 * Reducible flow, as clang emits, follows Ramsey's "Beyond Relooper" (JFP 2022): each block is
 * placed in its immediate dominator's code; one with several forward predecessors ("merge") gets
 * a wasm block ending just before its code, which its predecessors leave with br; one with a
 * single predecessor is written in place of the branch to it; a loop header is wrapped in a wasm
 * loop that back edges continue. Irreducible flow (hand-written programs) runs as a loop over a
 * br_table on `labelLocal` (an i32 local free in the function) holding the next block.
 * `prefix` keeps the labels apart from other labels of the function.
 */
export function structure(m: ExprBuilder, blocks: ReadonlyMap<number, FlowBlock>, entry: number, labelLocal: number, prefix: string): Expr {
  const { order, succ, idom, loopHeader, forwardIn, reducible } = analyseFlow(blocks, entry);
  const n = order.length;
  const flow = (id: number): FlowBlock => blocks.get(id)!;
  const L = (v: number): string => `${prefix}L${v}`;
  const B = (v: number): string => `${prefix}B${v}`;
  const EXIT = `${prefix}X`;
  let leaves = false;
  /** Code that leaves the structure, unless the block's code already ended the flow. */
  const leave = (out: Expr[]): void => {
    if (out.length > 0 && out[out.length - 1].type === 'unreachable') return;
    leaves = true;
    out.push(m.br(EXIT));
  };
  const isBr = (t: Expr[]): string | undefined => (t.length === 1 && t[0].kind === 'br' && t[0].cond === null ? t[0].label : undefined);

  if (!reducible) return dispatch();

  const children: number[][] = order.map(() => []);
  for (let v = 1; v < n; v++) children[idom[v]].push(v);

  const branchTo = (x: number, to: number): Expr[] => (to <= x ? [m.br(L(to))] : forwardIn[to] > 1 ? [m.br(B(to))] : tree(to));
  const nodeCode = (x: number): Expr[] => {
    const out = [...flow(order[x]).code];
    const branches = flow(order[x]).branches;
    for (let i = 0; i < branches.length; i++) {
      const { cond } = branches[i];
      const there = branchTo(x, succ[x][i]);
      if (cond === null) {
        out.push(...there);
        return out;
      }
      const label = isBr(there);
      const next = branches[i + 1];
      if (label !== undefined) {
        out.push(m.br(label, cond));
      } else if (next && next.cond === null && i + 2 === branches.length) {
        // The last choice: whichever way is a branch goes first, the other follows unnested.
        const other = branchTo(x, succ[x][i + 1]);
        const otherLabel = isBr(other);
        if (otherLabel !== undefined) out.push(m.br(otherLabel, m.i32.eqz(cond)), ...there);
        else out.push(m.if(cond, m.block(null, there, 'none')), ...other);
        return out;
      } else {
        out.push(m.if(cond, m.block(null, there, 'none')));
      }
    }
    leave(out);
    return out;
  };
  const tree = (x: number): Expr[] => {
    let seq = nodeCode(x);
    for (const y of children[x]) if (forwardIn[y] > 1) seq = [m.block(B(y), seq, 'none'), ...tree(y)];
    return loopHeader[x] ? [m.loop(L(x), m.block(null, seq, 'none'))] : seq;
  };
  const body = tree(0);
  return leaves ? m.block(EXIT, body, 'none') : m.block(null, body, 'none');

  /** Irreducible flow: label = the next block's index, and a br_table to its code. */
  function dispatch(): Expr {
    const D = `${prefix}D`;
    const go = (to: number): Expr[] => [m.local.set(labelLocal, m.i32.const(to)), m.br(D)];
    let seq: Expr[] = [
      m.switch(
        order.map((_, v) => B(v)),
        B(0),
        m.local.get(labelLocal, 'i32'),
      ),
    ];
    for (let v = 0; v < n; v++) {
      const out = [...flow(order[v]).code];
      const branches = flow(order[v]).branches;
      let ended = false;
      for (let i = 0; i < branches.length && !ended; i++) {
        const { cond } = branches[i];
        const to = succ[v][i];
        if (cond !== null) out.push(m.if(cond, m.block(null, go(to), 'none')));
        else if (to !== v + 1) out.push(...go(to));
        // A branch to the next block falls through to its code.
        ended = cond === null;
      }
      if (!ended) leave(out);
      seq = [m.block(B(v), seq, 'none'), ...out];
    }
    const loop = m.loop(D, m.block(null, seq, 'none'));
    return m.block(EXIT, [m.local.set(labelLocal, m.i32.const(0)), loop], 'none');
  }
}
