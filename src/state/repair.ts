import { existsSync, readdirSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-file.js';
import { checkStateFile, leftoverFiles } from './check.js';
import { StateLock } from './lock.js';
import { salvageState, type Dropped } from './salvage.js';
import { Session } from './session.js';
import type { StateSnapshot } from './snapshot.js';
import { parseStateText, PREVIOUS_STATE_FILE, readStateText, STATE_FILE } from './state-file.js';
import type { Problem } from './validate.js';

/** Where `state repair` keeps the damaged state.json it replaced, for a person to look at. */
export const DAMAGED_STATE_FILE = 'state.json.damaged';

/** What `state repair` did. */
export interface RepairReport {
  readonly dir: string;
  /** `sound`: nothing to do; `previous`: state.json.prev put back; `salvaged`: damaged parts left out; `failed`: nothing written. */
  readonly outcome: 'sound' | 'previous' | 'salvaged' | 'failed';
  /** What was wrong with state.json. */
  readonly problems: readonly Problem[];
  readonly dropped: readonly Dropped[];
  /** Where the damaged file was kept. */
  readonly kept?: string;
  /** When state.json.prev was written (outcome `previous`): the restored state is the one before the change made then. */
  readonly previousWritten?: string;
  readonly removedLeftovers: readonly string[];
  /** Why nothing could be written (outcome `failed`). */
  readonly error?: string;
}

/** Run `fn` holding the directory's lock, as every command that writes it does. */
export function withStateLock<T>(dir: string, fn: () => T): T {
  const lock = StateLock.acquire(join(dir, 'lock'));
  try {
    return fn();
  } finally {
    lock.release();
  }
}

function removeLeftovers(dir: string): string[] {
  const files = leftoverFiles(dir);
  for (const f of files) rmSync(f, { force: true });
  return files;
}

/** Replace state.json with `snapshot`, keeping the damaged file. */
function install(dir: string, snapshot: StateSnapshot): string {
  const file = join(dir, STATE_FILE);
  const kept = join(dir, DAMAGED_STATE_FILE);
  const damaged = readStateText(file);
  if (damaged !== undefined) writeFileAtomic(kept, damaged);
  writeFileAtomic(file, JSON.stringify(snapshot, null, 1));
  return kept;
}

/**
 * `state repair`: when state.json is damaged, put back state.json.prev if it is sound (the state
 * before the last change), else keep what can be kept of state.json and leave out the rest,
 * saying what. The damaged file is kept as state.json.damaged. Leftover temporary files go.
 */
export function repairStateDir(dir: string): RepairReport {
  if (!existsSync(dir)) return { dir, outcome: 'sound', problems: [], dropped: [], removedLeftovers: [] };
  return withStateLock(dir, () => {
    const removedLeftovers = removeLeftovers(dir);
    const current = checkStateFile(dir, STATE_FILE);
    const base = { dir, problems: current.problems, removedLeftovers };
    if (current.problems.length === 0) return { ...base, outcome: 'sound', dropped: [] };
    const previous = checkStateFile(dir, PREVIOUS_STATE_FILE);
    if (previous.snapshot) {
      const kept = install(dir, previous.snapshot);
      return { ...base, outcome: 'previous', dropped: [], kept, previousWritten: statSync(previous.file).mtime.toISOString() };
    }
    let value: unknown;
    try {
      value = JSON.parse(readStateText(join(dir, STATE_FILE)) ?? '');
    } catch {
      value = undefined;
    }
    const salvaged = salvageState(value, dir);
    const trial = Session.trial(dir, salvaged.snapshot);
    if (trial.error)
      return {
        ...base,
        outcome: 'failed',
        dropped: [],
        error: `what is left still does not restore (${trial.error.message}); 'xdpchain state reset' starts over`,
      };
    const kept = install(dir, salvaged.snapshot);
    return { ...base, outcome: 'salvaged', dropped: salvaged.dropped, kept };
  });
}

/** What `state reset` removed. */
export interface ResetReport {
  readonly dir: string;
  /** Each removed file or folder with what it held. */
  readonly removed: readonly { path: string; held: string }[];
}

function summary(s: StateSnapshot | undefined): string {
  if (!s) return 'a state that could not be read';
  const programs = s.collections.reduce((n, c) => n + Object.keys(c.programs).length, 0);
  const maps = s.collections.reduce((n, c) => n + Object.keys(c.maps).length, 0);
  const captures = Array.isArray(s.hooks?.captures) ? s.hooks.captures.length : 0;
  const n = (k: number, what: string): string => `${k} ${what}${k === 1 ? '' : 's'}`;
  return [
    n(programs, 'program'),
    n(maps, 'map'),
    n(s.netdevs.length, 'device'),
    n(s.attachments.length, 'attachment'),
    n(s.links.length, 'link'),
    n(s.chains.length, 'chain'),
    n(captures, 'capture'),
  ].join(', ');
}

/** `state reset`: remove everything the directory keeps (it stays, empty), saying what each removed file held. */
export function resetStateDir(dir: string): ResetReport {
  if (!existsSync(dir)) return { dir, removed: [] };
  return withStateLock(dir, () => {
    const removed: { path: string; held: string }[] = [];
    for (const name of [STATE_FILE, PREVIOUS_STATE_FILE, DAMAGED_STATE_FILE]) {
      const path = join(dir, name);
      if (!existsSync(path)) continue;
      const text = readStateText(path);
      unlinkSync(path);
      removed.push({ path, held: summary(text === undefined ? undefined : parseStateText(text, dir).snapshot) });
    }
    for (const sub of ['objects', 'btf']) {
      const path = join(dir, sub);
      if (!existsSync(path)) continue;
      const n = readdirSync(path).length;
      rmSync(path, { recursive: true, force: true });
      if (n > 0) removed.push({ path, held: `${n} kept ${sub === 'objects' ? 'object' : 'BTF'} file${n === 1 ? '' : 's'}` });
    }
    for (const path of removeLeftovers(dir)) removed.push({ path, held: 'a temporary file a killed command left' });
    return { dir, removed };
  });
}
