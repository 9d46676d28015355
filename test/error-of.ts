import { XdpchainError } from '../src/errors/index.js';

/** The XdpchainError a call throws (anything else is rethrown; returning normally fails the test). */
export function errorOf(f: () => unknown): XdpchainError {
  try {
    f();
  } catch (e) {
    if (e instanceof XdpchainError) return e;
    throw e;
  }
  throw new Error('expected an XdpchainError, nothing was thrown');
}

/**
 * What a call gives, or the errno of the XdpchainError it throws: an outcome two engines can be
 * compared on. Anything else thrown (a TypeError, a RangeError) is a bug and is rethrown, so two
 * engines failing the same wrong way cannot pass for agreeing.
 */
export function outcomeOf<T>(f: () => T): T | { errno: string } {
  try {
    return f();
  } catch (e) {
    if (e instanceof XdpchainError) return { errno: e.errno };
    throw e;
  }
}

/** How many outcomes are not errors: a comparison of engines is worth little if most cases fail. */
export const succeeded = (outcomes: readonly unknown[]): number => outcomes.filter((o) => !(typeof o === 'object' && o !== null && 'errno' in o)).length;
