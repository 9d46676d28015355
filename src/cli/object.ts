import { readFileSync } from 'node:fs';
import { onUserPath, XdpchainError } from '../errors/index.js';
import { readCollectionSpec } from '../elf/collection.js';
import type { Collection } from '../runtime/collection.js';
import type { Program } from '../runtime/program.js';
import type { CollectionSpec } from '../object-spec/collection-spec.js';

/** Read an object file into a spec, naming the file in every error. */
export function readObject(path: string): CollectionSpec {
  const bytes = new Uint8Array(onUserPath(`object ${path}`, () => readFileSync(path), 'give a BPF ELF object (clang -target bpf -c)'));
  return readCollectionSpec(bytes, { source: path });
}

/** The program `--prog` names, or the only XDP program of the collection. */
export function pickProgram(coll: Collection, name: string | undefined, object: string): Program {
  if (name) return coll.program(name);
  const all = [...coll.programs.values()];
  if (all.length === 1) return all[0];
  throw new XdpchainError('EINVAL', `${object} has ${all.length} programs (${all.map((p) => p.name).join(', ')}); choose one with --prog`);
}

/** Parse an integer option with a clear message. */
export function intOption(value: string, what: string): number {
  if (!/^\d+$/.test(value)) throw new XdpchainError('EINVAL', `${what} must be a non-negative integer, not "${value}"`);
  return Number(value);
}
