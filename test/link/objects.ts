import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCollectionSpec } from '../../src/elf/index.js';
import type { CollectionSpec } from '../../src/object-spec/collection-spec.js';

export const repo = new URL('../../', import.meta.url).pathname;
export const CORPUS = 'progs/build';
export const FIXTURES = 'test/fixtures/link/build';

/** Read an object by repository-relative path; `source` is the path, so labels are file names. */
export function read(path: string): CollectionSpec {
  return readCollectionSpec(new Uint8Array(readFileSync(join(repo, path))), { source: path });
}

export const fixture = (name: string): CollectionSpec => read(`${FIXTURES}/${name}.o`);
export const corpus = (name: string): CollectionSpec => read(`${CORPUS}/${name}.o`);

/** Every committed corpus object, by file name. */
export function corpusObjects(): string[] {
  return readdirSync(join(repo, CORPUS))
    .filter((f) => f.endsWith('.o'))
    .sort();
}

/** A spec as plain comparable data: typed arrays as hex, Maps as sorted entries, BTF left out. */
export function plain(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (key, v: unknown) => {
      if (key === 'btf' || key === 'source') return undefined;
      if (v instanceof Map) return [...v.entries()].sort(([a], [b]) => (String(a) < String(b) ? -1 : 1));
      if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
      if (typeof v === 'bigint') return `${v}n`;
      return v;
    }),
  );
}
