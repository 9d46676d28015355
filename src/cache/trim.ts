import { readdirSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';

/** A temporary file this old is left over from a writer that died: no live writer takes this long. */
const STALE_TEMP_MS = 10 * 60 * 1000;

/** What one trim found and did. */
export interface TrimResult {
  /** Bytes of entries kept. */
  bytes: number;
  removed: number;
}

/**
 * Keep a cache directory within `maxBytes`: when its entries (files ending in `suffix`) add up to
 * more, remove the least recently used (oldest modification time: a hit touches its entry) until
 * they fit in three quarters of it, so the next trims have room to spare. Temporary files of dead
 * writers go too. Files another process removes meanwhile, or that cannot be removed, are skipped.
 */
export function trimCache(dir: string, suffix: string, maxBytes: number, now = Date.now()): TrimResult {
  const entries: { path: string; size: number; mtime: number }[] = [];
  let removed = 0;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return { bytes: 0, removed };
  }
  for (const name of names) {
    const path = join(dir, name);
    try {
      const st = statSync(path);
      if (!st.isFile()) continue;
      if (name.endsWith(suffix)) entries.push({ path, size: st.size, mtime: st.mtimeMs });
      else if (name.endsWith('.tmp') && now - st.mtimeMs > STALE_TEMP_MS && remove(path)) removed++;
    } catch {
      // Gone since the listing: another process trimmed it.
    }
  }
  let bytes = entries.reduce((n, e) => n + e.size, 0);
  if (bytes <= maxBytes) return { bytes, removed };
  entries.sort((a, b) => a.mtime - b.mtime);
  for (const e of entries) {
    if (bytes <= (maxBytes * 3) / 4) break;
    if (!remove(e.path)) continue;
    removed++;
    bytes -= e.size;
  }
  return { bytes, removed };
}

function remove(path: string): boolean {
  try {
    unlinkSync(path);
    return true;
  } catch {
    return false;
  }
}
