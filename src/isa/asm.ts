import { MalformedInputError } from '../errors/index.js';
import { encodeInstruction, type AccessSize, type AluOpName, type AtomicOpName, type Instruction, type JumpCond } from './instruction.js';
import type { RawInstruction } from './raw.js';

/**
 * Assembler for the `%rN` dialect of the conformance vectors (`mov %r0, 1`, `ldxw %r0, [%r1+4]`,
 * `jeq %r1, 0x10, label`, `lock fetch add32 [%r10-8], %r1`, `call %r2`, `label:`, `# comments`).
 * Errors name the line and the exact problem.
 */
export function assemble(text: string): RawInstruction[] {
  return assembleInstructions(text).flatMap((i) => encodeInstruction(i));
}

interface Line {
  no: number;
  mnemonic: string;
  operands: string[];
}

const ALU_OPS: Record<string, AluOpName> = {
  add: 'add',
  sub: 'sub',
  mul: 'mul',
  div: 'div',
  sdiv: 'sdiv',
  or: 'or',
  and: 'and',
  lsh: 'lsh',
  rsh: 'rsh',
  mod: 'mod',
  smod: 'smod',
  xor: 'xor',
  mov: 'mov',
  arsh: 'arsh',
  neg: 'neg',
};
const JUMPS: readonly JumpCond[] = ['jeq', 'jgt', 'jge', 'jset', 'jne', 'jsgt', 'jsge', 'jlt', 'jle', 'jslt', 'jsle'];
const SIZES: Record<string, AccessSize> = { b: 1, h: 2, w: 4, dw: 8 };
const ATOMICS: readonly AtomicOpName[] = ['add', 'or', 'and', 'xor', 'xchg', 'cmpxchg'];

export function assembleInstructions(text: string): Instruction[] {
  const lines: Line[] = [];
  const labels = new Map<string, number>();
  let slot = 0;
  text.split(/\r?\n/).forEach((rawLine, i) => {
    const no = i + 1;
    const line = rawLine.replace(/#.*$/, '').trim();
    if (!line) return;
    const label = /^([A-Za-z_.$][\w.$]*):$/.exec(line);
    if (label) {
      if (labels.has(label[1])) throw err(no, `label "${label[1]}" is defined twice`);
      labels.set(label[1], slot);
      return;
    }
    const sp = line.search(/\s/);
    const mnemonic = (sp < 0 ? line : line.slice(0, sp)).toLowerCase();
    const rest = sp < 0 ? '' : line.slice(sp + 1).trim();
    const operands = rest === '' ? [] : splitOperands(rest);
    lines.push({ no, mnemonic, operands });
    slot += mnemonic === 'lddw' ? 2 : 1;
  });

  // A jump to `exit` with no such label means the next exit instruction (the vectors' convention).
  const exits: number[] = [];
  let pos = 0;
  for (const line of lines) {
    if (line.mnemonic === 'exit') exits.push(pos);
    pos += line.mnemonic === 'lddw' ? 2 : 1;
  }
  const out: Instruction[] = [];
  let at = 0;
  for (const line of lines) {
    const targets = labels.has('exit') ? labels : new Map([...labels, ['exit', exits.find((e) => e > at) ?? exits[exits.length - 1] ?? -1]]);
    const insn = assembleLine(line, targets, at);
    out.push(insn);
    at += insn.kind === 'ld_imm64' ? 2 : 1;
  }
  return out;
}

function err(line: number, message: string): MalformedInputError {
  return new MalformedInputError('assembler', `line ${line}: ${message}`);
}

/** Split on commas outside brackets. */
function splitOperands(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '[') depth++;
    if (ch === ']') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  parts.push(cur.trim());
  return parts;
}

function parseNumber(text: string): bigint | undefined {
  const m = /^([+-]?)(0x[0-9a-fA-F]+|\d+)$/.exec(text);
  if (!m) return undefined;
  const v = BigInt(m[2]);
  return m[1] === '-' ? -v : v;
}

function assembleLine(line: Line, labels: Map<string, number>, slot: number): Instruction {
  const { no, mnemonic: m, operands } = line;
  const fail = (message: string): never => {
    throw err(no, message);
  };
  const want = (n: number, what = m): void => {
    if (operands.length !== n) fail(`Invalid number of operands for ${what}: expected ${n}, got ${operands.length}`);
  };
  const reg = (i: number, text = operands[i]): number => {
    const r = /^%r(\d+)$/.exec(text);
    if (!r) return fail(`operand ${i + 1} "${text}" is not a register`);
    const n = Number(r[1]);
    if (n > 10) fail(`Invalid register %r${n}`);
    return n;
  };
  const imm32 = (i: number): number => {
    const text = operands[i];
    const v = parseNumber(text);
    if (v === undefined) return fail(`operand ${i + 1} "${text}" is not a number`);
    const hex = /0x/i.test(text);
    const ok = hex ? v >= -(2n ** 31n) && v <= 0xffffffffn : v >= -(2n ** 31n) && v < 2n ** 31n;
    if (!ok) fail(`immediate ${text} does not fit in 32 bits${hex ? '' : ' (decimal immediates are signed: -2147483648..2147483647)'}`);
    return Number(BigInt.asIntN(32, v));
  };
  const regOrImm = (i: number): { reg: number } | { imm: number } => (operands[i]?.startsWith('%') ? { reg: reg(i) } : { imm: imm32(i) });
  const mem = (i: number, text = operands[i] ?? ''): { base: number; off: number } => {
    const r = /^\[\s*%r(\d+)\s*(?:([+-])\s*(0x[0-9a-fA-F]+|\d+))?\s*\]$/.exec(text);
    if (!r) return fail(`operand ${i + 1} "${text}" is not a memory reference like [%r1+8]`);
    const base = Number(r[1]);
    if (base > 10) fail(`Invalid register %r${base}`);
    const mag = r[3] === undefined ? 0 : Number(BigInt(r[3]));
    const off = r[2] === '-' ? -mag : mag;
    if (off < -32768 || off > 32767) fail(`offset ${off} does not fit in 16 bits`);
    return { base, off };
  };
  const target = (i: number, bits: 16 | 32): number => {
    const text = operands[i];
    let rel: number;
    if (/^[+-]\d+$/.test(text)) rel = Number(text);
    else {
      const at = labels.get(text);
      if (at === undefined || at < 0) return fail(`unknown label "${text}"`);
      rel = at - (slot + 1);
    }
    const max = bits === 16 ? 32767 : 2 ** 31 - 1;
    if (rel < -max - 1 || rel > max) fail(`jump to ${text} is out of ${bits}-bit range`);
    return rel;
  };

  if (m === 'exit') {
    want(0);
    return { kind: 'exit' };
  }
  if (m === 'lddw') {
    want(2);
    const v = parseNumber(operands[1]);
    if (v === undefined || v < -(2n ** 63n) || v >= 2n ** 64n) fail(`"${operands[1]}" is not a 64-bit number`);
    return { kind: 'ld_imm64', dst: reg(0), pseudo: 0, imm: BigInt.asUintN(64, v!) };
  }
  if (m === 'call') {
    want(1);
    if (operands[0].startsWith('%')) return { kind: 'callx', reg: reg(0), legacyImm: false };
    return { kind: 'call', target: 'helper', imm: imm32(0) };
  }
  if (m === 'ja' || m === 'ja32') {
    want(1);
    const bits = m === 'ja' ? 64 : 32;
    return { kind: 'jump', bits, cond: 'ja', dst: 0, src: { imm: 0 }, offset: target(0, bits === 64 ? 16 : 32) };
  }
  const jump = /^([a-z]+?)(32)?$/.exec(m);
  if (jump && (JUMPS as readonly string[]).includes(jump[1])) {
    want(3);
    return { kind: 'jump', bits: jump[2] ? 32 : 64, cond: jump[1] as JumpCond, dst: reg(0), src: regOrImm(1), offset: target(2, 16) };
  }
  const endian = /^(le|be|swap|bswap)(16|32|64)$/.exec(m);
  if (endian) {
    want(1);
    const order = endian[1] === 'le' ? 'le' : endian[1] === 'be' ? 'be' : 'bswap';
    return { kind: 'endian', order, bits: Number(endian[2]) as 16 | 32 | 64, dst: reg(0) };
  }
  const movsx = /^movsx(8|16|32)(32|64)$/.exec(m);
  if (movsx) {
    want(2);
    const from = Number(movsx[1]) as 8 | 16 | 32;
    const bits = Number(movsx[2]) as 32 | 64;
    if (from >= bits) fail(`${m}: cannot sign-extend ${from} bits into ${bits}`);
    return { kind: 'alu', bits, op: 'movsx', dst: reg(0), src: { reg: reg(1) }, extendBits: from };
  }
  const ldx = /^ldx(s?)(b|h|w|dw)$/.exec(m);
  if (ldx) {
    want(2);
    const size = SIZES[ldx[2]];
    if (ldx[1] && size === 8) fail('ldxsdw does not exist: sign extension needs a smaller load');
    const { base, off } = mem(1);
    return { kind: 'load', size, signed: ldx[1] === 's', dst: reg(0), base, off };
  }
  const st = /^st(x?)(b|h|w|dw)$/.exec(m);
  if (st) {
    want(2);
    const { base, off } = mem(0);
    return { kind: 'store', size: SIZES[st[2]], base, off, value: st[1] ? { reg: reg(1) } : { imm: imm32(1) } };
  }
  if (m === 'lock') {
    // lock [fetch] op[32] [mem], %reg
    const words = operands.length > 0 ? operands[0].split(/\s+/) : [];
    const all = [...words, ...operands.slice(1)];
    const fetch = all[0] === 'fetch';
    const rest = fetch ? all.slice(1) : all;
    if (rest.length !== 3) fail('Invalid number of operands for lock');
    const opm = /^([a-z]+?)(32)?$/.exec(rest[0]);
    if (!opm || !(ATOMICS as readonly string[]).includes(opm[1])) fail(`unknown atomic operation "${rest[0]}"`);
    const op = opm![1] as AtomicOpName;
    if (fetch && (op === 'xchg' || op === 'cmpxchg')) fail(`${op} always fetches; write "lock ${rest[0]}"`);
    const { base, off } = mem(0, rest[1]);
    return { kind: 'atomic', size: opm![2] ? 4 : 8, op, fetch: fetch || op === 'xchg' || op === 'cmpxchg', base, off, src: reg(1, rest[2]) };
  }
  const alu = /^([a-z]+?)(32|64)?$/.exec(m);
  if (alu && alu[1] in ALU_OPS) {
    const op = ALU_OPS[alu[1]];
    const bits = alu[2] === '32' ? 32 : 64;
    if (op === 'neg') {
      want(1);
      return { kind: 'alu', bits, op, dst: reg(0), src: { imm: 0 } };
    }
    want(2);
    return { kind: 'alu', bits, op, dst: reg(0), src: regOrImm(1) };
  }
  return fail(`Invalid mnemonic "${m}"`);
}
