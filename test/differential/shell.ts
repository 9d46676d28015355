import { execFile } from 'node:child_process';

export interface ShellResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run a command without a shell; never throws for a non-zero exit (the caller decides). */
export function run(file: string, args: readonly string[], timeoutMs = 120_000): Promise<ShellResult> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') {
        reject(new Error(`${file} ${args.slice(0, 3).join(' ')}…: ${err.message}`));
        return;
      }
      resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
    });
  });
}

/** Quote one word for POSIX sh. */
export function shq(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * errno names for the strerror() texts bpftool prints ("failed to run program: Invalid argument").
 * Only messages the kernel's test-run and map paths can produce are listed.
 */
const STRERROR_TO_ERRNO: Record<string, string> = {
  'Operation not permitted': 'EPERM',
  'No such file or directory': 'ENOENT',
  'No such process': 'ESRCH',
  'Bad address': 'EFAULT',
  'Device or resource busy': 'EBUSY',
  'File exists': 'EEXIST',
  'No such device': 'ENODEV',
  'Invalid argument': 'EINVAL',
  'No space left on device': 'ENOSPC',
  'Argument list too long': 'E2BIG',
  'Permission denied': 'EACCES',
  'Numerical result out of range': 'ERANGE',
  'Operation not supported': 'EOPNOTSUPP',
  'Not supported': 'EOPNOTSUPP',
  'Unknown error 524': 'ENOTSUPP',
  'Too many levels of symbolic links': 'ELOOP',
  'Cannot allocate memory': 'ENOMEM',
  'No buffer space available': 'ENOBUFS',
  'Message too long': 'EMSGSIZE',
};

/** The errno name in a bpftool error message, or undefined when the message names none. */
export function errnoFromMessage(message: string): string | undefined {
  for (const [text, name] of Object.entries(STRERROR_TO_ERRNO)) {
    if (message.includes(text)) return name;
  }
  return undefined;
}
