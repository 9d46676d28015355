import { Command } from 'commander';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { EngineName } from '../../src/index.js';
import { compareProgram, type ProgramVerdict } from './compare.js';
import { goldenPath, readGolden } from './golden.js';
import { buildOracle, recordObject } from './kernel.js';
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
  goldenDir?: string;
}

function record(objects: ResolvedObject[], goldenDir: string): void {
  const oracle = buildOracle();
  for (const o of objects) {
    const golden = recordObject(oracle, o, (line) => console.log(line));
    const path = goldenPath(goldenDir, o.id);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, JSON.stringify(golden, null, 1) + '\n');
  }
}

function compare(
  objects: ResolvedObject[],
  goldenDir: string,
  engine: EngineName,
  opts: Options,
  print: boolean,
): { verdicts: ProgramVerdict[]; summary: CorpusSummary } {
  const verdicts: ProgramVerdict[] = [];
  for (const o of objects) {
    const golden = readGolden(goldenDir, o.id, o.path, (w) => console.error(`warning: ${w}`));
    for (const run of o.runs) {
      const v = compareProgram(
        golden,
        o.project,
        o.id,
        run.program,
        () => runOnXdpchain(o, run, engine, golden?.possibleCpus ?? 2, opts.maxDataBytes ? Number(opts.maxDataBytes) : undefined),
        { maps: new Set(o.ignoreMaps), keys: o.ignoreKeys, bytes: o.ignoreBytes },
      );
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
    .option('--golden-dir <dir>', 'where golden files are written (--record) and read (default: golden/ next to the manifest)')
    .addHelpText(
      'after',
      '\nExit status: 0 when every program the kernel loads loads on xdpchain and every packet matches; 1 otherwise;\n2 when an object of the manifest is missing.',
    )
    .parse();
  const opts = program.opts<Options>();
  const { baseDir, requires, objects: all } = readManifest(opts.manifest);
  const goldenDir = opts.goldenDir ? resolve(opts.goldenDir) : join(baseDir, 'golden');
  const objects = opts.only ? all.filter((o) => o.id.includes(opts.only!)) : all;
  const missing = objects.filter((o) => !existsSync(o.path));
  if (missing.length > 0) {
    console.error(
      `ENOENT: ${missing.length} object(s) of ${opts.manifest} missing: ${missing.map((o) => o.path).join(', ')}${requires ? `\n${requires}` : ''}`,
    );
    process.exitCode = 2;
    return;
  }
  if (opts.record) {
    record(objects, goldenDir);
    return;
  }
  const engines: EngineName[] = opts.engine ? [opts.engine] : ['wasm', 'interp'];
  const jsonToStdout = opts.json === true;
  const results: Record<string, { summary: CorpusSummary; programs: ProgramVerdict[] }> = {};
  for (const engine of engines) {
    if (!jsonToStdout) console.log(`# engine ${engine}`);
    const r = compare(objects, goldenDir, engine, opts, !jsonToStdout);
    results[engine] = { summary: r.summary, programs: r.verdicts };
    if (!jsonToStdout) for (const line of summaryLines(engine, r.summary)) console.log(line);
  }
  if (!jsonToStdout) console.log(`(load options applied by editing the spec: ${SPEC_EDITS.join('; ')})`);
  if (opts.json) {
    const text = JSON.stringify({ manifest: opts.manifest, specEdits: SPEC_EDITS, engines: results }, null, 1) + '\n';
    if (jsonToStdout) process.stdout.write(text);
    else writeFileSync(opts.json as string, text);
  }
  const clean = (s: CorpusSummary) => s.programsNeverLoaded === 0 && s.runsMismatched === 0 && s.programsWithoutGolden === 0;
  if (!Object.values(results).every((r) => clean(r.summary))) process.exitCode = 1;
}

main();
