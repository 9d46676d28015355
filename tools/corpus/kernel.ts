import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { XdpchainError } from '../../src/index.js';
import type { ObjectGolden, ProgramGolden } from './golden.js';
import { sha256File } from './hash.js';
import type { ResolvedObject, ResolvedRun } from './resolve.js';

/** tools/oracle, found from this file (tools/corpus/kernel.ts, or its compiled copy). */
function oracleSourceDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'tools', 'oracle');
    try {
      if (statSync(join(candidate, 'xdp-oracle.c')).isFile()) return candidate;
    } catch {
      // not here; look one level up
    }
    dir = dirname(dir);
  }
  throw new XdpchainError('ENOENT', 'tools/oracle/xdp-oracle.c not found above the corpus runner');
}

/**
 * Compile the oracle (tools/oracle/Makefile) into a cache directory keyed by the hash of its
 * sources, so an edited oracle is rebuilt and an unchanged one is not.
 */
export function buildOracle(): string {
  const src = oracleSourceDir();
  const h = createHash('sha256');
  for (const f of readdirSync(src).sort()) h.update(f).update(readFileSync(join(src, f)));
  const hash = h.digest('hex').slice(0, 12);
  const dir = join(tmpdir(), 'xdpchain-oracle');
  mkdirSync(dir, { recursive: true });
  const out = join(dir, `xdp-oracle-${hash}`);
  try {
    statSync(out);
    return out;
  } catch {
    execFileSync('make', ['-s', '-C', src, `OUT=${out}`], { stdio: ['ignore', 'inherit', 'inherit'] });
    return out;
  }
}

/** The oracle's job text for one program of an object (see the comment in xdp-oracle.c). */
export function oracleJob(o: ResolvedObject, run: ResolvedRun): string {
  const lines = [`object ${resolve(o.path)}`];
  for (const p of run.load) lines.push(`${p === run.program ? 'run' : 'load'} ${p}${run.forceXdp ? ' xdp' : ''}`);
  for (const [m, n] of Object.entries(o.maxEntries)) lines.push(`max_entries ${m} ${n}`);
  for (const g of o.globals) lines.push(`global ${g.name} ${g.hex}`);
  for (const s of run.setup) {
    if ('fill' in s) lines.push(`fill ${s.map} ${s.fill.first} ${s.fill.count} ${s.values.join(' ')}`);
    else if ('program' in s) lines.push(`slot ${s.map} ${s.key} ${s.program}`);
    else lines.push(`update ${s.map} ${s.key} ${s.values.join(' ')}`);
  }
  for (const m of o.ignoreMaps) lines.push(`ignore ${m}`);
  for (const p of run.packets) {
    const opts = [];
    if (p.ctx?.dataMeta !== undefined) opts.push(`meta=${p.ctx.dataMeta}`);
    if (p.ctx?.ingressIfindex !== undefined) opts.push(`ifindex=${p.ctx.ingressIfindex}`);
    if (p.ctx?.rxQueueIndex !== undefined) opts.push(`queue=${p.ctx.rxQueueIndex}`);
    if (p.ctx && opts.length === 0) opts.push('meta=0');
    if (p.repeat !== undefined) opts.push(`repeat=${p.repeat}`);
    lines.push(['packet', p.name, p.hex, ...opts].join(' '));
  }
  return lines.join('\n') + '\n';
}

interface OracleOutput extends ProgramGolden {
  kernel: string;
  libbpf: string;
  possibleCpus: number;
}

/** Run one program of an object on the kernel. */
export function runOnKernel(oracle: string, o: ResolvedObject, run: ResolvedRun): OracleOutput {
  const r = spawnSync(oracle, [], { input: oracleJob(o, run), maxBuffer: 1 << 30, encoding: 'utf8' });
  if (r.status !== 0) throw new XdpchainError('EINVAL', `oracle failed on ${o.id} ${run.program} (exit ${r.status}): ${r.stderr.trim() || r.error?.message}`);
  try {
    return JSON.parse(r.stdout) as OracleOutput;
  } catch (e) {
    throw new XdpchainError('EINVAL', `oracle output for ${o.id} ${run.program} is not JSON (${(e as Error).message}): ${r.stdout.slice(0, 200)}`);
  }
}

/** Record every program of an object on the kernel. */
export function recordObject(oracle: string, o: ResolvedObject, progress: (line: string) => void): ObjectGolden {
  const golden: ObjectGolden = {
    id: o.id,
    object: o.path,
    objectSha256: sha256File(o.path),
    kernel: '',
    libbpf: '',
    possibleCpus: 0,
    recorded: new Date().toISOString(),
    programs: {},
  };
  for (const run of o.runs) {
    const started = Date.now();
    const out = runOnKernel(oracle, o, run);
    golden.kernel = out.kernel;
    golden.libbpf = out.libbpf;
    golden.possibleCpus = out.possibleCpus;
    golden.programs[run.program] = { load: out.load, cases: out.cases };
    progress(
      `${o.id} ${run.program}: ${'ok' in out.load ? `${out.cases.length} packets` : `kernel refuses: ${out.load.loadError}`} (${Date.now() - started} ms)`,
    );
  }
  return golden;
}
