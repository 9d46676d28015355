import { parentPort, workerData } from 'node:worker_threads';
import { runCampaign } from './campaign.js';
import type { Outcome } from './outcome.js';
import { inputRng } from './prng.js';
import { TARGETS } from './targets/index.js';
import type { TargetName } from './target.js';

/** What the driver tells a worker to do. */
export interface WorkerJob {
  target: TargetName;
  seed: number;
  from: number;
  to: number;
  deadline?: number;
  budgetMs: number;
  /** [0]: index of the input running now; [1]: nonzero asks the worker to stop. */
  shared: SharedArrayBuffer;
  /** An input that hung the previous worker: generate it again and send its bytes first. */
  dumpIndex?: number;
}

/** What a worker reports. */
export type WorkerMessage =
  | { type: 'outcome'; index: number; outcome: Outcome; input?: Uint8Array }
  | { type: 'input'; index: number; input: Uint8Array }
  | { type: 'done' }
  | { type: 'failed'; message: string };

const job = workerData as WorkerJob;
const port = parentPort!;
const state = new Int32Array(job.shared);
const post = (m: WorkerMessage): void => port.postMessage(m);

try {
  const target = await TARGETS[job.target].open();
  try {
    if (job.dumpIndex !== undefined) post({ type: 'input', index: job.dumpIndex, input: target.generate(inputRng(job.seed, job.target, job.dumpIndex)) });
    await runCampaign({
      target,
      name: job.target,
      seed: job.seed,
      from: job.from,
      to: job.to,
      deadline: job.deadline,
      budgetMs: job.budgetMs,
      onStart: (i) => Atomics.store(state, 0, i),
      // Only an internal error's input travels back: it is written to a file for --replay.
      onOutcome: (index, outcome, input) => post({ type: 'outcome', index, outcome, ...(outcome.kind === 'internal' ? { input } : {}) }),
      stopped: () => Atomics.load(state, 1) !== 0,
    });
  } finally {
    target.close();
  }
  post({ type: 'done' });
} catch (e) {
  post({ type: 'failed', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
}
