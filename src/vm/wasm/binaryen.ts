import type Binaryen from 'binaryen';
import { XdpchainError } from '../../errors/index.js';

type BinaryenModule = typeof Binaryen;

let loaded: BinaryenModule | undefined;

/**
 * binaryen.js takes most of a second to start, so it is loaded only where programs will run:
 * the library entry point, the CLI commands that run packets, the benchmark and the tests.
 */
export async function loadWasmCodegen(): Promise<void> {
  loaded ??= (await import('binaryen')).default;
}

export function binaryen(): BinaryenModule {
  if (!loaded) {
    throw new XdpchainError('EAGAIN', 'the wasm code generator is not loaded: await loadWasmCodegen() before running programs on the wasm engine (or use --engine interp)');
  }
  return loaded;
}
