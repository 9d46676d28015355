import { loadWasmCodegen } from '../src/vm/wasm/binaryen.js';

// Tests build runtimes directly (not through src/index.ts), so load the wasm code generator here.
await loadWasmCodegen();
