import type { EngineOptions, ExecutionEngine } from '../../src/vm/engine.js';
import { createInterpreter } from '../../src/vm/interp/index.js';

/** Every engine the semantics tests must hold for. */
export const engines: { name: string; create: (o: EngineOptions) => ExecutionEngine }[] = [{ name: 'interp', create: createInterpreter }];
