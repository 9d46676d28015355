/**
 * Batch graphs (src/vm/wasm/graph.ts): once an entry is hot, the wasm engine compiles the
 * programs a packet can reach from it into one module with constant successors. Every packet
 * must then see what the shared driver and the interpreter give it: verdict, fault, bytes, and
 * every program's run count, over random chain graphs with wildcards and the 32-call limit.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readCollectionSpec } from '../../src/elf/index.js';
import { assemble } from '../../src/isa/asm.js';
import { ipv4UdpFrame } from '../../src/packet/index.js';
import type { XdpBatchResult } from '../../src/runtime/execute.js';
import type { Program } from '../../src/runtime/program.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { XdpBuffer } from '../../src/xdp/buffer.js';
import { XdpAction } from '../../src/xdp/constants.js';
import { loadProgramSpec, xdpProgramSpec } from './specs.js';

/** A small deterministic generator, so a failure names a seed that reproduces it. */
function rng(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
}

/**
 * Program k: counts its visit in byte 15 and mixes k into byte 14 (so the order of programs shows
 * in the packet), then returns (byte k + visits) mod 10: codes 0..6 by slot, 7..9 by the wildcard.
 * A frame whose byte 13 is k + 0xf0 makes program k read address 0 and fault.
 */
const step = (k: number) =>
  xdpProgramSpec(
    `step${k}`,
    assemble(`
  ldxw %r2, [%r1+0]
  ldxw %r3, [%r1+4]
  mov %r4, %r2
  add %r4, 16
  jgt %r4, %r3, short
  ldxb %r6, [%r2+15]
  add %r6, 1
  stxb [%r2+15], %r6
  ldxb %r7, [%r2+14]
  mul %r7, 3
  add %r7, ${k + 1}
  stxb [%r2+14], %r7
  ldxb %r8, [%r2+13]
  jne %r8, ${k + 0xf0}, fine
  ldxb %r0, [%r9+0]
fine:
  ldxb %r0, [%r2+${k}]
  add %r0, %r6
  mod %r0, 10
  exit
short:
  mov %r0, 2
  exit`),
  );

interface Outcome {
  results: { retval: number; fault?: string }[];
  bytes: Uint8Array[];
  counts: number[];
}

/** Run `frames` through a chain graph of `n` step programs on a fresh runtime. */
function outcome(
  engine: 'wasm' | 'interp',
  graphAfterPackets: number,
  timing: boolean,
  n: number,
  edges: [number, number, number][],
  frames: Uint8Array[],
  entry = 0,
): Outcome {
  const rt = new Runtime({ engine, possibleCpus: 1, statsTiming: timing, graphAfterPackets });
  const progs: Program[] = Array.from({ length: n }, (_, k) => loadProgramSpec(rt, step(k)));
  for (const [from, code, to] of edges) rt.chains.add(progs[from], code, progs[to]);
  const buffers = frames.map((f) => {
    const b = new XdpBuffer(rt.space, 'graph test');
    b.load(f);
    return b;
  });
  const results: XdpBatchResult[] = [];
  rt.executor.runEach(progs[entry], buffers, (i, r) => (results[i] = r));
  return {
    results: results.map((r) => ({ retval: r.retval, ...(r.fault ? { fault: `${r.fault.kind}: ${r.fault.message}` } : {}) })),
    bytes: buffers.map((b) => b.packet()),
    counts: progs.map((p) => p.stats.runCount),
  };
}

function randomCase(seed: number) {
  const r = rng(seed);
  const n = 2 + r(4);
  const edges: [number, number, number][] = [];
  // Chains never close a cycle (ChainTable refuses it): edges go to later programs.
  for (let from = 0; from < n - 1; from++) {
    const later = () => from + 1 + r(n - from - 1);
    for (let code = 0; code < 7; code++) if (r(2) === 0) edges.push([from, code, later()]);
    // CHAIN_WILDCARD: every code without a slot of its own.
    if (r(2) === 0) edges.push([from, -1, later()]);
  }
  const frames = Array.from({ length: 40 }, () => {
    const f = ipv4UdpFrame();
    for (let k = 0; k < 6; k++) f[k] = r(10);
    f[13] = r(8) === 0 ? 0xf0 + r(n) : 0;
    f[14] = 0;
    f[15] = 0;
    return f;
  });
  return { n, edges, frames };
}

describe('batch graphs', () => {
  it.each([false, true])('give every packet what the shared driver and the interpreter give, over random chain graphs (timing %s)', (timing) => {
    let chained = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const { n, edges, frames } = randomCase(seed);
      const graph = outcome('wasm', 0, timing, n, edges, frames);
      const shared = outcome('wasm', Infinity, timing, n, edges, frames);
      const reference = outcome('interp', Infinity, timing, n, edges, frames);
      expect({ seed, ...graph }).toEqual({ seed, ...reference });
      expect({ seed, ...shared }).toEqual({ seed, ...reference });
      chained += reference.counts.reduce((a, b) => a + b, 0) - frames.length;
    }
    // The cases do chain: many programs run after the entry.
    expect(chained).toBeGreaterThan(500);
  });

  it('stops a chain at 32 programs per packet', () => {
    const frames = [ipv4UdpFrame()];
    // 34 programs, each chained to the next on every code.
    const edges = Array.from({ length: 33 }, (_, k): [number, number, number] => [k, -1, k + 1]);
    const graph = outcome('wasm', 0, false, 34, edges, frames);
    expect(graph.counts).toEqual([...new Array(32).fill(1), 0, 0]);
    expect(graph).toEqual(outcome('interp', Infinity, false, 34, edges, frames));
  });

  it('follows a chain changed after its graph was compiled', () => {
    const rt = new Runtime({ possibleCpus: 1, statsTiming: false, graphAfterPackets: 0 });
    const [a, b, c] = [0, 1, 2].map((k) => loadProgramSpec(rt, step(k)));
    const frame = ipv4UdpFrame();
    frame.set([2, 5, 4], 0);
    frame.fill(0, 13, 16);
    // Program k returns its byte plus the programs run so far: a 2 + 1 = 3, then b 5 + 2 or c 4 + 2.
    rt.chains.add(a, 3, b);
    expect(rt.testRun(a, { data: frame, repeat: 1 }).retval).toBe(7);
    rt.chains.add(a, 3, c);
    expect(rt.testRun(a, { data: frame, repeat: 1 }).retval).toBe(6);
    rt.chains.add(c, 6, b);
    expect(rt.testRun(a, { data: frame, repeat: 1 }).retval).toBe(8);
    rt.chains.delete(a, 3);
    expect(rt.testRun(a, { data: frame, repeat: 1 }).retval).toBe(3);
    expect([a, b, c].map((p) => p.stats.runCount)).toEqual([4, 2, 2]);
  });

  it('runs the replacements a program is linked to inside its graph, and follows links made or closed after', () => {
    const object = (name: string) =>
      readCollectionSpec(new Uint8Array(readFileSync(new URL(`../../progs/build/${name}.o`, import.meta.url))), { source: `${name}.o` });
    const rt = new Runtime({ possibleCpus: 1, statsTiming: false, graphAfterPackets: 0 });
    const target = rt.loadCollection(object('freplace_target')).program('xdp_freplace_target');
    const ext = object('freplace_ext');
    const tx = rt.loadProgram(ext.programs.get('classify_tx')!, new Map(), { target });
    const short = new Uint8Array(40).fill(1);
    const run = () => rt.testRun(target, { data: short, repeat: 100 }).retval;
    expect(run()).toBe(XdpAction.DROP);
    // Linked after the graph was compiled: the next batch compiles one with the replacement in it.
    const link = rt.attachExtension(tx);
    expect(run()).toBe(XdpAction.TX);
    expect(tx.stats.runCount).toBe(100);
    rt.links.detach(link.id);
    expect(run()).toBe(XdpAction.DROP);
    expect(tx.stats.runCount).toBe(100);
    rt.attachExtension(tx);
    expect(run()).toBe(XdpAction.TX);
    expect([target.stats.runCount, tx.stats.runCount]).toEqual([400, 200]);
  });
});
