/**
 * Load + compile + first run of one program, timed in a fresh Node process with Node's default
 * flags: what a user meets when a CLI command loads an object (cold code, V8's baseline wasm tier
 * first). The bench's own process runs with --no-liftoff for steady-state timing and has warmed
 * up every code path, so timing loads there would measure neither.
 *
 * Run as `node load-compile.js OBJECT PROGRAM ENGINE GRAPH_AFTER`; prints one JSON line.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readCollectionSpec } from '../../src/elf/index.js';
import { XdpchainError } from '../../src/errors/index.js';
import { ipv4UdpFrame } from '../../src/packet/index.js';
import { Runtime } from '../../src/runtime/runtime.js';
import type { EngineName } from '../../src/vm/engine.js';

/** What one cold load measured, in milliseconds. */
export interface LoadCompileTiming {
  /** Reading the file and parsing the ELF object. */
  parseMs: number;
  /** Creating maps, resolving and preparing the program (Runtime.loadCollection). */
  loadMs: number;
  /** The first test-run: the wasm engine compiles here (the interpreter only runs). */
  firstRunMs: number;
  totalMs: number;
}

/** Time one cold load in a child process with Node's default flags. */
export function timeColdLoad(object: string, program: string, engine: EngineName, graphAfterPackets: number | undefined): LoadCompileTiming {
  const script = fileURLToPath(import.meta.url);
  const r = spawnSync(process.execPath, [script, object, program, engine, String(graphAfterPackets ?? '')], { encoding: 'utf8' });
  if (r.status !== 0) throw new XdpchainError('EINVAL', `timing the load of ${program} in ${object} failed (exit ${r.status}): ${r.stderr.trim().split('\n')[0]}`);
  return JSON.parse(r.stdout) as LoadCompileTiming;
}

function measure(object: string, program: string, engine: EngineName, graphAfterPackets: number | undefined): LoadCompileTiming {
  const ms = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e6;
  const started = process.hrtime.bigint();
  const spec = readCollectionSpec(new Uint8Array(readFileSync(object)), { source: object });
  const parseMs = ms(started);
  const loading = process.hrtime.bigint();
  const rt = new Runtime({ engine, possibleCpus: 1, graphAfterPackets });
  const prog = rt.loadCollection(spec, { programs: [program] }).program(program);
  const loadMs = ms(loading);
  const running = process.hrtime.bigint();
  rt.testRun(prog, { data: ipv4UdpFrame() });
  return { parseMs, loadMs, firstRunMs: ms(running), totalMs: ms(started) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [object, program, engine, graph] = process.argv.slice(2);
  process.stdout.write(JSON.stringify(measure(object, program, engine as EngineName, graph === '' ? undefined : Number(graph))) + '\n');
}
