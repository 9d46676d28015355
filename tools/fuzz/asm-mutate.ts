import { mutateBytes } from './mutate.js';
import type { Rng } from './prng.js';

const REGISTERS = ['%r0', '%r1', '%r9', '%r10', '%r11', '%r-1', '%r99', '%r', 'r1', '%R1'];
const IMMEDIATES = [
  '0',
  '-1',
  '0x7fffffff',
  '0x80000000',
  '-0x80000000',
  '0xffffffff',
  '0x100000000',
  '0xffffffffffffffff',
  '0x10000000000000000',
  '-9223372036854775808',
  '1e9',
  '08',
  '0x',
  '-',
  '+1',
  '32767',
  '-32769',
  '65536',
];
const MNEMONICS = [
  'mov',
  'mov32',
  'add',
  'add32',
  'lddw',
  'ldxdw',
  'ldxb',
  'stxw',
  'stw',
  'ja',
  'jeq',
  'jsgt',
  'call',
  'exit',
  'neg',
  'be16',
  'le64',
  'lock',
  'fetch',
  'xchg',
  'cmpxchg',
  'div32',
  'smod',
  'movsx8',
  'ldabsw',
  'callx',
];
const PUNCTUATION = ['[', ']', '+', '-', ',', ':', '#', '[%r10-8]', '[%r1+0x7fff]', '[%r1-32769]'];

/** A source split into lines of tokens (words, registers, numbers and punctuation kept apart). */
const tokenize = (line: string): string[] => line.match(/%?[\w.$-]+|\S/g) ?? [];

/**
 * Mutate assembler source by token (a register, immediate or mnemonic replaced by an edge one,
 * two tokens swapped, a token dropped), by line (deleted, duplicated, swapped: labels and jumps
 * move apart) or bytewise.
 */
export function mutateAsm(rng: Rng, seed: Uint8Array, others: readonly Uint8Array[]): Uint8Array {
  if (rng.oneIn(6)) return mutateBytes(rng, seed, others);
  const lines = Buffer.from(seed).toString('utf8').split('\n');
  const rounds = 1 + rng.below(3);
  for (let i = 0; i < rounds && lines.length > 0; i++) {
    const li = rng.below(lines.length);
    const tokens = tokenize(lines[li]);
    const ti = rng.below(tokens.length);
    switch (rng.below(8)) {
      case 0:
        lines.splice(li, 1);
        continue;
      case 1:
        lines.splice(li, 0, lines[li]);
        continue;
      case 2: {
        const other = rng.below(lines.length);
        [lines[li], lines[other]] = [lines[other], lines[li]];
        continue;
      }
      case 3: {
        const tj = rng.below(tokens.length);
        [tokens[ti], tokens[tj]] = [tokens[tj], tokens[ti]];
        break;
      }
      case 4:
        tokens.splice(ti, 1);
        break;
      case 5:
        tokens[ti] = rng.pick(MNEMONICS);
        break;
      case 6:
        tokens[ti] = rng.pick(PUNCTUATION);
        break;
      default:
        tokens[ti] = /^%?r\d/i.test(tokens[ti] ?? '') ? rng.pick(REGISTERS) : rng.pick(IMMEDIATES);
    }
    lines[li] = join(tokens);
  }
  return new TextEncoder().encode(lines.join('\n'));
}

/** Tokens back to a line, written tightly around brackets and commas as the dialect's sources are. */
const join = (tokens: readonly string[]): string => tokens.join(' ').replace(/ ,/g, ',').replace(/\[ /g, '[').replace(/ \]/g, ']');
