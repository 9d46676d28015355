/**
 * Identifies this build of the wasm code generator in the keys of cached modules: a digest of the
 * engine's compiled files and the package version, which `npm run build` writes here
 * (scripts/engine-id.mjs). Undefined in an unbuilt tree (tests run from src, a bare `tsc`): with
 * no way to tell one generator from the next, modules are then never cached on disk.
 */
export const ENGINE_ID: string | undefined = undefined;
