import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { emptySummary, record, type TargetSummary } from './summary.js';
import type { TargetName } from './target.js';
import type { WorkerJob, WorkerMessage } from './worker.js';

export interface DriveOptions {
  target: TargetName;
  seed: number;
  count: number;
  /** Seconds for this target; with count, whichever ends first. */
  seconds?: number;
  budgetMs: number;
  crashDir: string;
  /** Called about four times a second with the summary so far (the progress line). */
  progress?: (s: TargetSummary) => void;
}

/** How often the watchdog looks at the input running now. */
const WATCH_MS = 250;

/**
 * Run one target's campaign in a worker thread, watched: an input that runs past the budget (a
 * hang in synchronous code cannot be interrupted from inside) ends the worker; it is counted as
 * an internal error, its bytes saved, and a new worker resumes after it. Each distinct internal
 * error's first input is written to crashDir as <target>-<seed>-<index>.bin.
 */
export async function driveTarget(o: DriveOptions): Promise<TargetSummary> {
  const summary = emptySummary(o.target, o.seed);
  const started = Date.now();
  const deadline = o.seconds !== undefined ? started + o.seconds * 1000 : undefined;
  const save = (index: number, input: Uint8Array): string => {
    mkdirSync(o.crashDir, { recursive: true });
    const file = join(o.crashDir, `${o.target}-${o.seed}-${index}.bin`);
    writeFileSync(file, input);
    return file;
  };
  // The workers' temporary files go under one directory removed at the end: a worker ended by the
  // watchdog never gets to remove its own.
  const temp = mkdtempSync(join(tmpdir(), `xdpchain-fuzz-${o.target}-`));
  try {
    await runWorkers({ o, summary, temp, save, deadline });
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
  summary.seconds = (Date.now() - started) / 1000;
  return summary;
}

/** What the workers of one target's campaign share. */
interface DriveContext {
  o: DriveOptions;
  summary: TargetSummary;
  /** TMPDIR of the workers. */
  temp: string;
  /** Write an internal error's input to the crash directory; returns its path. */
  save: (index: number, input: Uint8Array) => string;
  deadline: number | undefined;
}

/** Workers one after another until the campaign is done, each resuming after the input that hung the last. */
async function runWorkers({ o, summary, temp, save, deadline }: DriveContext): Promise<void> {
  let from = 0;
  let dumpIndex: number | undefined;
  // A worker runs even past the end or the deadline when a hung input's bytes are still to be saved.
  while (from < o.count || dumpIndex !== undefined) {
    const shared = new SharedArrayBuffer(8);
    const state = new Int32Array(shared);
    Atomics.store(state, 0, -1);
    const job: WorkerJob = { target: o.target, seed: o.seed, from, to: o.count, deadline, budgetMs: o.budgetMs, shared, dumpIndex };
    dumpIndex = undefined;
    const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: job, env: { ...process.env, TMPDIR: temp } });
    const hung = await new Promise<number | undefined>((resolve, reject) => {
      let last = -1;
      let since = Date.now();
      const timer = setInterval(() => {
        o.progress?.(summary);
        const now = Atomics.load(state, 0);
        if (now !== last) [last, since] = [now, Date.now()];
        else if (now >= 0 && Date.now() - since > o.budgetMs * 2) {
          clearInterval(timer);
          void worker.terminate().then(() => resolve(now));
        }
      }, WATCH_MS);
      worker.on('message', (m: WorkerMessage) => {
        if (m.type === 'outcome') {
          const first = record(summary, m.index, m.outcome);
          if (first && m.outcome.kind === 'internal' && m.input) summary.internal[m.outcome.key].file = save(m.index, m.input);
        } else if (m.type === 'input') {
          const finding = Object.values(summary.internal).find((f) => f.firstIndex === m.index);
          if (finding) finding.file = save(m.index, m.input);
        } else if (m.type === 'failed') {
          clearInterval(timer);
          reject(new Error(`fuzz target ${o.target} could not run: ${m.message}`));
        } else {
          clearInterval(timer);
          resolve(undefined);
        }
      });
      worker.on('error', (e) => {
        clearInterval(timer);
        reject(e);
      });
    });
    if (hung === undefined) break;
    // The hung input: counted here, its bytes sent by the next worker before it resumes.
    const first = record(summary, hung, { kind: 'internal', key: `timeout: input ran over ${o.budgetMs * 2} ms and was stopped`, stack: '' });
    dumpIndex = first ? hung : undefined;
    from = hung + 1;
  }
}
