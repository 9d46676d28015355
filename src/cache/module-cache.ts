import { join } from 'node:path';
import { DiskCache, type DiskCacheOptions } from './disk-cache.js';
import { cacheLocation } from './location.js';

/**
 * The on-disk store of compiled wasm modules (RuntimeOptions.moduleCache): `wasm/` under the cache
 * directory `dir` (default: cacheLocation()). Undefined when there is no directory to use.
 */
export function moduleCache(dir: string | undefined = cacheLocation()?.path, opts: DiskCacheOptions = {}): DiskCache | undefined {
  return dir === undefined ? undefined : new DiskCache(join(dir, 'wasm'), opts);
}
