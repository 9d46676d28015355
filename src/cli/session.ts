import type { Command } from 'commander';
import { Session } from '../state/session.js';
import type { EngineName } from '../vm/engine.js';

export interface GlobalOptions {
  state?: string;
  engine?: string;
  json?: boolean;
}

/** The options of a command merged with the root's (--state, --engine). */
export function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals() as GlobalOptions;
}

/**
 * Run a command against the state directory: restore it, run, save on success. The directory
 * stays locked for the duration, so concurrent invocations queue instead of corrupting it.
 */
export function withSession<T>(cmd: Command, fn: (s: Session) => T): T {
  const g = globals(cmd);
  const session = Session.open({ dir: g.state, engine: g.engine as EngineName | undefined });
  try {
    const result = fn(session);
    session.save();
    return result;
  } finally {
    session.close();
  }
}
