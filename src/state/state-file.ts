import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XdpchainError } from '../errors/index.js';
import { fileError, writeFileAtomic } from './atomic-file.js';
import { stateExtensions } from './extensions.js';
import { checkReferences, knownIds } from './references.js';
import { snapshotSchema } from './schema.js';
import type { StateSnapshot } from './snapshot.js';
import { at, validate, type Problem } from './validate.js';

/** The state of a directory, as JSON (StateSnapshot). */
export const STATE_FILE = 'state.json';
/** The state before the last change: what `state repair` restores when state.json is damaged. */
export const PREVIOUS_STATE_FILE = 'state.json.prev';

const WHAT_TO_RUN = "run 'xdpchain state check' / 'xdpchain state repair'";

/** A state file that cannot be used: names the file, the field and what is wrong with it. */
export class StateFileError extends XdpchainError {
  readonly file: string;
  readonly problems: readonly Problem[];

  constructor(file: string, problems: readonly Problem[]) {
    const [first] = problems;
    const more = problems.length > 1 ? ` (${problems.length - 1} more problems)` : '';
    super('EINVAL', `${file}: ${first.path ? `${first.path}: ` : ''}${first.message}; ${WHAT_TO_RUN}${more}`, { file, problems });
    this.name = 'StateFileError';
    this.file = file;
    this.problems = problems;
  }
}

/** Whatever is wrong with a parsed state: its shape first, then (when the shape is right) its references and files. */
export function snapshotProblems(value: unknown, dir: string): Problem[] {
  const problems = validate(snapshotSchema, value);
  if (problems.length > 0) return problems;
  const s = value as StateSnapshot;
  const extensions = stateExtensions();
  for (const e of extensions) {
    const saved = s.hooks?.[e.key];
    if (saved !== undefined) problems.push(...validate(e.schema, saved, at('hooks', e.key)));
  }
  if (problems.length > 0) return problems;
  problems.push(...checkReferences(s, dir));
  const known = knownIds(s);
  for (const e of extensions) {
    const saved = s.hooks?.[e.key];
    if (saved !== undefined) e.references?.(saved, known, at('hooks', e.key), problems);
  }
  return problems;
}

/** The text of a state file parsed and checked: the snapshot, or every problem found. */
export function parseStateText(text: string, dir: string): { snapshot: StateSnapshot; problems: [] } | { snapshot: undefined; problems: Problem[] } {
  if (text.trim() === '') return { snapshot: undefined, problems: [{ path: '', message: `is empty (${text.length} bytes), not a saved state` }] };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { snapshot: undefined, problems: [{ path: '', message: `not valid JSON (${(e as Error).message})` }] };
  }
  const problems = snapshotProblems(value, dir);
  return problems.length > 0 ? { snapshot: undefined, problems } : { snapshot: value as StateSnapshot, problems: [] };
}

/** A state file's text, or undefined when there is none. */
export function readStateText(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw fileError(e, file, 'read');
  }
}

/** The directory's state.json, checked; undefined when the directory has none yet. Throws StateFileError naming the field. */
export function readState(dir: string): { snapshot: StateSnapshot; text: string } | undefined {
  const file = join(dir, STATE_FILE);
  const text = readStateText(file);
  if (text === undefined) return undefined;
  const parsed = parseStateText(text, dir);
  if (parsed.snapshot === undefined) throw new StateFileError(file, parsed.problems);
  return { snapshot: parsed.snapshot, text };
}

/**
 * Write a new state.json. The text it replaces (which loaded, so it is good) becomes
 * state.json.prev first; each file is replaced atomically, so a crash leaves state.json either
 * old or new and state.json.prev a good state.
 */
export function writeState(dir: string, text: string, previous: string | undefined): void {
  if (previous !== undefined) writeFileAtomic(join(dir, PREVIOUS_STATE_FILE), previous);
  writeFileAtomic(join(dir, STATE_FILE), text);
}
