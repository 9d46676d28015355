import type { Outcome } from './outcome.js';

/** An internal error: how often it was seen and the first input that showed it. */
export interface InternalFinding {
  count: number;
  firstIndex: number;
  stack: string;
  /** Where the offending input was written, for --replay. */
  file?: string;
}

/** What a campaign over one target saw. */
export interface TargetSummary {
  target: string;
  seed: number;
  tried: number;
  ok: number;
  /** Typed errors by errno and first words, with counts. */
  typed: Record<string, number>;
  /** Internal errors (including timeouts) by kind and top of stack. */
  internal: Record<string, InternalFinding>;
  seconds: number;
}

export function emptySummary(target: string, seed: number): TargetSummary {
  return { target, seed, tried: 0, ok: 0, typed: {}, internal: {}, seconds: 0 };
}

/** Count one outcome; returns true when it is the first time this internal error is seen. */
export function record(summary: TargetSummary, index: number, outcome: Outcome): boolean {
  summary.tried++;
  if (outcome.kind === 'ok') summary.ok++;
  else if (outcome.kind === 'typed') summary.typed[outcome.key] = (summary.typed[outcome.key] ?? 0) + 1;
  else {
    const seen = summary.internal[outcome.key];
    if (seen) seen.count++;
    else summary.internal[outcome.key] = { count: 1, firstIndex: index, stack: outcome.stack };
    return !seen;
  }
  return false;
}

export const internalCount = (s: TargetSummary): number => Object.values(s.internal).reduce((n, f) => n + f.count, 0);

/** The summary for people: counts, the most frequent typed errors, every internal error with its replay file. */
export function formatSummary(s: TargetSummary, typedShown = 8): string {
  const typedTotal = Object.values(s.typed).reduce((a, b) => a + b, 0);
  const lines = [
    `${s.target}: ${s.tried} inputs in ${s.seconds.toFixed(1)}s (seed ${s.seed}): ${s.ok} ok, ${typedTotal} typed errors (${Object.keys(s.typed).length} distinct), ${internalCount(s)} internal`,
  ];
  const typed = Object.entries(s.typed).sort((a, b) => b[1] - a[1]);
  for (const [key, n] of typed.slice(0, typedShown)) lines.push(`  ${String(n).padStart(7)}  ${key}`);
  if (typed.length > typedShown) lines.push(`           ... ${typed.length - typedShown} more distinct typed errors (--json lists all)`);
  for (const [key, f] of Object.entries(s.internal)) {
    lines.push(`  INTERNAL ${f.count}x, first at input ${f.firstIndex}${f.file ? ` (${f.file})` : ''}: ${key}`);
  }
  return lines.join('\n');
}
