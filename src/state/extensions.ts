import { conntrackState } from './conntrack-state.js';
import type { KnownIds } from './references.js';
import type { Session } from './session.js';
import { syncookieState } from './syncookie-state.js';
import type { Check, Problem } from './validate.js';

/** Hooks that multi-program modes and other runtime parts use to keep their own state in the snapshot. */
export interface StateExtension {
  readonly key: string;
  /** The shape of what `capture` returns, checked before `restore` is given it. */
  readonly schema: Check;
  /** Checks the programs and devices that a (schema-valid) saved value refers to. */
  references?(saved: unknown, known: KnownIds, path: string, out: Problem[]): void;
  capture(session: Session): unknown;
  /** Returns what it kept, when it had to leave part of `saved` out (a capture whose file went away). */
  restore(session: Session, saved: unknown): unknown;
}

const extensions: StateExtension[] = [];

/** Add an extension (once per key): its part of the state is captured, checked and restored from then on. */
export function registerStateExtension(e: StateExtension): void {
  if (!extensions.some((x) => x.key === e.key)) extensions.push(e);
}

/** The extensions registered so far, in registration order. */
export function stateExtensions(): readonly StateExtension[] {
  return extensions;
}

// The conntrack table and the SYN cookie keys are the runtime's own state, kept whichever commands a program imports.
registerStateExtension(conntrackState);
registerStateExtension(syncookieState);
