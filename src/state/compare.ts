import type { StateSnapshot } from './snapshot.js';
import { isRecord } from './validate.js';

/**
 * A snapshot with what changes without any command changing the state left out: the next free
 * ids, run times and load times (they differ between two runs of the same commands), conntrack expiry times (kept
 * as wall-clock times, recomputed on each save) and entries that expired, and the order of map
 * entries (a hash map lists its keys in bucket order), and hooks that keep nothing.
 */
export function comparableState(s: StateSnapshot, now = Date.now()): unknown {
  // Restoring a dispatcher makes its internal links anew, so the next free ids move on every run.
  const { ids: _ids, ...rest } = s;
  const copy = JSON.parse(JSON.stringify(rest)) as Omit<StateSnapshot, 'ids'>;
  for (const c of copy.collections) {
    for (const p of Object.values(c.programs) as Record<string, unknown>[]) {
      delete p.loadedAt;
      if (isRecord(p.stats)) delete p.stats.runTimeNs;
    }
    for (const m of Object.values(c.maps)) m.entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
  const conntrack = copy.hooks?.conntrack;
  if (Array.isArray(conntrack) && copy.hooks) {
    copy.hooks.conntrack = conntrack
      .filter((e) => isRecord(e) && typeof e.expiresAt === 'number' && e.expiresAt > now)
      .map((e) => JSON.stringify({ ...(e as Record<string, unknown>), expiresAt: undefined }))
      .sort();
  }
  // An extension that keeps nothing may write an empty list or leave its key out.
  if (copy.hooks) for (const [k, v] of Object.entries(copy.hooks)) if (Array.isArray(v) && v.length === 0) delete copy.hooks[k];
  if (copy.hooks && Object.keys(copy.hooks).length === 0) delete copy.hooks;
  return canonical(copy);
}

/** Whether two snapshots hold the same state (see comparableState). */
export function sameState(a: StateSnapshot, b: StateSnapshot, now = Date.now()): boolean {
  return JSON.stringify(comparableState(a, now)) === JSON.stringify(comparableState(b, now));
}

/** Objects with their keys sorted and undefined values dropped, so equal states stringify equally. */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (!isRecord(v)) return v;
  return Object.fromEntries(
    Object.keys(v)
      .sort()
      .filter((k) => v[k] !== undefined)
      .map((k) => [k, canonical(v[k])]),
  );
}
