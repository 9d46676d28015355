import type { ProgramVerdict } from './compare.js';

/** Counts for one engine over the whole corpus. */
export interface CorpusSummary {
  objects: number;
  programs: number;
  programsLoaded: number;
  programsNeverLoaded: number;
  programsKernelRefuses: number;
  programsWithoutGolden: number;
  runsMatched: number;
  runsMismatched: number;
  /** Packets of programs that the kernel ran but xdpchain never loaded. */
  runsNeverLoaded: number;
  /** Programs that never loaded, by the first line of xdpchain's error. */
  neverLoadedBy: { error: string; programs: string[] }[];
  /** Programs the kernel refused, by the first line of the kernel's error. */
  kernelRefusesBy: { error: string; programs: string[] }[];
}

function groupBy(verdicts: ProgramVerdict[]): { error: string; programs: string[] }[] {
  const groups = new Map<string, string[]>();
  for (const v of verdicts) {
    const key = `${v.errno ?? ''}: ${v.error ?? ''}`;
    groups.set(key, [...(groups.get(key) ?? []), `${v.object} ${v.program}`]);
  }
  return [...groups].map(([error, programs]) => ({ error, programs })).sort((a, b) => b.programs.length - a.programs.length);
}

/** Add up the verdicts of one engine. */
export function summarize(verdicts: ProgramVerdict[]): CorpusSummary {
  const by = (s: ProgramVerdict['status']) => verdicts.filter((v) => v.status === s);
  const loaded = by('loaded');
  const never = by('never-loaded');
  return {
    objects: new Set(verdicts.map((v) => v.object)).size,
    programs: verdicts.length,
    programsLoaded: loaded.length,
    programsNeverLoaded: never.length,
    programsKernelRefuses: by('kernel-refuses').length,
    programsWithoutGolden: by('no-golden').length,
    runsMatched: loaded.reduce((n, v) => n + v.packets.filter((p) => p.match).length, 0),
    runsMismatched: loaded.reduce((n, v) => n + v.packets.filter((p) => !p.match).length, 0),
    runsNeverLoaded: never.reduce((n, v) => n + v.packets.length, 0),
    neverLoadedBy: groupBy(never),
    kernelRefusesBy: groupBy(by('kernel-refuses')),
  };
}

/** The human-readable lines for one program. */
export function programLines(v: ProgramVerdict, maxDiffs: number): string[] {
  const head = `${v.object} ${v.program}`;
  switch (v.status) {
    case 'no-golden':
      return [`${head}: no golden answers (run with --record)`];
    case 'kernel-refuses':
      return [`${head}: the kernel refuses it (${v.errno}: ${v.error})`];
    case 'never-loaded':
      return [`${head}: NOT LOADED (${v.errno}: ${v.error})`];
    case 'loaded': {
      const matched = v.packets.filter((p) => p.match).length;
      const lines = [`${head}: loaded, ${matched}/${v.packets.length} packets match`];
      for (const p of v.packets.filter((x) => !x.match)) {
        lines.push(`  ${p.packet}: MISMATCH`);
        for (const d of p.diff.slice(0, maxDiffs)) lines.push(`    ${d}`);
        if (p.diff.length > maxDiffs) lines.push(`    … ${p.diff.length - maxDiffs} more differences`);
      }
      return lines;
    }
  }
}

/** The summary as text. */
export function summaryLines(engine: string, s: CorpusSummary): string[] {
  const lines = [
    `== ${engine}: ${s.objects} objects, ${s.programs} programs: ${s.programsLoaded} loaded, ${s.programsNeverLoaded} never loaded, ${s.programsKernelRefuses} refused by the kernel${s.programsWithoutGolden ? `, ${s.programsWithoutGolden} without golden` : ''}`,
    `   runs: ${s.runsMatched} matched, ${s.runsMismatched} mismatched, ${s.runsNeverLoaded} never loaded`,
  ];
  if (s.neverLoadedBy.length) lines.push('   never loaded, by error:');
  for (const g of s.neverLoadedBy) lines.push(`     ${g.programs.length} × ${g.error}`, ...g.programs.map((p) => `         ${p}`));
  if (s.kernelRefusesBy.length) lines.push('   refused by the kernel, by error:');
  for (const g of s.kernelRefusesBy) lines.push(`     ${g.programs.length} × ${g.error}`, ...g.programs.map((p) => `         ${p}`));
  return lines;
}
