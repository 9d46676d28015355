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
