import { readFileSync } from 'node:fs';
import { MalformedInputError, XdpchainError } from '../errors/index.js';
import { parseBtfLazily } from './lazy.js';
import { BTF_MAGIC } from './parse.js';
import type { Btf } from './types.js';

/**
 * Raw BTF (what /sys/kernel/btf/vmlinux holds), parsed lazily; anything else is a
 * MalformedInputError naming `name` (src/elf/btf-file.ts also takes ELF files with a `.BTF`).
 */
export function parseRawBtf(bytes: Uint8Array, name: string, what = 'it does not start with the raw BTF magic 0xeb9f'): Btf {
  if (bytes.length < 2 || (bytes[0] | (bytes[1] << 8)) !== BTF_MAGIC) throw new MalformedInputError(name, `is not BTF: ${what}`, 0);
  return { ...parseBtfLazily(bytes, name), source: name };
}

/** The bytes of a file that should hold BTF; one that cannot be read is ENOENT naming it. */
export function readBtfBytes(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new XdpchainError('ENOENT', `cannot read BTF file ${path}: ${(e as Error).message}`);
  }
}

/** Read a raw BTF file (see parseRawBtf). */
export function readRawBtfFile(path: string): Btf {
  return parseRawBtf(readBtfBytes(path), path);
}
