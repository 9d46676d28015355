import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root: the nearest directory above this file with a package.json (source or dist-tools). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('fuzz: cannot find the repository root (no package.json above the harness)');
    dir = up;
  }
  return dir;
}

/** Paths of the files in `dirs` (relative to the root) whose names end with `suffix`, sorted for reproducible runs. */
export function seedPaths(dirs: readonly string[], suffix: string): string[] {
  const root = repoRoot();
  return dirs.flatMap((d) => {
    const dir = join(root, d);
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((f) => f.endsWith(suffix))
      .sort()
      .map((f) => join(dir, f));
  });
}

/** The bytes of those files; a target with no seeds cannot fuzz anything, so that is an error. */
export function readSeeds(dirs: readonly string[], suffix: string, what: string): Uint8Array[] {
  const seeds = seedPaths(dirs, suffix).map((p) => new Uint8Array(readFileSync(p)));
  if (seeds.length === 0) throw new Error(`fuzz: no ${what} seeds found under ${dirs.join(', ')}`);
  return seeds;
}

/** The ELF objects of the repository: our programs and the test fixtures. */
export const OBJECT_DIRS = ['progs/build', 'test/fixtures/elf', 'test/fixtures/core/build', 'test/fixtures/load/build', 'test/fixtures/link/build'] as const;
