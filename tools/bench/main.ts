#!/usr/bin/env node
/**
 * `npm run bench`: ns/packet of xdpchain (wasm and interpreter) against the kernel's
 * BPF_PROG_TEST_RUN on the same objects and packet, measured in the same run. Prints a table
 * and writes bench/results.json. Not part of `npm test`: timings are never asserted.
 */
import { Command } from 'commander';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCollectionSpec } from '../../src/elf/index.js';
import { XdpchainError } from '../../src/errors/index.js';
import { linkDispatcher } from '../../src/link/dispatcher.js';
import { ipv4UdpFrame } from '../../src/packet/index.js';
import { CHAIN_WILDCARD } from '../../src/runtime/chain.js';
import type { Program } from '../../src/runtime/program.js';
import { Runtime } from '../../src/runtime/runtime.js';
import type { CollectionSpec } from '../../src/object-spec/collection-spec.js';
import type { EngineName } from '../../src/vm/engine.js';
import { benchCoreRelocation } from './core-btf.js';
import { kernelLoadMs, kernelUsable, timeOnKernel, type KernelObjectRun } from './kernel.js';
import { timeColdLoad } from './load-compile.js';
import { measureThroughput } from './throughput.js';

// Compiled to dist-tools/tools/bench/: three folders below the repository.
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const XDP_PASS = 2;

interface Result {
  case: string;
  /** null where no program runs (the kernel BTF parse and CO-RE relocation). */
  engine: EngineName | null;
  /** For one-off cases (load-compile, core-relocate), the whole duration in ns. */
  nsPerPacket: number;
  mpps: number;
  kernelNsPerPacket: number | null;
  ratio: number | null;
  /** What the kernel figure measured, where it is not the same program (the kernel has no chain calls). */
  kernelReference?: string;
  /** Throughput cases: the whole process. */
  wallSeconds?: number;
  peakRssKb?: number | null;
  /** Throughput cases: xdpchain's own rate, start-up left out. */
  processingPacketsPerSecond?: number | null;
  workers?: number | null;
  frames?: number;
}

interface Case {
  name: string;
  /** Build the case on a fresh runtime; returns the program whose test-run is timed. */
  setup(rt: Runtime): Program;
  kernel?: { run: KernelObjectRun; reference?: string };
}

const read = (path: string): CollectionSpec => readCollectionSpec(readFileSync(path), { source: path });
const corpusPath = (name: string): string => join(ROOT, 'progs/build', `${name}.o`);
const BENCH_OBJECT = join(ROOT, 'bench/progs/bench.o');

/** Median of `rounds` test-runs of `repeat` packets each, in ns per packet. */
function timeHere(rt: Runtime, prog: Program, data: Uint8Array, repeat: number, rounds: number): number {
  // A whole untimed round first: V8 optimises the run loop and the wasm tiers up.
  rt.testRun(prog, { data, repeat });
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) times.push(rt.testRun(prog, { data, repeat }).durationNs);
  return median(times) ?? NaN;
}

/** The middle value (the upper one of an even count), or null for none. */
function median(xs: number[]): number | null {
  return xs.length === 0 ? null : [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
}

function cases(packet: Uint8Array, repeat: number, tmp: string): Case[] {
  const bench = (rt: Runtime) => rt.loadCollection(read(BENCH_OBJECT));
  const kernelTail = { object: BENCH_OBJECT, setup: ['bpftool map update pinned "$M/jump" key 0 0 0 0 value pinned "$P/xdp_bench_drop"'], jobs: [{ program: 'xdp_bench_tail', data: packet, repeat }] };
  /** pass → drop by a chain call on `retcode` (the kernel runs the tail-call equivalent). */
  const chainCase = (name: string, retcode: number): Case => ({
    name,
    setup: (rt) => {
      const c = bench(rt);
      rt.chains.add(c.program('xdp_bench_pass'), retcode, c.program('xdp_bench_drop'));
      return c.program('xdp_bench_pass');
    },
    kernel: { run: kernelTail, reference: 'kernel: pass → drop by tail call (the kernel has no chain calls)' },
  });
  const out: Case[] = [
    { name: 'drop', setup: (rt) => bench(rt).program('xdp_bench_drop'), kernel: { run: { object: BENCH_OBJECT, jobs: [{ program: 'xdp_bench_drop', data: packet, repeat }] } } },
    chainCase('chain-pass-drop', XDP_PASS),
    chainCase('chain-any-drop', CHAIN_WILDCARD),
    {
      name: 'tailcall-pass-drop',
      setup: (rt) => {
        const c = bench(rt);
        const drop = c.program('xdp_bench_drop');
        const id = new Uint8Array(new Uint32Array([drop.id]).buffer);
        c.map('jump').update(new Uint8Array(4), id);
        return c.program('xdp_bench_tail');
      },
      kernel: { run: kernelTail },
    },
  ];

  const dispatcherCase = (name: string, objects: string[]): Case => {
    const linked = join(tmp, `${name}.o`);
    writeFileSync(linked, linkDispatcher(objects.map((o) => ({ spec: read(corpusPath(o)) }))));
    return {
      name,
      setup: (rt) => {
        const dev = rt.fabric.add('eth0');
        const programs = objects.map((o) => {
          const c = rt.loadCollection(read(corpusPath(o)));
          return [...c.programs.values()].find((p) => p.spec.type === 'xdp')!;
        });
        return rt.dispatchers.add(dev, programs.map((program) => ({ program }))).dispatcher!;
      },
      kernel: { run: { object: linked, jobs: [{ program: 'xdp_dispatcher', data: packet, repeat }] }, reference: 'kernel: the same components statically linked behind the dispatcher (xdpchain link --dispatcher)' },
    };
  };
  out.push(dispatcherCase('dispatcher-2', ['xdp_pass', 'xdp_drop']));
  out.push(dispatcherCase('dispatcher-10', ['ipv6_blocker', 'firewall', 'udp_counter', 'proto_counters', 'port_acl', 'ttl_guard', 'parser', 'lpm_filter', 'nat', 'xdp_pass']));

  for (const file of readdirSync(join(ROOT, 'progs/build')).filter((f) => f.endsWith('.o')).sort()) {
    const spec = read(join(ROOT, 'progs/build', file));
    for (const p of spec.programs.values()) {
      if (p.type !== 'xdp' || p.sectionName.startsWith('xdp/')) continue;
      // Metadata kfunc callers load only bound to a device, and the kernel does not test-run those.
      if (p.references.some((r) => r.kind === 'kfunc' && r.name.startsWith('bpf_xdp_metadata_rx_'))) continue;
      out.push({
        name: `prog:${file.replace(/\.o$/, '')}/${p.name}`,
        setup: (rt) => rt.loadCollection(read(join(ROOT, 'progs/build', file))).program(p.name),
        kernel: { run: { object: join(ROOT, 'progs/build', file), jobs: [{ program: p.name, data: packet, repeat }] } },
      });
    }
  }
  return out;
}

/** Bytes the kernel would give an object's maps (values rounded to 8, keys for hashes), roughly. */
function mapBytes(spec: ReturnType<typeof read>): number {
  let n = 0;
  for (const m of spec.maps.values()) n += m.maxEntries * (Math.ceil(m.valueSize / 8) * 8 + (m.type === 'array' || m.type === 'percpu_array' ? 0 : m.keySize));
  return n;
}

/** A program whose load and compile the bench times. */
interface LoadCase {
  path: string;
  program: string;
  insns: number;
  mapBytes: number;
}

function largestBy(score: (p: LoadCase) => number): LoadCase {
  let best: LoadCase = { path: '', program: '', insns: 0, mapBytes: 0 };
  for (const file of readdirSync(join(ROOT, 'progs/build')).filter((f) => f.endsWith('.o'))) {
    const path = join(ROOT, 'progs/build', file);
    const spec = read(path);
    for (const p of spec.programs.values()) {
      const candidate = { path, program: p.name, insns: p.instructions.length, mapBytes: mapBytes(spec) };
      if (p.type === 'xdp' && score(candidate) > score(best)) best = candidate;
    }
  }
  return best;
}

/** `--object FILE --prog NAME`: a user's own program to time (an XDP program of the object when no name is given). */
function userLoadCase(path: string, program: string | undefined): LoadCase {
  const spec = read(path);
  const p = program ? spec.programs.get(program) : [...spec.programs.values()].find((x) => x.type === 'xdp');
  if (!p) throw new XdpchainError('ENOENT', `${path} has no ${program ? `program ${program}` : 'XDP program'} (programs: ${[...spec.programs.keys()].join(', ')})`);
  return { path, program: p.name, insns: p.instructions.length, mapBytes: mapBytes(spec) };
}

const largestProgram = () => largestBy((p) => p.insns);
const largestMaps = () => largestBy((p) => p.mapBytes);

/**
 * Parse /sys/kernel/btf/vmlinux and relocate core_layout_b.o against it, first of all so that
 * the first round runs code as cold as a CLI invocation does; prints its line right away.
 */
function coreRelocationResults(rounds: number): Result[] {
  const object = join(ROOT, 'test/fixtures/core/build/core_layout_b.o');
  const r = benchCoreRelocation(object, 'core_layout', rounds);
  if (typeof r === 'string') {
    console.log(`kernel BTF parse + CO-RE relocation: not measured (${r})\n`);
    return [];
  }
  const ms = (t: { parseMs: number; relocateMs: number }): string => `parse ${t.parseMs.toFixed(1)} ms + relocate ${t.relocateMs.toFixed(1)} ms`;
  console.log(`kernel BTF parse + CO-RE relocation of core_layout_b.o (${r.relocations} relocations): first ${ms(r.first)}; median of ${rounds}: ${ms(r.median)}\n`);
  const result = (name: string, msTotal: number): Result => ({ case: name, engine: null, nsPerPacket: msTotal * 1e6, mpps: 0, kernelNsPerPacket: null, ratio: null });
  return [
    result('core-relocate:parse-vmlinux:first', r.first.parseMs), result('core-relocate:relocate-core_layout_b:first', r.first.relocateMs),
    result('core-relocate:parse-vmlinux', r.median.parseMs), result('core-relocate:relocate-core_layout_b', r.median.relocateMs),
  ];
}

/**
 * The throughput bench: its rows replace the `throughput:` results in `out`, the others stay.
 * Ratios are against tcpdump's whole process, measured in the same run.
 */
function throughputMain(frames: number, rounds: number, out: string): void {
  const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, Node ${process.version}`;
  console.log(`machine: ${machine}`);
  console.log(`capture: ${frames.toLocaleString('en-US')} frames of 64 bytes; whole processes, the median of ${rounds} runs each\n`);
  const rows = measureThroughput(ROOT, frames, rounds, (line) => console.log(line));
  const reference = rows.find((r) => r.name === 'tcpdump');
  const results: Result[] = rows.map((r) => ({
    case: `throughput:${r.name}`,
    engine: r.workers === null ? null : 'wasm',
    nsPerPacket: (r.timing.wallSeconds * 1e9) / r.frames,
    mpps: r.frames / r.timing.wallSeconds / 1e6,
    kernelNsPerPacket: reference ? (reference.timing.wallSeconds * 1e9) / reference.frames : null,
    ratio: reference ? r.timing.wallSeconds / reference.timing.wallSeconds : null,
    kernelReference: reference ? `whole process of ${reference.command}` : 'none: tcpdump missing',
    wallSeconds: r.timing.wallSeconds,
    peakRssKb: r.timing.peakRssKb,
    processingPacketsPerSecond: r.processingPacketsPerSecond,
    workers: r.workers,
    frames: r.frames,
  }));
  if (reference) for (const r of results.filter((x) => x.engine)) console.log(`${r.case.replace('throughput:', '').padEnd(24)} ${r.ratio!.toFixed(2)}× tcpdump's whole process`);
  let kept: Result[] = [];
  try {
    kept = (JSON.parse(readFileSync(out, 'utf8')) as Result[]).filter((r) => !r.case.startsWith('throughput:'));
  } catch {
    kept = [];
  }
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify([...kept, ...results], null, 2)}\n`);
  console.log(`wrote ${out} (${results.length} throughput results beside ${kept.length} others)`);
}

const fmt = (n: number | null, digits = 1): string => (n === null ? '—' : n.toFixed(digits));

function main(): void {
  const opts = new Command('bench')
    .description('time xdpchain (wasm, interp) against the kernel\'s BPF_PROG_TEST_RUN and write bench/results.json')
    .option('--repeat <n>', 'packets per timed test-run', '200000')
    .option('--rounds <n>', 'timed test-runs per case (the median counts)', '5')
    .option('--filter <text>', 'only cases whose name contains this')
    .option('--no-kernel', 'skip the kernel measurements')
    .option('--out <file>', 'where to write the JSON results', join(ROOT, 'bench/results.json'))
    .option('--object <file>', 'also time load+compile of a program of this object (yours: e.g. a load balancer whose maps are >= 256 MiB)')
    .option('--prog <name>', 'the program of --object (default: its first XDP program)')
    .option('--throughput', 'instead: whole processes over a capture, xdpchain run against tcpdump -r (replaces the throughput results in --out)')
    .option('--frames <n>', 'frames in the --throughput capture', '1000000')
    .parse()
    .opts<{ repeat: string; rounds: string; filter?: string; kernel: boolean; out: string; object?: string; prog?: string; throughput?: boolean; frames: string }>();
  if (opts.throughput) {
    throughputMain(Number(opts.frames), Number(opts.rounds), opts.out);
    return;
  }
  const repeat = Number(opts.repeat);
  const rounds = Number(opts.rounds);
  const packet = ipv4UdpFrame();
  const tmp = mkdtempSync(join(tmpdir(), 'xdpchain-bench-'));
  const kernel = opts.kernel ? kernelUsable() : { usable: false, reason: '--no-kernel' };
  const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, Node ${process.version}`;
  console.log(`machine: ${machine}`);
  // `npm run bench` compiles wasm with the optimising tier only: a test-run's single long loop
  // would otherwise be timed partly in baseline code (the kernel too times JIT-compiled code).
  console.log(`node flags: ${process.execArgv.join(' ') || '(none: wasm may be timed in baseline code; use npm run bench)'}`);
  console.log('wasm: timed in steady state, each case\'s programs and batch driver compiled into one module (a batch graph) in the untimed first round');
  console.log(`kernel: ${kernel.usable ? 'bpftool prog run, pinned to CPU 0' : `not measured (${kernel.reason})`}`);
  console.log(`packet: ${packet.length}-byte IPv4/UDP; ${repeat} packets per test-run, median of ${rounds} (kernel: of ${rounds} before ours and ${rounds} after)\n`);
  const results: Result[] = [];
  try {
    if (!opts.filter || 'core-relocate'.includes(opts.filter)) results.push(...coreRelocationResults(rounds));
    const all = cases(packet, repeat, tmp).filter((c) => !opts.filter || c.name.includes(opts.filter));
    const header = `${'case'.padEnd(44)} ${'wasm ns'.padStart(9)} ${'interp ns'.padStart(10)} ${'kernel ns'.padStart(10)} ${'wasm/kernel'.padStart(12)}`;
    console.log(header);
    all.forEach((c, i) => {
      process.stderr.write(`[${i + 1}/${all.length}] ${c.name}\r`);
      // The kernel's figure: the median of `rounds` test-runs before ours and `rounds` after, each
      // batch in one bpftool session, so that a slow spell of this shared machine weighs on both sides alike.
      const kernelRun = (): (number | null)[] => (kernel.usable && c.kernel ? timeOnKernel({ ...c.kernel.run, jobs: Array.from({ length: rounds }, () => c.kernel!.run.jobs).flat() }) : []);
      const kernelBefore = kernelRun();
      const row: Record<string, number> = {};
      for (const engine of ['wasm', 'interp'] as const) {
        // Steady state: the untimed round compiles the case's batch graph (programs and driver in one module).
        const rt = new Runtime({ engine, possibleCpus: 1, statsTiming: false, graphAfterPackets: 0 });
        const prog = c.setup(rt);
        row[engine] = timeHere(rt, prog, packet, engine === 'interp' ? Math.max(1000, Math.floor(repeat / 10)) : repeat, rounds);
        if (engine === 'wasm') kernelBefore.push(...kernelRun());
      }
      const kernelNs = median(kernelBefore.filter((t): t is number => t !== null));
      for (const engine of ['wasm', 'interp'] as const) {
        const ns = row[engine];
        const r: Result = { case: c.name, engine, nsPerPacket: ns, mpps: 1000 / ns, kernelNsPerPacket: kernelNs, ratio: kernelNs ? ns / kernelNs : null };
        if (c.kernel?.reference) r.kernelReference = c.kernel.reference;
        results.push(r);
      }
      console.log(`${c.name.padEnd(44)} ${fmt(row.wasm).padStart(9)} ${fmt(row.interp).padStart(10)} ${fmt(kernelNs).padStart(10)} ${(kernelNs ? `${(row.wasm / kernelNs).toFixed(2)}×` : '—').padStart(12)}`);
    });

    if (!opts.filter || 'load-compile'.includes(opts.filter)) {
      // The program with the most instructions and the object with the largest maps (a production
      // balancer's 268 MB ring), and --object's: as a user meets them (a fresh process with Node's
      // default flags, compiled on first run), then with the batch graph compiled too; against the
      // kernel's `bpftool prog loadall` of the same object.
      const own = [largestProgram(), largestMaps(), ...(opts.object ? [userLoadCase(opts.object, opts.prog)] : [])];
      const cases = own.filter((c, i, all) => all.findIndex((o) => o.path === c.path && o.program === c.program) === i);
      for (const big of cases) {
        const path = big.path;
        const file = basename(path);
        const kernelMs = kernel.usable ? kernelLoadMs(path) : null;
        const variants = [['wasm', undefined], ['wasm', 0], ['interp', undefined]] as const;
        for (const [engine, graphAfterPackets] of variants) {
          const t = timeColdLoad(path, big.program, engine, graphAfterPackets);
          const graph = graphAfterPackets === 0 ? '+graph' : '';
          results.push({ case: `load-compile${graph}:${file.replace(/\.o$/, '')}/${big.program}`, engine, nsPerPacket: t.totalMs * 1e6, mpps: 0, kernelNsPerPacket: kernelMs === null ? null : kernelMs * 1e6, ratio: kernelMs ? t.totalMs / kernelMs : null });
          const parts = `parse ${t.parseMs.toFixed(1)} + load ${t.loadMs.toFixed(1)} + ${engine === 'wasm' ? 'compile and ' : ''}first run ${t.firstRunMs.toFixed(1)}`;
          console.log(`load+compile${graph ? ' (with batch graph)' : ''}+first run ${file} (${big.program}, ${big.insns} insns, maps ${(big.mapBytes / 2 ** 20).toFixed(0)} MiB) on ${engine}: ${t.totalMs.toFixed(1)} ms (${parts})${kernelMs === null ? '' : `; kernel (bpftool prog loadall): ${kernelMs.toFixed(1)} ms`}`);
        }
      }
    }

    const wasm = (name: string) => results.find((r) => r.case === name && r.engine === 'wasm');
    const drop = wasm('drop');
    const chain = wasm('chain-pass-drop');
    const any = wasm('chain-any-drop');
    if (drop && chain && any) {
      console.log(`\nchain-call overhead per extra program (wasm): ${(chain.nsPerPacket - drop.nsPerPacket).toFixed(1)} ns on XDP_PASS, ${(any.nsPerPacket - drop.nsPerPacket).toFixed(1)} ns by wildcard`);
    }
    const own = results.filter((r) => r.engine === 'wasm' && r.case.startsWith('prog:') && r.ratio !== null);
    if (own.length > 0) {
      const geo = Math.exp(own.reduce((s, r) => s + Math.log(r.ratio!), 0) / own.length);
      console.log(`geometric mean wasm/kernel over ${own.length} own programs: ${geo.toFixed(2)}`);
    }
    mkdirSync(dirname(opts.out), { recursive: true });
    writeFileSync(opts.out, `${JSON.stringify(results, null, 2)}\n`);
    console.log(`wrote ${opts.out} (${results.length} results; machine: ${machine})`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

main();
