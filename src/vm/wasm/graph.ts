import { BATCH_SLOTS, type BatchLayout } from '../batch.js';
import type { Code } from '../interp/code.js';
import { ModuleBuilder, type CodegenLayout } from './codegen.js';
import { addBatchFunction, type BatchExport } from './driver.js';

/**
 * A program compiled into a graph module under namespace `ns`, with the programs its function
 * entries are wired to (freplace) when the module is built: their namespaces and their index in
 * the `fns` table, so a call goes straight to them while the wiring still says so.
 */
export interface GraphUnit {
  ns: string;
  code: Code;
  replacements: ReadonlyMap<number, { ns: string; index: number }>;
}

/** A node of the graph: the namespace of its program's unit and its successor row (as BatchLayout.successors has it). */
export interface GraphNode {
  node: number;
  ns: string;
  successors: readonly number[];
}

/**
 * By default an entry's graph is compiled once the packets run through the shared driver could
 * have paid for it: compiling costs ~40 µs per instruction and saves ~10 ns per packet.
 */
export const DEFAULT_GRAPH_AFTER_PER_INSN = 4000;
/** Batch graphs kept compiled, and the largest one compiled (larger ones use the shared driver). */
export const MAX_GRAPHS = 16;
export const MAX_GRAPH_NODES = 64;
export const MAX_GRAPH_INSNS = 65536;

/** A batch entry's packets so far and its graph plan (see the batch driver's `entries`). */
export interface EntryPlan {
  packets: number;
  generation: number;
  graph?: BatchExport;
  threshold: number;
}

/** The namespace of a program in graph modules: by uid, so a program is there once however it is reached. */
export const graphNamespace = (uid: number): string => `u${uid}`;

/**
 * One module holding the batch driver and the programs a packet can reach from an entry (by
 * chain calls, and into the replacements its programs are wired to), so each call between them
 * is a direct call, inlined: a chain, or a dispatcher with its components, becomes
 * one wasm function, without V8's cost of a call between instances (~2 ns per call here). A
 * node outside the module (the graph changed since) still runs, through the `f0ByNode` table,
 * and a replacement since rewired through `fns`. The first node is the entry; every successor
 * must be one of the nodes.
 */
export function compileGraph(units: readonly GraphUnit[], nodes: readonly GraphNode[], codegen: CodegenLayout, layout: BatchLayout): Uint8Array {
  const builder = new ModuleBuilder();
  for (const u of units) {
    const known = new Map([...u.replacements].map(([slot, r]) => [slot, { fn: `${r.ns}_f0`, index: r.index }]));
    builder.addProgram(u.code, codegen, u.ns, known);
  }
  const shape = new Map(nodes.map((n) => [n.node, { fn: `${n.ns}_f0`, successors: n.successors }]));
  addBatchFunction(builder.m, layout, codegen.scratch, { entry: nodes[0].node, nodes: shape });
  // A program's f0 with one caller here (and any function with one caller) is inlined there whatever its size.
  return builder.finish(true);
}

/** Node `node`'s successor row, as the table in memory has it. */
export function successorRow(dv: DataView, layout: BatchLayout, node: number): number[] {
  const base = layout.successors + node * BATCH_SLOTS * 4;
  return Array.from({ length: BATCH_SLOTS }, (_, slot) => dv.getInt32(base + slot * 4, true));
}

/**
 * The nodes a packet can reach from `entry` by the successor table (entry first) with their
 * rows; undefined when there are more than `limit` or one is not `bound` to a program.
 */
export function reachableNodes(
  dv: DataView,
  layout: BatchLayout,
  entry: number,
  bound: (node: number) => boolean,
  limit: number,
): { node: number; successors: number[] }[] | undefined {
  const seen = [entry];
  const rows = [];
  for (let i = 0; i < seen.length; i++) {
    if (seen.length > limit || !bound(seen[i])) return undefined;
    const successors = successorRow(dv, layout, seen[i]);
    rows.push({ node: seen[i], successors });
    for (const s of successors) if (s > 0 && !seen.includes(s - 1)) seen.push(s - 1);
  }
  return rows;
}
