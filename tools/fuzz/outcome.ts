import { XdpchainError } from '../../src/errors/index.js';

/** What one input did: ran to the end, failed with a typed error, or hit a bug. */
export type Outcome = { kind: 'ok' } | { kind: 'typed'; key: string } | { kind: 'internal'; key: string; stack: string };

/**
 * A CLI command run in-process that reported an internal error (exit status 70): the CLI catches
 * the exception itself, so the harness gets the text it printed instead.
 */
export class CliInternalError extends Error {
  constructor(readonly output: string) {
    // The message is the exception the CLI caught (its first line, after the CLI's own prefix).
    super(output.split('\n')[0].replace(/^xdpchain: internal error \(please report\): /, '') || 'internal error');
    this.name = 'CliInternalError';
    this.stack = output;
  }
}

/** The first words of a message, with numbers, paths and quoted names folded, to count distinct errors. */
export function errorShape(message: string): string {
  return message
    .replace(/\/[\w./+-]+/g, '<path>')
    .replace(/"[^"]*"|'[^']*'/g, '<q>')
    .replace(/0x[0-9a-f]+|-?\d+/gi, 'N')
    .split(/\s+/)
    .slice(0, 6)
    .join(' ');
}

/**
 * Classify what an input threw. Typed means an XdpchainError (MalformedInputError, VmFault, ...)
 * that is not readCollectionSpec's safety net (`detail.unexpected`): that wrapper turns a raw
 * exception into EINVAL so users get a clean message, but the exception under it is still a bug.
 */
export function classify(error: unknown): Outcome {
  if (error instanceof XdpchainError && error.detail.unexpected !== true) {
    return { kind: 'typed', key: `${error.errno} ${errorShape(error.message)}` };
  }
  const e = error instanceof Error ? error : new Error(String(error));
  const stack = e.stack ?? `${e.name}: ${e.message}`;
  // Grouped by the exception's kind, its first words and where it was thrown (paths from src/ on).
  const top = (stack.split('\n').find((l) => l.trim().startsWith('at ')) ?? '').trim().replace(/\(?file:\/\/\/?\S*?\/(src|tools)\//, '($1/');
  const words = errorShape(e.message).split(' ').slice(0, 3).join(' ');
  return { kind: 'internal', key: `${e.name}: ${words} ${top}`, stack };
}
