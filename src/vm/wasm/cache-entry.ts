import type { SpecAnswer } from './codegen-inputs.js';

/** A cached program module: its bytes, its function entries, and the spec answers it was built from. */
export interface CacheEntry {
  readonly binary: Uint8Array;
  readonly entries: readonly number[];
  readonly answers: readonly SpecAnswer[];
}

/** An entry as stored: the byte length of a JSON header (u32 LE), the header, the module's bytes. */
export function encodeEntry(e: CacheEntry): Uint8Array {
  const header = new TextEncoder().encode(JSON.stringify({ entries: e.entries, answers: e.answers }));
  const out = new Uint8Array(4 + header.length + e.binary.length);
  new DataView(out.buffer).setUint32(0, header.length, true);
  out.set(header, 4);
  out.set(e.binary, 4 + header.length);
  return out;
}

/** The entry stored in `bytes`, or undefined when they are not one (the store checks integrity; this checks shape). */
export function decodeEntry(bytes: Uint8Array | undefined): CacheEntry | undefined {
  if (!bytes || bytes.length < 4) return undefined;
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true);
  if (4 + length > bytes.length) return undefined;
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + length)));
  } catch {
    return undefined;
  }
  const { entries, answers } = (header ?? {}) as { entries?: unknown; answers?: unknown };
  if (!Array.isArray(entries) || !entries.every((x) => Number.isInteger(x))) return undefined;
  if (!Array.isArray(answers) || !answers.every(isAnswer)) return undefined;
  return { binary: bytes.subarray(4 + length), entries, answers };
}

function isAnswer(a: unknown): a is SpecAnswer {
  if (typeof a !== 'object' || a === null) return false;
  const { name, args, value } = a as Record<string, unknown>;
  return typeof name === 'string' && typeof value === 'string' && (args === undefined || (Array.isArray(args) && args.every((x) => typeof x === 'number')));
}
