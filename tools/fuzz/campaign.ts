import { classify, type Outcome } from './outcome.js';
import { inputRng } from './prng.js';
import type { OpenTarget } from './target.js';

/** Per-input time budget: an input slower than this counts as an internal error (a hang). */
export const DEFAULT_INPUT_BUDGET_MS = 5_000;

export interface CampaignOptions {
  target: OpenTarget;
  name: string;
  seed: number;
  /** First input index (a restarted worker resumes after the input that hung). */
  from: number;
  /** Index after the last input. */
  to: number;
  /** Stop starting inputs at this Date.now(); default: no time bound. */
  deadline?: number;
  budgetMs?: number;
  /** Called before input `index` runs (the worker publishes it for the watchdog). */
  onStart?: (index: number) => void;
  onOutcome: (index: number, outcome: Outcome, input: Uint8Array) => void;
  /** Checked between inputs: true ends the campaign early. */
  stopped?: () => boolean;
}

/** Run one input and classify what happened; an input slower than the budget is a failure even if it ended. */
export async function runInput(target: OpenTarget, input: Uint8Array, budgetMs = DEFAULT_INPUT_BUDGET_MS): Promise<Outcome> {
  const started = performance.now();
  let outcome: Outcome = { kind: 'ok' };
  try {
    await target.run(input);
  } catch (e) {
    outcome = classify(e);
  }
  const ms = performance.now() - started;
  if (ms > budgetMs && outcome.kind !== 'internal')
    return { kind: 'internal', key: `timeout: input took ${Math.round(ms)} ms (budget ${budgetMs} ms)`, stack: '' };
  return outcome;
}

/** Generate inputs `from`..`to` of a seeded run and feed each through the target. */
export async function runCampaign(o: CampaignOptions): Promise<void> {
  for (let i = o.from; i < o.to; i++) {
    if (o.stopped?.() || (o.deadline !== undefined && Date.now() >= o.deadline)) return;
    const input = o.target.generate(inputRng(o.seed, o.name, i));
    o.onStart?.(i);
    o.onOutcome(i, await runInput(o.target, input, o.budgetMs), input);
  }
}
