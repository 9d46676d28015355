import { Command } from 'commander';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { EngineName } from '../../src/index.js';
import { compareProgram, type ProgramVerdict } from './compare.js';
import type { ObjectGolden } from './golden.js';
import { buildOracle, recordObject, sha256File } from './kernel.js';
import { programLines, summarize, summaryLines, type CorpusSummary } from './report.js';
import { readManifest, type ResolvedObject } from './resolve.js';
import { runOnXdpchain, SPEC_EDITS } from './xdpchain.js';

interface Options {
  manifest: string;
  record?: boolean;
  engine?: EngineName;
  json?: string | boolean;
  only?: string;
  maxDiffs: string;
  maxDataBytes?: string;
}

function goldenPath(baseDir: string, id: string): string {
  return join(baseDir, 'golden', `${id}.json`);
}

function record(objects: ResolvedObject[], baseDir: string): void {
  const oracle = buildOracle();
  for (const o of objects) {
    const golden = recordObject(oracle, o, (line) => console.log(line));
    const path = goldenPath(baseDir, o.id);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, JSON.stringify(golden, null, 1) + '\n');
  }
}

function readGolden(baseDir: string, o: ResolvedObject, warn: (s: string) => void): ObjectGolden | undefined {
  const path = goldenPath(baseDir, o.id);
  if (!existsSync(path)) return undefined;
  const g = JSON.parse(readFileSync(path, 'utf8')) as ObjectGolden;
  if (g.objectSha256 !== sha256File(o.path)) warn(`${o.id}: the object changed since its golden file was recorded; re-run with --record`);
  return g;
}

function compare(objects: ResolvedObject[], baseDir: string, engine: EngineName, opts: Options, print: boolean): { verdicts: ProgramVerdict[]; summary: CorpusSummary } {
  const verdicts: ProgramVerdict[] = [];
  for (const o of objects) {
    const golden = readGolden(baseDir, o, (w) => console.error(`warning: ${w}`));
    for (const run of o.runs) {
      const v = compareProgram(golden, o.project, o.id, run.program, () => runOnXdpchain(o, run, engine, golden?.possibleCpus ?? 2, opts.maxDataBytes ? Number(opts.maxDataBytes) : undefined), { maps: new Set(o.ignoreMaps), keys: o.ignoreKeys, bytes: o.ignoreBytes });
      verdicts.push(v);
      if (print) for (const line of programLines(v, Number(opts.maxDiffs))) console.log(line);
    }
  }
  return { verdicts, summary: summarize(verdicts) };
}

function main(): void {
  const program = new Command()
    .name('corpus')
    .description('Run a corpus of XDP objects on the kernel (--record) or on xdpchain, compared with the kernel')
    .requiredOption('--manifest <path>', 'corpus manifest (JSON, see tools/corpus/manifest.ts)')
    .option('--record', 'run the kernel oracle and write golden/<object id>.json next to the manifest')
    .option('--engine <engine>', 'only this engine (wasm or interp); default both')
    .option('--only <text>', 'only objects whose id contains this text')
    .option('--json [path]', 'write the verdicts and summaries as one JSON object (to stdout, or to path)')
    .option('--max-diffs <n>', 'differences shown per packet', '4')
    .option('--max-data-bytes <n>', "xdpchain's memory for maps and packets (RuntimeOptions.maxDataBytes; default the runtime's)")
    .parse();
  const opts = program.opts<Options>();
  const { baseDir, objects: all } = readManifest(opts.manifest);
  const objects = opts.only ? all.filter((o) => o.id.includes(opts.only!)) : all;
  if (opts.record) {
    record(objects, baseDir);
    return;
  }
  const engines: EngineName[] = opts.engine ? [opts.engine] : ['wasm', 'interp'];
  const jsonToStdout = opts.json === true;
  const results: Record<string, { summary: CorpusSummary; programs: ProgramVerdict[] }> = {};
  for (const engine of engines) {
    if (!jsonToStdout) console.log(`# engine ${engine}`);
    const r = compare(objects, baseDir, engine, opts, !jsonToStdout);
    results[engine] = { summary: r.summary, programs: r.verdicts };
    if (!jsonToStdout) for (const line of summaryLines(engine, r.summary)) console.log(line);
  }
  if (!jsonToStdout) console.log(`(load options applied by editing the spec: ${SPEC_EDITS.join('; ')})`);
  if (opts.json) {
    const text = JSON.stringify({ manifest: opts.manifest, specEdits: SPEC_EDITS, engines: results }, null, 1) + '\n';
    if (jsonToStdout) process.stdout.write(text);
    else writeFileSync(opts.json as string, text);
  }
}

main();
