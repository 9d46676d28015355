import { XdpchainError } from '../errors/index.js';
import type { EngineName, EngineOptions, ExecutionEngine } from './engine.js';
import { createInterpreter } from './interp/index.js';
import { createWasmEngine } from './wasm/index.js';

export type EngineFactory = (opts: EngineOptions) => ExecutionEngine;

/** Every engine by name: wasm is the default, interp the reference it is checked against. */
export const ENGINES: Readonly<Record<EngineName, EngineFactory>> = { wasm: createWasmEngine, interp: createInterpreter };

/** `XDPCHAIN_ENGINE` picks the default (how CI runs the whole suite on the reference too). */
export const DEFAULT_ENGINE: EngineName = process.env.XDPCHAIN_ENGINE === 'interp' ? 'interp' : 'wasm';

/**
 * `XDPCHAIN_GRAPH_AFTER` overrides when a hot entry's programs are compiled into one unit
 * (EngineOptions.graphAfterPackets; CI runs the runtime tests with 0, so graphs run everywhere).
 */
export const GRAPH_AFTER_PACKETS: number | undefined = process.env.XDPCHAIN_GRAPH_AFTER ? Number(process.env.XDPCHAIN_GRAPH_AFTER) : undefined;

export function engineFactory(name: string): EngineFactory {
  const f = (ENGINES as Record<string, EngineFactory | undefined>)[name];
  if (!f) throw new XdpchainError('EINVAL', `unknown engine "${name}" (available: ${Object.keys(ENGINES).join(', ')})`);
  return f;
}
