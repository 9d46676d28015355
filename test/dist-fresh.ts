import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = new URL('../', import.meta.url).pathname;
/** What the build reads: a change here makes dist/ stale. */
const INPUTS = ['src', 'scripts', 'data', 'package.json', 'tsconfig.json', 'tsconfig.build.json'];
/** What the build writes last (scripts/bundle-cli.mjs): its time is the build's. */
const OUTPUT = join(ROOT, 'dist/cli/main.js');

function newest(path: string): { file: string; mtimeMs: number } {
  const st = statSync(path);
  if (!st.isDirectory()) return { file: path, mtimeMs: st.mtimeMs };
  let best = { file: path, mtimeMs: 0 };
  for (const f of readdirSync(path)) {
    const n = newest(join(path, f));
    if (n.mtimeMs > best.mtimeMs) best = n;
  }
  return best;
}

/**
 * vitest's global setup: the CLI tests (and a few others) run the built dist/, so a run after
 * editing src/ would test the old code without a word. When anything the build reads is newer
 * than dist/, build first, and say so.
 */
export default function setup(): void {
  const inputs = INPUTS.map((p) => join(ROOT, p))
    .filter((p) => existsSync(p))
    .map(newest);
  const latest = inputs.reduce((a, b) => (b.mtimeMs > a.mtimeMs ? b : a));
  const built = existsSync(OUTPUT) ? statSync(OUTPUT).mtimeMs : 0;
  if (latest.mtimeMs <= built) return;
  process.stderr.write(`dist/ is older than ${relative(ROOT, latest.file)}: building it first (npm run build)\n`);
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
}
