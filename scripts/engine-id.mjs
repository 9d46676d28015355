// Writes the wasm code generator's identity into the build (dist/vm/wasm/engine-id.js): a digest of
// the package version and of every compiled file the engine and the helper table import, so that cached modules
// (src/vm/wasm/cached-compile.ts) made by one build are never taken for another's. Run after tsc.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = resolve(repo, 'dist');
const target = resolve(dist, 'vm/wasm/engine-id.js');
const PLACEHOLDER = 'export const ENGINE_ID = undefined;';

/** The engine's file and every file it imports, directly or not (relative imports only: packages are not part of it). */
function closure(entry) {
  const seen = new Set();
  const visit = (file) => {
    if (seen.has(file) || file === target) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?['"](\.{1,2}\/[^'"]+)['"]/g)) visit(resolve(dirname(file), m[1]));
  };
  visit(entry);
  return [...seen].sort();
}

// The helpers too: a helper's own wasm lowering (HelperSpec.wasm) is part of the code generated.
const files = [...new Set([...closure(resolve(dist, 'vm/wasm/index.js')), ...closure(resolve(dist, 'helpers/table.js'))])].sort();
const version = JSON.parse(readFileSync(resolve(repo, 'package.json'), 'utf8')).version;
const h = createHash('sha256').update(`xdpchain ${version}\n`);
for (const f of files) h.update(`${relative(dist, f)}\n`).update(readFileSync(f));
const id = `${version}+${h.digest('hex').slice(0, 32)}`;

const text = readFileSync(target, 'utf8');
if (!text.includes(PLACEHOLDER)) throw new Error(`${relative(repo, target)} does not hold "${PLACEHOLDER}": was it built by tsc just now?`);
writeFileSync(target, text.replace(PLACEHOLDER, `export const ENGINE_ID = ${JSON.stringify(id)};`));
console.log(`engine id ${id} (${files.length} files)`);
