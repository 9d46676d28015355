import type { ProgramVerdict } from './compare.js';
import { errorGroup } from './golden.js';

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
  /** Programs that never loaded, by cause (errorGroup of the first line of xdpchain's error). */
  neverLoadedBy: FailureGroup[];
  /** Programs the kernel refused, by cause (errorGroup of the kernel's error). */
  kernelRefusesBy: FailureGroup[];
}

/** Programs failing for one cause, with each one's exact first error line. */
export interface FailureGroup {
  cause: string;
  programs: { program: string; error: string }[];
}

function groupBy(verdicts: ProgramVerdict[]): FailureGroup[] {
  const groups = new Map<string, FailureGroup['programs']>();
  for (const v of verdicts) {
    const key = errorGroup(v.errno ?? '', v.error ?? '');
    groups.set(key, [...(groups.get(key) ?? []), { program: `${v.object} ${v.program}`, error: `${v.errno}: ${v.error}` }]);
  }
  return [...groups].map(([cause, programs]) => ({ cause, programs })).sort((a, b) => b.programs.length - a.programs.length);
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
  const groups = (title: string, list: FailureGroup[]) => {
    if (list.length) lines.push(`   ${title}, by cause:`);
    for (const g of list) lines.push(`     ${g.programs.length} × ${g.cause}`, ...g.programs.map((p) => `         ${p.program} (${p.error})`));
  };
  groups('never loaded', s.neverLoadedBy);
  groups('refused by the kernel', s.kernelRefusesBy);
  return lines;
}
