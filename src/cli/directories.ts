import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { onUserPath, systemError, XdpchainError } from '../errors/index.js';

/** What an `--out` directory is for, said when it cannot be one. */
export const OUT_DIRECTORY_HINT = '--out takes a directory for the capture files (created if missing) that you can write';

/** The status of `path`, or undefined when nothing is there. */
function statIfExists(path: string, what: string, hint: string) {
  try {
    return statSync(path);
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ENOENT') return undefined;
    throw systemError(e, what, hint) ?? e;
  }
}

/**
 * Make sure `dir` is a directory (one we may write unless `writable` is false), creating it and
 * its missing parents one at a time. Node's recursive mkdir is not used: it spins forever where mkdir answers ENOENT for a
 * parent that exists (/proc/xx). `what` names the option and the path (`--out /x`) in errors.
 */
export function ensureDirectory(dir: string, what: string, hint: string, writable = true): void {
  const missing: string[] = [];
  for (let p = resolve(dir); ; p = dirname(p)) {
    const st = statIfExists(p, what, hint);
    if (st?.isDirectory()) break;
    if (st) throw new XdpchainError('ENOTDIR', `${what}: ${missing.length === 0 ? 'is' : `${p} is`} a file, not a directory; ${hint}`, { path: dir });
    missing.unshift(p);
    if (dirname(p) === p) break;
  }
  for (const p of missing) onUserPath(what, () => mkdirSync(p), hint);
  if (writable) onUserPath(what, () => accessSync(dir, constants.W_OK | constants.X_OK), hint);
}
