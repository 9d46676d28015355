// A worker for lock.test.ts: takes the lock ROUNDS times; inside, it checks nobody else is inside
// (an O_EXCL marker file) and bumps a counter; every ABANDON-th round it "dies" holding the lock
// (leaves a lock file holding a dead pid) instead of releasing it.
import { closeSync, openSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [lockModule, dir, rounds, abandon, deadPid] = process.argv.slice(2);
const { StateLock } = await import(lockModule);
let overlaps = 0;
for (let i = 1; i <= Number(rounds); i++) {
  const lock = StateLock.acquire(join(dir, 'lock'), 60_000);
  try {
    closeSync(openSync(join(dir, 'inside'), 'wx'));
  } catch {
    overlaps++;
  }
  const n = Number(readFileSync(join(dir, 'counter'), 'utf8'));
  writeFileSync(join(dir, 'counter'), String(n + 1));
  try {
    unlinkSync(join(dir, 'inside'));
  } catch {
    overlaps++;
  }
  if (Number(abandon) > 0 && i % Number(abandon) === 0) writeFileSync(join(dir, 'lock'), `${deadPid}\n`);
  else lock.release();
}
process.stdout.write(String(overlaps));
