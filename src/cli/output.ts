import type { Command } from 'commander';
import { XdpchainError } from '../errors/index.js';

/** Exit code for failures that are the user's input (EINVAL etc.) versus internal bugs. */
const EXIT_FAILURE = 1;
const EXIT_BUG = 70;

export interface JsonOption {
  json?: boolean;
}

/** Print a value as JSON (for scripts) or through a text formatter (for people). */
export function emit<T>(opts: JsonOption, value: T, text: (v: T) => string): void {
  if (opts.json) process.stdout.write(`${JSON.stringify(value, jsonReplacer, 2)}\n`);
  else {
    const s = text(value);
    if (s.length > 0) process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
  }
}

/**
 * An integer with its thousands grouped by commas (1,234,567), as toLocaleString('en-US') writes
 * it, without the ~15 ms that loading ICU's number formatting costs a short command.
 */
export function groupDigits(n: number): string {
  const r = Math.round(n);
  const digits = String(Math.abs(r)).replace(/\B(?=(\d{3})+$)/g, ',');
  return r < 0 ? `-${digits}` : digits;
}

/** BigInt and typed arrays in JSON output: bigints as decimal strings when unsafe, bytes as hex. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  if (value instanceof Map) return Object.fromEntries(value);
  return value;
}

/** Report an error the way every command does: errno name and an actionable message. */
export function reportError(err: unknown, json: boolean): number {
  if (err instanceof XdpchainError) {
    if (json) process.stdout.write(`${JSON.stringify(err.toJSON(), jsonReplacer, 2)}\n`);
    else process.stderr.write(`xdpchain: ${err.errno}: ${err.message}\n`);
    return EXIT_FAILURE;
  }
  const msg = err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`xdpchain: internal error (please report): ${msg}\n`);
  return EXIT_BUG;
}

/** Wrap a command action so typed errors end the process with a clear message and exit status. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void> | void): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      const cmd = args[args.length - 1] as Command | undefined;
      const opts = (typeof cmd?.opts === 'function' ? cmd.opts() : {}) as JsonOption;
      process.exitCode = reportError(err, Boolean(opts.json));
    }
  };
}
