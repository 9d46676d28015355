import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { TEMP_SUFFIX } from './atomic-file.js';
import { processAlive } from './lock.js';
import { Session } from './session.js';
import type { StateSnapshot } from './snapshot.js';
import { parseStateText, PREVIOUS_STATE_FILE, readStateText, STATE_FILE } from './state-file.js';
import type { Problem } from './validate.js';

/** What one state file holds: a usable snapshot, or what is wrong with it. */
export interface StateFileReport {
  readonly file: string;
  readonly exists: boolean;
  readonly problems: readonly Problem[];
  /** Set when the file is sound: parsed, checked, and restored in a trial runtime. */
  readonly snapshot?: StateSnapshot;
  /** What a restore would warn about (a capture whose output went away). */
  readonly warnings: readonly string[];
}

/** The result of `state check`. */
export interface StateCheckReport {
  readonly dir: string;
  readonly current: StateFileReport;
  readonly previous: StateFileReport;
  /** Temporary files that commands killed while writing left behind (harmless; `state repair` removes them). */
  readonly leftovers: readonly string[];
}

/** Read, check and trial-restore one state file. A missing file is sound (an empty state). */
export function checkStateFile(dir: string, name: string): StateFileReport {
  const file = join(dir, name);
  let text: string | undefined;
  try {
    text = readStateText(file);
  } catch (e) {
    return { file, exists: true, problems: [{ path: '', message: (e as Error).message }], warnings: [] };
  }
  if (text === undefined) return { file, exists: false, problems: [], warnings: [] };
  const parsed = parseStateText(text, dir);
  if (!parsed.snapshot) return { file, exists: true, problems: parsed.problems, warnings: [] };
  const trial = Session.trial(dir, parsed.snapshot);
  if (trial.error) return { file, exists: true, problems: [{ path: '', message: `does not restore: ${trial.error.message}` }], warnings: trial.warnings };
  return { file, exists: true, problems: [], snapshot: parsed.snapshot, warnings: trial.warnings };
}

/** A temporary file of an atomic write or a lock take (`….<pid>.tmp`, `lock….<pid>.new`) whose writer is gone. */
function isLeftover(name: string): boolean {
  const m = /\.(\d+)\.(tmp|new)$/.exec(name);
  if (!m || (m[2] === 'tmp' && !(name.startsWith('.') && name.endsWith(TEMP_SUFFIX))) || (m[2] === 'new' && !name.startsWith('lock'))) return false;
  return !processAlive(Number(m[1]));
}

/** Files that atomic writes and lock takes leave when their writer is killed. */
export function leftoverFiles(dir: string): string[] {
  const found: string[] = [];
  for (const sub of ['', 'objects', 'btf']) {
    const d = join(dir, sub);
    if (existsSync(d))
      found.push(
        ...readdirSync(d)
          .filter(isLeftover)
          .map((n) => join(d, n)),
      );
  }
  return found;
}

/** Everything `state check` reports about a directory. */
export function checkStateDir(dir: string): StateCheckReport {
  return { dir, current: checkStateFile(dir, STATE_FILE), previous: checkStateFile(dir, PREVIOUS_STATE_FILE), leftovers: leftoverFiles(dir) };
}
