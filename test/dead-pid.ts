import { spawnSync } from 'node:child_process';

/** The pid of a process that has exited: what a lock or temporary file left by a killed command names. */
export function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}
