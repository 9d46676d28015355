import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_INPUT_BUDGET_MS, runInput } from './campaign.js';
import { driveTarget } from './drive.js';
import { formatSummary, internalCount, type TargetSummary } from './summary.js';
import { TARGET_NAMES, type TargetName } from './target.js';
import { TARGETS } from './targets/index.js';

const USAGE = `usage: npm run fuzz -- [--target T[,T...]] [--count N] [--time SECONDS] [--seed S] [--json]
                      [--budget MS] [--crash-dir DIR] | --replay FILE --target T
targets: ${TARGET_NAMES.join(', ')} (default: all). --count and --time are per target (default --count 1000).
Exit status 1 when an internal error was found.`;

function parseTargets(values: string[] | undefined): TargetName[] {
  if (!values || values.length === 0) return [...TARGET_NAMES];
  const names = values.flatMap((v) => v.split(','));
  for (const n of names) if (!(TARGET_NAMES as readonly string[]).includes(n)) throw new Error(`unknown target ${n} (targets: ${TARGET_NAMES.join(', ')})`);
  return names as TargetName[];
}

const positiveInt = (text: string | undefined, what: string, fallback: number): number => {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${what} must be a non-negative integer, not ${text}`);
  return n;
};

async function replay(file: string, target: TargetName, budgetMs: number): Promise<number> {
  const open = await TARGETS[target].open();
  try {
    const outcome = await runInput(open, new Uint8Array(readFileSync(file)), budgetMs);
    if (outcome.kind === 'internal') {
      process.stdout.write(`INTERNAL ${outcome.key}\n${outcome.stack}\n`);
      return 1;
    }
    process.stdout.write(outcome.kind === 'ok' ? 'ok\n' : `typed: ${outcome.key}\n`);
    return 0;
  } finally {
    open.close();
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      target: { type: 'string', multiple: true },
      count: { type: 'string' },
      time: { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'boolean' },
      budget: { type: 'string' },
      'crash-dir': { type: 'string' },
      replay: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const targets = parseTargets(values.target);
  const budgetMs = positiveInt(values.budget, '--budget', DEFAULT_INPUT_BUDGET_MS);
  if (values.replay) {
    if (targets.length !== 1) throw new Error('--replay needs exactly one --target');
    return replay(values.replay, targets[0], budgetMs);
  }
  const seconds = values.time === undefined ? undefined : positiveInt(values.time, '--time', 0);
  // With only --time, the count does not bound the run.
  const count = positiveInt(values.count, '--count', seconds === undefined ? 1000 : 0x7fffffff);
  const seed = positiveInt(values.seed, '--seed', Date.now() % 0x1_0000_0000) >>> 0;
  const crashDir = values['crash-dir'] ?? 'fuzz-crashes';
  const tty = process.stderr.isTTY && !values.json;
  const summaries: TargetSummary[] = [];
  if (!values.json) process.stdout.write(`fuzz: seed ${seed}, ${targets.join(', ')}\n`);
  for (const target of targets) {
    const summary = await driveTarget({
      target,
      seed,
      count,
      seconds,
      budgetMs,
      crashDir,
      progress: tty
        ? (s) => process.stderr.write(`\r${target}: ${s.tried}${count < 0x7fffffff ? `/${count}` : ''} inputs, ${s.ok} ok, ${internalCount(s)} internal `)
        : undefined,
    });
    if (tty) process.stderr.write('\r\x1b[K');
    summaries.push(summary);
    if (!values.json) process.stdout.write(`${formatSummary(summary)}\n`);
  }
  if (values.json) process.stdout.write(`${JSON.stringify(summaries, null, 2)}\n`);
  const failed = summaries.filter((s) => internalCount(s) > 0);
  for (const s of failed) {
    for (const f of Object.values(s.internal))
      process.stderr.write(
        `fuzz: ${s.target} internal error at seed ${s.seed} input ${f.firstIndex}${f.file ? `, replay: npm run fuzz -- --replay ${f.file} --target ${s.target}` : ''}\n`,
      );
  }
  return failed.length > 0 ? 1 : 0;
}

try {
  process.exitCode = await main();
} catch (e) {
  process.stderr.write(`fuzz: ${e instanceof Error ? e.message : String(e)}\n${USAGE}\n`);
  process.exitCode = 2;
}
