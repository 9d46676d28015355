// Bundles the CLI into one file, dist/cli/main.js in place of tsc's, after tsc and engine-id.mjs.
// Why: Node resolves, reads and compiles each ES module on its own, and the CLI's ~220 files
// cost ~70-120 ms of every invocation before a command starts; one file costs a fraction.
// The library (dist/index.js and the rest) stays as tsc wrote it.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const main = resolve(repo, 'dist/cli/main.js');

await build({
  entryPoints: [main],
  outfile: main,
  allowOverwrite: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Packages written as CommonJS (commander) call require, which an ES module lacks.
  banner: { js: "import { createRequire as xdpchainCreateRequire } from 'node:module';\nconst require = xdpchainCreateRequire(import.meta.url);" },
  // Maps point through tsc's maps to src/ (node --enable-source-maps shows TypeScript lines).
  sourcemap: true,
  logLevel: 'warning',
});

// In the bundle, import.meta.url is the bundle's: src/btf/bundled.ts finds data/btf/ two folders up
// from it, as from dist/btf/. The bundle must stay where that holds.
const btf = fileURLToPath(new URL('../../data/btf/xdp-types.btf', pathToFileURL(main)));
if (!existsSync(btf)) throw new Error(`the bundled CLI would look for the bundled BTF at ${btf}, which does not exist`);
