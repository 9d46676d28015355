/**
 * Golden files: what the kernel answered for each scenario, in test/golden/<scenario>.json.
 *
 * For comparing xdpchain's runtime against the kernel, use `loadGoldenCases()`: it returns every
 * scenario with its golden file, after checking that the golden file was recorded from the
 * object now in progs/build (same sha256) and for the same packets, so a stale golden file fails
 * loudly instead of comparing against the wrong answers. Run the scenario's program on each
 * `scenario.packets[i]` (fresh load, `setup` applied, `ctx` and `repeat` honoured) and compare
 * the result with `golden.cases[i].result` using `diffCaseResults`.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, sha256File } from './kernel-oracle.js';
import { maskedChecksumProblems, maskHex, type ByteMask } from '../../src/packet/mask.js';
import type { CaseResult, GoldenFile, MapDump, Scenario } from './scenario.js';
import { allScenarios } from './scenarios/index.js';

export function goldenDir(): string {
  return join(repoRoot(), 'test', 'golden');
}

export function goldenPath(scenario: string): string {
  return join(goldenDir(), `${scenario}.json`);
}

export function readGolden(scenario: string): GoldenFile | undefined {
  const path = goldenPath(scenario);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as GoldenFile) : undefined;
}

/** Names of all golden files present. */
export function goldenNames(): string[] {
  if (!existsSync(goldenDir())) return [];
  return readdirSync(goldenDir())
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

/** Pretty JSON with each map entry on one line, so diffs of re-recorded files stay readable. */
export function formatGolden(g: GoldenFile): string {
  const text = JSON.stringify(g, null, 2);
  const oneLine = (m: string) =>
    m
      .replace(/\s*\n\s*/g, ' ')
      .replace(/\[ /g, '[')
      .replace(/ \]/g, ']');
  return `${text.replace(/\{\s*"key": "[0-9a-f]*",\s*"values?": (?:"[0-9a-f]*"|\[[^\]]*\])\s*\}/g, oneLine).replace(/"ctxOut": \{[^}]*\}/g, oneLine)}\n`;
}

export function writeGolden(g: GoldenFile): void {
  writeFileSync(goldenPath(g.scenario), formatGolden(g));
}

/** Why a golden file does not fit its scenario, or [] when it does. */
export function goldenProblems(s: Scenario, g: GoldenFile | undefined): string[] {
  if (!g) return [`${s.name}: no golden file ${goldenPath(s.name)}; record it with XDPCHAIN_RECORD_GOLDEN=1 npx vitest run test/differential`];
  const problems: string[] = [];
  const objectPath = join(repoRoot(), s.object);
  if (!existsSync(objectPath)) problems.push(`${s.name}: object ${s.object} does not exist`);
  else if (sha256File(objectPath) !== g.objectSha256) {
    problems.push(`${s.name}: ${s.object} changed since the golden file was recorded (sha256 differs): re-record it`);
  }
  if (g.scenario !== s.name || g.object !== s.object || g.program !== s.program) {
    problems.push(`${s.name}: golden file is for ${g.scenario} (${g.object}, ${g.program})`);
  }
  const want = s.packets.map((p) => p.name).join(', ');
  const have = g.cases.map((c) => c.packet).join(', ');
  if (want !== have) problems.push(`${s.name}: golden packets [${have}] differ from the scenario's [${want}]: re-record`);
  return problems;
}

/**
 * Every scenario paired with its golden file — the input for comparing xdpchain's runtime with
 * the kernel. Throws when any golden file is missing or stale (object rebuilt, packets changed).
 */
export function loadGoldenCases(): { scenario: Scenario; golden: GoldenFile }[] {
  const out: { scenario: Scenario; golden: GoldenFile }[] = [];
  const problems: string[] = [];
  for (const scenario of allScenarios()) {
    const golden = readGolden(scenario.name);
    const p = goldenProblems(scenario, golden);
    if (p.length > 0 || !golden) problems.push(...p);
    else out.push({ scenario, golden });
  }
  if (problems.length > 0) throw new Error(`golden files do not match the scenarios:\n${problems.join('\n')}`);
  return out;
}

function percpuNormalised(values: string[], cpus: number): string[] {
  return Array.from({ length: cpus }, (_, i) => values[i] ?? values[0].replace(/./g, '0'));
}

function diffMap(name: string, expected: MapDump, actual: MapDump): string[] {
  const out: string[] = [];
  const a = new Map(actual.map((e) => [e.key, e]));
  const e = new Map(expected.map((x) => [x.key, x]));
  for (const [key, want] of e) {
    const got = a.get(key);
    if (!got) {
      out.push(`map ${name} key ${key}: missing (expected ${want.value ?? want.values?.join('/')})`);
      continue;
    }
    if (want.values || got.values) {
      // Machines may differ in CPU count: compare CPU by CPU, missing CPUs count as zero.
      const n = Math.max(want.values?.length ?? 0, got.values?.length ?? 0);
      const w = percpuNormalised(want.values ?? [], n).join('/');
      const g = percpuNormalised(got.values ?? [], n).join('/');
      if (w !== g) out.push(`map ${name} key ${key}: per-CPU values ${g}, expected ${w}`);
    } else if (want.value !== got.value) {
      out.push(`map ${name} key ${key}: value ${got.value}, expected ${want.value}`);
    }
  }
  for (const key of a.keys()) if (!e.has(key)) out.push(`map ${name} key ${key}: unexpected entry ${a.get(key)!.value ?? ''}`);
  return out;
}

/**
 * Differences between an expected and an actual result, readable; [] when they agree. `masks`
 * (the case's `mask`) leaves those output bytes out, and reports wrong checksums on either side
 * when a mask hides a checksum.
 */
export function diffCaseResults(expected: CaseResult, actual: CaseResult, masks: readonly ByteMask[] = []): string[] {
  if ('error' in expected || 'error' in actual) {
    const e = 'error' in expected ? `error ${expected.error}` : `retval ${expected.retval}`;
    const a = 'error' in actual ? `error ${actual.error}` : `retval ${actual.retval}`;
    return e === a ? [] : [`got ${a}, expected ${e}`];
  }
  const out: string[] = [];
  if (expected.retval !== actual.retval) out.push(`retval ${actual.retval}, expected ${expected.retval}`);
  const want = maskHex(expected.dataOut, masks);
  const got = maskHex(actual.dataOut, masks);
  if (want !== got) {
    let i = 0;
    while (i < want.length && want[i] === got[i]) i++;
    out.push(
      `output frame differs from byte ${i >> 1} (lengths ${got.length / 2} vs expected ${want.length / 2}): ` +
        `…${got.slice(i & ~1, (i & ~1) + 32)} vs …${want.slice(i & ~1, (i & ~1) + 32)}`,
    );
  }
  for (const p of maskedChecksumProblems(actual.dataOut, masks)) out.push(`output frame: ${p} (the checksum is masked, but must be right)`);
  for (const p of maskedChecksumProblems(expected.dataOut, masks)) out.push(`expected output frame: ${p} (the checksum is masked, but must be right)`);
  if (JSON.stringify(expected.ctxOut) !== JSON.stringify(actual.ctxOut)) {
    out.push(`ctx out ${JSON.stringify(actual.ctxOut)}, expected ${JSON.stringify(expected.ctxOut)}`);
  }
  if (expected.conntrack || actual.conntrack) {
    const want = new Set(expected.conntrack ?? []);
    const got = new Set(actual.conntrack ?? []);
    for (const line of want) if (!got.has(line)) out.push(`conntrack: missing entry ${line}`);
    for (const line of got) if (!want.has(line)) out.push(`conntrack: unexpected entry ${line}`);
  }
  const names = new Set([...Object.keys(expected.maps), ...Object.keys(actual.maps)]);
  for (const n of [...names].sort()) {
    if (!(n in actual.maps)) out.push(`map ${n}: not dumped`);
    else if (!(n in expected.maps)) out.push(`map ${n}: dumped but not in the golden file`);
    else out.push(...diffMap(n, expected.maps[n], actual.maps[n]));
  }
  return out;
}
