import type { EngineOptions, ExecutionEngine } from '../../src/vm/engine.js';
import { ENGINES } from '../../src/vm/engines.js';

/** Every engine the semantics tests must hold for. */
export const engines: { name: string; create: (o: EngineOptions) => ExecutionEngine }[] = Object.entries(ENGINES).map(([name, create]) => ({ name, create }));
