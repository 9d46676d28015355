import type { Command } from 'commander';
import { resolve } from 'node:path';
import { moduleCache } from '../cache/module-cache.js';
import { XdpchainError } from '../errors/index.js';
import type { RuntimeOptions } from '../runtime/runtime.js';
import { Session } from '../state/session.js';
import { resolveStateDir } from '../state/state-dir.js';
import { ensureDirectory } from './directories.js';
import { MAX_DATA_BYTES } from '../vm/address-space.js';
import type { EngineName } from '../vm/engine.js';

export interface GlobalOptions {
  state?: string;
  engine?: string;
  maxMemory?: string;
  /** False with --no-cache. */
  cache?: boolean;
  cacheDir?: string;
  json?: boolean;
}

/** The options of a command merged with the root's (--state, --engine, --max-memory). */
export function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals() as GlobalOptions;
}

const UNITS: Record<string, number> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30 };

/** `--max-memory`: bytes, or a number with K, M or G (powers of 1024; KiB, MB etc. read the same). */
export function parseMemorySize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?$/i.exec(text.trim());
  const bytes = m ? Math.ceil(Number(m[1]) * UNITS[m[2].toLowerCase()]) : NaN;
  if (!(bytes > 0)) throw new XdpchainError('EINVAL', `--max-memory "${text}" is not a size: give bytes or a number with K, M or G, like 512M or 2G`);
  if (bytes > MAX_DATA_BYTES)
    throw new XdpchainError(
      'EINVAL',
      `--max-memory ${text} is ${bytes} bytes; the most is ${MAX_DATA_BYTES} (3.75G, what a 4 GiB wasm32 memory leaves beside its shadow table)`,
    );
  return bytes;
}

/**
 * What every runtime the command creates takes from the global options: the engine, the memory
 * limit, and the module cache (--cache-dir, else $XDPCHAIN_CACHE_DIR, $XDG_CACHE_HOME/xdpchain or
 * ~/.cache/xdpchain; none with --no-cache).
 */
export function runtimeGlobals(cmd: Command): Pick<RuntimeOptions, 'engine' | 'maxDataBytes' | 'moduleCache'> {
  const g = globals(cmd);
  const cache = g.cache === false ? undefined : moduleCache(g.cacheDir !== undefined ? resolve(g.cacheDir) : undefined);
  return {
    engine: g.engine as EngineName | undefined,
    ...(g.maxMemory !== undefined ? { maxDataBytes: parseMemorySize(g.maxMemory) } : {}),
    ...(cache ? { moduleCache: cache } : {}),
  };
}

/**
 * The state directory, made sure to be a directory; errors name what chose it (--state,
 * $XDPCHAIN_STATE or the default), since a user who did not give --state may not know. One we
 * cannot write still serves read-only commands (the session opens it read-only).
 */
function stateDirectory(cmd: Command): string | undefined {
  const given = globals(cmd).state;
  const where = resolveStateDir(given);
  const what = where.origin.startsWith('the default') ? `state directory ${where.path} (${where.origin})` : `${where.origin} ${where.path}`;
  ensureDirectory(where.path, what, 'the state directory must be a directory (--state DIR or $XDPCHAIN_STATE)', false);
  return given;
}

/**
 * Run a command against the state directory: restore it, run, save on success. The directory
 * stays locked for the duration, so concurrent invocations queue instead of corrupting it.
 */
export function withSession<T>(cmd: Command, fn: (s: Session) => T): T {
  const session = Session.open({ dir: stateDirectory(cmd), ...runtimeGlobals(cmd) });
  for (const w of session.warnings)
    process.stderr.write(`xdpchain: warning: ${w}
`);
  try {
    const result = fn(session);
    session.save();
    return result;
  } finally {
    session.close();
  }
}
