import type { Code } from '../interp/code.js';
import { decodeEntry, encodeEntry } from './cache-entry.js';
import { moduleKey } from './cache-key.js';
import { answersHold, CodegenInputs } from './codegen-inputs.js';
import { compileToWasm, type CodegenLayout } from './codegen.js';
import { ENGINE_ID } from './engine-id.js';
import type { ModuleStore } from '../module-store.js';

/** A program's compiled module and its function entries (each exported as `e<slot>`). */
export interface ProgramModule {
  readonly module: WebAssembly.Module;
  readonly entries: readonly number[];
  /** Whether the bytes came from the store (code generation skipped). */
  readonly cached: boolean;
}

/**
 * A program's wasm module, from `store` when it holds one built from the same inputs, else
 * generated (and then stored). An entry is used only when its name (every keyed input) matches
 * and the spec still gives every answer the generator got (map layouts, the context); a damaged
 * or stale entry is a miss and is replaced. Without a store or a known generator build
 * (`engineId`), nothing is cached.
 */
export function compileProgramModule(code: Code, layout: CodegenLayout, store: ModuleStore | undefined, engineId = ENGINE_ID): ProgramModule {
  const key = store && engineId !== undefined ? moduleKey(engineId, code, layout) : undefined;
  if (!store || key === undefined) {
    const { binary, entries } = compileToWasm(code, layout);
    return { module: compileBytes(binary), entries, cached: false };
  }
  const entry = decodeEntry(store.get(key));
  if (entry && answersHold(code.spec, entry.answers)) {
    const module = tryCompile(entry.binary);
    if (module) return { module, entries: entry.entries, cached: true };
  }
  const inputs = new CodegenInputs(code);
  const { binary, entries } = compileToWasm(inputs.code, layout);
  const module = compileBytes(binary);
  const answers = inputs.answers;
  if (answers) store.put(key, encodeEntry({ binary, entries, answers }));
  return { module, entries, cached: false };
}

function compileBytes(binary: Uint8Array): WebAssembly.Module {
  return new WebAssembly.Module(binary as Uint8Array<ArrayBuffer>);
}

/** A stored module V8 refuses (bytes that passed the store's checksum yet are no module) is a miss. */
function tryCompile(binary: Uint8Array): WebAssembly.Module | undefined {
  try {
    return compileBytes(binary);
  } catch {
    return undefined;
  }
}
