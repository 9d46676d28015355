import { MalformedInputError } from '../errors/index.js';

/** One conformance vector as written in a `.data` file. */
export interface ConformanceVector {
  asm?: string;
  /** Pre-encoded program bytes from a `raw` section. */
  raw?: Uint8Array;
  mem: Uint8Array;
  /** Expected r0 (unsigned 64-bit). */
  result?: bigint;
  /** Expected error text: the program must not run successfully. */
  error?: string;
}

const IGNORED = new Set(['no register offset', 'c']);
const KNOWN = new Set(['asm', 'raw', 'mem', 'result', 'error', ...IGNORED]);

/** Parse a `.data` file; unknown `--` directives are errors, as the upstream runner treats them. */
export function parseDataFile(text: string, name = 'vector'): ConformanceVector {
  const sections = new Map<string, string[]>();
  let current: string[] | undefined;
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.startsWith('--')) {
      const section = line.slice(2).trim();
      if (!KNOWN.has(section)) throw new MalformedInputError(`${name}`, `line ${i + 1}: unknown section "-- ${section}"`);
      current = [];
      sections.set(section, current);
    } else if (current && !line.startsWith('#')) {
      current.push(line);
    }
  });
  const vector: ConformanceVector = { mem: new Uint8Array(0) };
  const asm = sections.get('asm');
  if (asm) vector.asm = asm.join('\n');
  const mem = sections.get('mem');
  if (mem) vector.mem = parseHexBytes(mem.join(' '), `${name} mem`);
  const raw = sections.get('raw');
  if (raw) vector.raw = parseRawWords(raw, name);
  const result = sections.get('result')?.join(' ').trim();
  if (result) {
    if (!/^(0x[0-9a-fA-F]+|-?\d+)$/.test(result)) throw new MalformedInputError(name, `result "${result}" is not a number`);
    vector.result = BigInt.asUintN(64, BigInt(result));
  }
  const error = sections.get('error');
  if (error) vector.error = error.join('\n').trim();
  return vector;
}

export function parseHexBytes(text: string, what: string): Uint8Array {
  const tokens = text.split(/\s+/).filter(Boolean);
  return Uint8Array.from(tokens, (t, i) => {
    if (!/^[0-9a-fA-F]{2}$/.test(t)) throw new MalformedInputError(what, `byte ${i} "${t}" is not two hex digits`);
    return parseInt(t, 16);
  });
}

/** `raw` holds one 64-bit word per line (0x-prefixed, as the instruction's little-endian value) or single bytes. */
function parseRawWords(lines: string[], name: string): Uint8Array {
  const words = lines.map((l) => l.trim()).filter(Boolean);
  if (words.every((w) => /^0x[0-9a-fA-F]{1,16}$/.test(w))) {
    const out = new Uint8Array(words.length * 8);
    const dv = new DataView(out.buffer);
    words.forEach((w, i) => dv.setBigUint64(i * 8, BigInt(w), true));
    return out;
  }
  return parseHexBytes(words.join(' '), `${name} raw`);
}
