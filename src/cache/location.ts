import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

/** Where a cache directory came from, for messages. */
export interface CacheLocation {
  path: string;
  origin: string;
}

/**
 * xdpchain's cache directory: $XDPCHAIN_CACHE_DIR, else $XDG_CACHE_HOME/xdpchain (the XDG base
 * directory rule: only an absolute $XDG_CACHE_HOME counts), else ~/.cache/xdpchain. Undefined
 * when there is no home to put it in.
 */
export function cacheLocation(env: NodeJS.ProcessEnv = process.env): CacheLocation | undefined {
  if (env.XDPCHAIN_CACHE_DIR) return { path: resolve(env.XDPCHAIN_CACHE_DIR), origin: '$XDPCHAIN_CACHE_DIR' };
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && isAbsolute(xdg)) return { path: join(xdg, 'xdpchain'), origin: '$XDG_CACHE_HOME/xdpchain' };
  let home = env.HOME;
  if (!home) {
    try {
      home = homedir();
    } catch {
      return undefined;
    }
  }
  return home ? { path: join(home, '.cache', 'xdpchain'), origin: '~/.cache/xdpchain' } : undefined;
}
