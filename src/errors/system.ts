import { ERRNO, type ErrnoName } from './errno.js';
import { XdpchainError } from './errors.js';

/** A failed system call as Node reports it (fs, child processes): an errno name in `code`. */
interface SystemError extends Error {
  code: string;
  syscall?: string;
}

function isSystemError(e: unknown): e is SystemError {
  return e instanceof Error && typeof (e as { code?: unknown }).code === 'string' && typeof (e as { syscall?: unknown }).syscall === 'string';
}

/** strerror's words where Node's differ (Node says "illegal operation on a directory" for EISDIR). */
const STRERROR: Partial<Record<ErrnoName, string>> = {
  EISDIR: 'is a directory',
  EEXIST: 'file exists',
};

/** "no such file or directory" out of Node's "ENOENT: no such file or directory, open '/x'". */
function description(e: SystemError): string {
  const known = STRERROR[e.code as ErrnoName];
  if (known) return known;
  const m = /^[A-Z0-9_]+: (.*?), \w+(?: '.*')?$/s.exec(e.message);
  return m ? m[1] : e.message;
}

/**
 * The typed error for a failed system call on something the user chose, or undefined when `e`
 * is not one (then it is a bug and must stay one). `what` names the thing and the option that
 * chose it, like `--out /proc/x`.
 */
export function systemError(e: unknown, what: string, hint?: string): XdpchainError | undefined {
  if (!isSystemError(e) || !(e.code in ERRNO)) return undefined;
  return new XdpchainError(e.code as ErrnoName, `${what}: ${description(e)}${hint ? `; ${hint}` : ''}`, { path: what });
}

/** Run a file-system call on something the user named; its failure becomes a typed error naming it (see `systemError`). */
export function onUserPath<T>(what: string, fn: () => T, hint?: string): T {
  try {
    return fn();
  } catch (e) {
    throw systemError(e, what, hint) ?? e;
  }
}
