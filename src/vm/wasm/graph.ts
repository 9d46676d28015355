import { BATCH_SLOTS, type BatchLayout } from '../batch.js';
import type { Code } from '../interp/code.js';
import { binaryen as loadedBinaryen } from './binaryen.js';
import { ModuleBuilder, type CodegenLayout } from './codegen.js';
import { addBatchFunction } from './driver.js';

/** A program of a batch graph: its node, decoded code and successor row (as BatchLayout.successors has it). */
export interface GraphProgram {
  node: number;
  code: Code;
  successors: readonly number[];
}

/** The import namespace of node `node`'s program in a graph module. */
export const graphNamespace = (node: number): string => `p${node}`;

/**
 * One module holding the batch driver and the programs a packet can reach from an entry, so the
 * driver calls each program directly and binaryen inlines it there: a chain of programs becomes
 * one wasm function, without V8's cost of a call between instances (~2 ns per call here). A node
 * outside the module (the graph changed since) still runs, through the `f0ByNode` table.
 * The first program is the entry; every successor must be one of the programs.
 */
export function compileGraph(programs: readonly GraphProgram[], codegen: CodegenLayout, layout: BatchLayout): Uint8Array {
  const builder = new ModuleBuilder();
  try {
    const nodes = new Map<number, { fn: string; successors: readonly number[] }>();
    for (const { node, code, successors } of programs) {
      const ns = graphNamespace(node);
      builder.addProgram(code, codegen, ns);
      nodes.set(node, { fn: `${ns}_f0`, successors });
    }
    addBatchFunction(builder.m, layout, codegen.scratch, { entry: programs[0].node, nodes });
    // Every program's f0 has one caller, the driver: inline it there whatever its size.
    loadedBinaryen().setOneCallerInlineMaxSize(-1);
    return builder.finish(`a batch graph of ${programs.map((p) => p.code.spec.name).join(', ')}`, ['inlining']);
  } finally {
    builder.dispose();
  }
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
export function reachableNodes(dv: DataView, layout: BatchLayout, entry: number, bound: (node: number) => boolean, limit: number): { node: number; successors: number[] }[] | undefined {
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
