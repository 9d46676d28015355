/**
 * The direct wasm emitter (src/vm/wasm/emit): LEB128 and section encodings, and every operation
 * of the expression builder, run by V8 and compared with the same arithmetic done in JS.
 */
import { describe, expect, it } from 'vitest';
import { ByteWriter } from '../../../src/vm/wasm/emit/bytes.js';
import type { Expr, ValType } from '../../../src/vm/wasm/emit/expr.js';
import { WasmModule } from '../../../src/vm/wasm/emit/module.js';

const bytesOf = (fill: (w: ByteWriter) => void): number[] => {
  const w = new ByteWriter();
  fill(w);
  return [...w.take()];
};

/** Compile `m` (it must validate) and instantiate it with `imports`. */
function instantiate(m: WasmModule, imports: WebAssembly.Imports = {}): Record<string, (...args: unknown[]) => unknown> {
  const binary = m.emit();
  expect(WebAssembly.validate(binary)).toBe(true);
  return new WebAssembly.Instance(new WebAssembly.Module(binary), imports).exports as Record<string, (...args: unknown[]) => unknown>;
}

let seed = 77;
const random32 = (): number => {
  seed = (Math.imul(seed, 1664525) + 1013904223) | 0;
  return seed;
};
/** Interesting operands first, then random ones. */
const OPERANDS32 = [0, 1, -1, 2, 31, 32, 33, 0x7fffffff, -0x80000000, 0x12345678, -5, 7, ...Array.from({ length: 24 }, random32)];
const OPERANDS64 = [
  0n,
  1n,
  -1n,
  63n,
  64n,
  65n,
  0x7fffffffffffffffn,
  -0x8000000000000000n,
  0x123456789abcdef0n,
  -5n,
  7n,
  0xffffffffn,
  ...Array.from({ length: 24 }, () => BigInt.asIntN(64, (BigInt(random32()) << 32n) | BigInt(random32() >>> 0))),
];

const u32 = (x: number): number => x >>> 0;
const I32_BINARY: Record<string, (a: number, b: number) => number | undefined> = {
  add: (a, b) => (a + b) | 0,
  sub: (a, b) => (a - b) | 0,
  mul: (a, b) => Math.imul(a, b),
  div_s: (a, b) => (b === 0 || (a === -0x80000000 && b === -1) ? undefined : (a / b) | 0),
  div_u: (a, b) => (b === 0 ? undefined : Math.floor(u32(a) / u32(b)) | 0),
  rem_s: (a, b) => (b === 0 ? undefined : (a % b) | 0),
  rem_u: (a, b) => (b === 0 ? undefined : (u32(a) % u32(b)) | 0),
  and: (a, b) => a & b,
  or: (a, b) => a | b,
  xor: (a, b) => a ^ b,
  shl: (a, b) => a << b,
  shr_s: (a, b) => a >> b,
  shr_u: (a, b) => (a >>> b) | 0,
  rotl: (a, b) => (a << (b & 31)) | (a >>> (32 - (b & 31))) | 0,
  rotr: (a, b) => (a >>> (b & 31)) | (a << (32 - (b & 31))) | 0,
  eq: (a, b) => +(a === b),
  ne: (a, b) => +(a !== b),
  lt_s: (a, b) => +(a < b),
  lt_u: (a, b) => +(u32(a) < u32(b)),
  gt_s: (a, b) => +(a > b),
  gt_u: (a, b) => +(u32(a) > u32(b)),
  le_s: (a, b) => +(a <= b),
  le_u: (a, b) => +(u32(a) <= u32(b)),
  ge_s: (a, b) => +(a >= b),
  ge_u: (a, b) => +(u32(a) >= u32(b)),
};
const I32_UNARY: Record<string, (a: number) => number> = {
  eqz: (a) => +(a === 0),
  clz: (a) => Math.clz32(a),
  ctz: (a) => (a === 0 ? 32 : 31 - Math.clz32(a & -a)),
  popcnt: (a) => [...u32(a).toString(2)].filter((c) => c === '1').length,
  extend8_s: (a) => (a << 24) >> 24,
  extend16_s: (a) => (a << 16) >> 16,
};
const s64 = (x: bigint): bigint => BigInt.asIntN(64, x);
const w64 = (x: bigint): bigint => BigInt.asUintN(64, x);
const I64_BINARY: Record<string, (a: bigint, b: bigint) => bigint | number | undefined> = {
  add: (a, b) => s64(a + b),
  sub: (a, b) => s64(a - b),
  mul: (a, b) => s64(a * b),
  div_s: (a, b) => (b === 0n || (a === -(2n ** 63n) && b === -1n) ? undefined : s64(a / b)),
  div_u: (a, b) => (b === 0n ? undefined : s64(w64(a) / w64(b))),
  rem_s: (a, b) => (b === 0n ? undefined : s64(a % b)),
  rem_u: (a, b) => (b === 0n ? undefined : s64(w64(a) % w64(b))),
  and: (a, b) => a & b,
  or: (a, b) => a | b,
  xor: (a, b) => a ^ b,
  shl: (a, b) => s64(a << (b & 63n)),
  shr_s: (a, b) => a >> (b & 63n),
  shr_u: (a, b) => s64(w64(a) >> (b & 63n)),
  rotl: (a, b) => s64((w64(a) << (b & 63n)) | (w64(a) >> ((64n - (b & 63n)) & 63n))),
  rotr: (a, b) => s64((w64(a) >> (b & 63n)) | (w64(a) << ((64n - (b & 63n)) & 63n))),
  eq: (a, b) => +(a === b),
  ne: (a, b) => +(a !== b),
  lt_s: (a, b) => +(a < b),
  lt_u: (a, b) => +(w64(a) < w64(b)),
  gt_s: (a, b) => +(a > b),
  gt_u: (a, b) => +(w64(a) > w64(b)),
  le_s: (a, b) => +(a <= b),
  le_u: (a, b) => +(w64(a) <= w64(b)),
  ge_s: (a, b) => +(a >= b),
  ge_u: (a, b) => +(w64(a) >= w64(b)),
};
const I64_UNARY: Record<string, (a: bigint) => bigint | number> = {
  eqz: (a) => +(a === 0n),
  clz: (a) => BigInt(a === 0n ? 64 : 64 - w64(a).toString(2).length),
  ctz: (a) => BigInt(a === 0n ? 64 : w64(a).toString(2).length - 1 - w64(a).toString(2).lastIndexOf('1')),
  popcnt: (a) => BigInt([...w64(a).toString(2)].filter((c) => c === '1').length),
  extend8_s: (a) => BigInt.asIntN(8, a),
  extend16_s: (a) => BigInt.asIntN(16, a),
  extend32_s: (a) => BigInt.asIntN(32, a),
  wrap: (a) => Number(BigInt.asIntN(32, a)),
};

describe('wasm emitter encodings', () => {
  it('writes LEB128 as the format defines it', () => {
    expect(bytesOf((w) => w.u32(624485))).toEqual([0xe5, 0x8e, 0x26]);
    expect(bytesOf((w) => w.u32(0xffffffff))).toEqual([0xff, 0xff, 0xff, 0xff, 0x0f]);
    expect(bytesOf((w) => w.u32(0))).toEqual([0]);
    expect(bytesOf((w) => w.s32(-123456))).toEqual([0xc0, 0xbb, 0x78]);
    expect(bytesOf((w) => w.s32(63))).toEqual([0x3f]);
    expect(bytesOf((w) => w.s32(64))).toEqual([0xc0, 0x00]);
    expect(bytesOf((w) => w.s32(-64))).toEqual([0x40]);
    expect(bytesOf((w) => w.s32(-65))).toEqual([0xbf, 0x7f]);
    expect(bytesOf((w) => w.s32(-0x80000000))).toEqual([0x80, 0x80, 0x80, 0x80, 0x78]);
    expect(bytesOf((w) => w.s64(-1, 0x7fffffff))).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00]);
    expect(bytesOf((w) => w.s64(0, -0x80000000))).toEqual([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f]);
    expect(bytesOf((w) => w.s64(0, 1))).toEqual([0x80, 0x80, 0x80, 0x80, 0x10]);
    expect(bytesOf((w) => w.s64(-2, -1))).toEqual([0x7e]);
    expect(bytesOf((w) => w.f64(1))).toEqual([0, 0, 0, 0, 0, 0, 0xf0, 0x3f]);
    expect(bytesOf((w) => w.name('ab'))).toEqual([2, 0x61, 0x62]);
  });

  it('writes one type per signature, imports of each kind and exports', () => {
    const m = new WasmModule();
    m.addFunctionImport('h', 'env', 'h', ['i32', 'i32'], 'i32');
    m.addMemoryImport('env', 'memory', { min: 1, max: 100 });
    m.addTableImport('fns', 'env', 'fns', { min: 1 });
    m.addTableImport('refs', 'env', 'refs', { min: 2, max: 8 }, 'externref');
    m.addGlobalImport('g', 'env', 'g', 'i32', true);
    m.addGlobalImport('k', 'env', 'k', 'i64', false);
    m.addFunction('a', ['i32', 'i32'], 'i32', [], m.call('h', [m.local.get(0, 'i32'), m.local.get(1, 'i32')], 'i32'));
    m.addFunction('b', ['i32', 'i32'], 'i32', ['i64'], m.i32.add(m.global.get('g', 'i32'), m.i32.wrap(m.global.get('k', 'i64'))));
    m.addFunction('c', ['i64'], 'none', [], m.nop());
    m.addFunctionExport('a', 'a');
    m.addFunctionExport('b', 'bee');
    const binary = m.emit();
    // Header, then the type section (id 1): two types for three functions and an import.
    expect([...binary.subarray(0, 8)]).toEqual([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
    expect(binary[8]).toBe(1);
    expect(binary[10]).toBe(2);
    const mod = new WebAssembly.Module(binary);
    expect(WebAssembly.Module.imports(mod)).toEqual([
      { module: 'env', name: 'h', kind: 'function' },
      { module: 'env', name: 'fns', kind: 'table' },
      { module: 'env', name: 'refs', kind: 'table' },
      { module: 'env', name: 'memory', kind: 'memory' },
      { module: 'env', name: 'g', kind: 'global' },
      { module: 'env', name: 'k', kind: 'global' },
    ]);
    expect(WebAssembly.Module.exports(mod)).toEqual([
      { name: 'a', kind: 'function' },
      { name: 'bee', kind: 'function' },
    ]);
    const e = new WebAssembly.Instance(mod, {
      env: {
        h: (x: number, y: number) => x * 10 + y,
        memory: new WebAssembly.Memory({ initial: 1, maximum: 100 }),
        fns: new WebAssembly.Table({ element: 'anyfunc', initial: 1 }),
        refs: new WebAssembly.Table({ element: 'externref', initial: 2, maximum: 8 }),
        g: new WebAssembly.Global({ value: 'i32', mutable: true }, 40),
        k: new WebAssembly.Global({ value: 'i64', mutable: false }, 2n),
      },
    }).exports as Record<string, (...args: number[]) => number>;
    expect(e.a(4, 2)).toBe(42);
    expect(e.bee(0, 0)).toBe(42);
  });

  it('computes every i32 operation as JS does', () => {
    const m = new WasmModule();
    const x = (): Expr => m.local.get(0, 'i32');
    const y = (): Expr => m.local.get(1, 'i32');
    const ops = m.i32 as unknown as Record<string, (...e: Expr[]) => Expr>;
    for (const name of Object.keys(I32_BINARY)) m.addFunction(name, ['i32', 'i32'], 'i32', [], ops[name](x(), y()));
    for (const name of Object.keys(I32_UNARY)) m.addFunction(name, ['i32', 'i32'], 'i32', [], ops[name](x()));
    for (const name of m.functions.keys()) m.addFunctionExport(name, name);
    const e = instantiate(m);
    for (const a of OPERANDS32) {
      for (const b of OPERANDS32) {
        for (const [name, f] of Object.entries(I32_BINARY)) {
          const want = f(a, b);
          if (want === undefined) expect(() => e[name](a, b)).toThrow(WebAssembly.RuntimeError);
          else expect({ name, a, b, got: e[name](a, b) }).toEqual({ name, a, b, got: want });
        }
      }
      for (const [name, f] of Object.entries(I32_UNARY)) expect({ name, a, got: e[name](a, 0) }).toEqual({ name, a, got: f(a) });
    }
  });

  it('computes every i64 operation as BigInt arithmetic does', () => {
    const m = new WasmModule();
    const x = (): Expr => m.local.get(0, 'i64');
    const y = (): Expr => m.local.get(1, 'i64');
    const ops = m.i64 as unknown as Record<string, (...e: Expr[]) => Expr>;
    const boolResult = (name: string): boolean => ['eq', 'ne', 'lt_s', 'lt_u', 'gt_s', 'gt_u', 'le_s', 'le_u', 'ge_s', 'ge_u', 'eqz'].includes(name);
    for (const name of Object.keys(I64_BINARY)) m.addFunction(name, ['i64', 'i64'], boolResult(name) ? 'i32' : 'i64', [], ops[name](x(), y()));
    for (const name of Object.keys(I64_UNARY)) {
      const body = name === 'wrap' ? m.i32.wrap(x()) : ops[name](x());
      m.addFunction(name, ['i64', 'i64'], boolResult(name) || name === 'wrap' ? 'i32' : 'i64', [], body);
    }
    m.addFunction('extend_s', ['i32'], 'i64', [], m.i64.extend_s(m.local.get(0, 'i32')));
    m.addFunction('extend_u', ['i32'], 'i64', [], m.i64.extend_u(m.local.get(0, 'i32')));
    for (const name of m.functions.keys()) m.addFunctionExport(name, name);
    const e = instantiate(m);
    for (const a of OPERANDS64) {
      for (const b of OPERANDS64) {
        for (const [name, f] of Object.entries(I64_BINARY)) {
          const want = f(a, b);
          if (want === undefined) expect(() => e[name](a, b)).toThrow(WebAssembly.RuntimeError);
          else expect({ name, a, b, got: e[name](a, b) }).toEqual({ name, a, b, got: want });
        }
      }
      for (const [name, f] of Object.entries(I64_UNARY)) expect({ name, a, got: e[name](a, 0n) }).toEqual({ name, a, got: f(a) });
    }
    for (const a of OPERANDS32) {
      expect(e.extend_s(a)).toBe(BigInt(a));
      expect(e.extend_u(a)).toBe(BigInt(a >>> 0));
    }
  });

  it('converts, compares and adds f64 as JS does', () => {
    const m = new WasmModule();
    const f = (i: number): Expr => m.local.get(i, 'f64');
    m.addFunction('arith', ['f64', 'f64'], 'f64', [], m.f64.sub(m.f64.add(m.f64.mul(f(0), f(1)), m.f64.div(f(0), f(1))), m.f64.const(0.25)));
    m.addFunction(
      'cmp',
      ['f64', 'f64'],
      'i32',
      [],
      m.i32.or(
        m.i32.or(m.i32.shl(m.f64.eq(f(0), f(1)), m.i32.const(0)), m.i32.shl(m.f64.ne(f(0), f(1)), m.i32.const(1))),
        m.i32.or(
          m.i32.or(m.i32.shl(m.f64.lt(f(0), f(1)), m.i32.const(2)), m.i32.shl(m.f64.gt(f(0), f(1)), m.i32.const(3))),
          m.i32.or(m.i32.shl(m.f64.le(f(0), f(1)), m.i32.const(4)), m.i32.shl(m.f64.ge(f(0), f(1)), m.i32.const(5))),
        ),
      ),
    );
    m.addFunction('trunc_u', ['f64'], 'i64', [], m.i64.trunc_u.f64(f(0)));
    m.addFunction('trunc_s', ['f64'], 'i64', [], m.i64.trunc_s.f64(f(0)));
    m.addFunction('from_u32', ['i32'], 'f64', [], m.f64.convert_u.i32(m.local.get(0, 'i32')));
    m.addFunction('from_s32', ['i32'], 'f64', [], m.f64.convert_s.i32(m.local.get(0, 'i32')));
    m.addFunction('from_u64', ['i64'], 'f64', [], m.f64.convert_u.i64(m.local.get(0, 'i64')));
    m.addFunction('from_s64', ['i64'], 'f64', [], m.f64.convert_s.i64(m.local.get(0, 'i64')));
    for (const name of m.functions.keys()) m.addFunctionExport(name, name);
    const e = instantiate(m);
    for (const [a, b] of [
      [3, 4],
      [1.5, -2],
      [0, 1e300],
      [7, 7],
    ]) {
      expect(e.arith(a, b)).toBe(a * b + a / b - 0.25);
      expect(e.cmp(a, b)).toBe(+(a === b) | (+(a !== b) << 1) | (+(a < b) << 2) | (+(a > b) << 3) | (+(a <= b) << 4) | (+(a >= b) << 5));
    }
    expect(e.trunc_u(2 ** 63 + 2 ** 12)).toBe(-(2n ** 63n) + 4096n);
    expect(e.trunc_s(-3.9)).toBe(-3n);
    expect(() => e.trunc_u(-1)).toThrow(WebAssembly.RuntimeError);
    expect(e.from_u32(-1)).toBe(4294967295);
    expect(e.from_s32(-1)).toBe(-1);
    expect(e.from_u64(-1n)).toBe(2 ** 64);
    expect(e.from_s64(-2n)).toBe(-2);
  });

  it('loads, stores, copies and fills memory at offsets, with sign and zero extension', () => {
    const m = new WasmModule();
    m.addMemoryImport('env', 'memory', { min: 1 });
    const p = (): Expr => m.local.get(0, 'i32');
    const v64 = (): Expr => m.local.get(1, 'i64');
    const v32 = (): Expr => m.i32.wrap(v64());
    const stores: [string, Expr][] = [
      ['i32.store', m.i32.store(1, 1, p(), v32())],
      ['i32.store8', m.i32.store8(1, 1, p(), v32())],
      ['i32.store16', m.i32.store16(1, 1, p(), v32())],
      ['i64.store', m.i64.store(3, 1, p(), v64())],
      ['i64.store8', m.i64.store8(0, 1, p(), v64())],
      ['i64.store16', m.i64.store16(0, 2, p(), v64())],
      ['i64.store32', m.i64.store32(0, 4, p(), v64())],
      ['f64.store', m.f64.store(8, 8, p(), m.f64.convert_s.i64(v64()))],
    ];
    for (const [name, body] of stores) m.addFunction(name, ['i32', 'i64'], 'none', [], body);
    const loads32: [string, Expr][] = [
      ['i32.load', m.i32.load(2, 1, p())],
      ['i32.load8_s', m.i32.load8_s(2, 1, p())],
      ['i32.load8_u', m.i32.load8_u(2, 1, p())],
      ['i32.load16_s', m.i32.load16_s(2, 2, p())],
      ['i32.load16_u', m.i32.load16_u(2, 2, p())],
    ];
    const loads64: [string, Expr][] = [
      ['i64.load', m.i64.load(0, 8, p())],
      ['i64.load8_s', m.i64.load8_s(0, 1, p())],
      ['i64.load8_u', m.i64.load8_u(0, 1, p())],
      ['i64.load16_s', m.i64.load16_s(0, 1, p())],
      ['i64.load16_u', m.i64.load16_u(0, 1, p())],
      ['i64.load32_s', m.i64.load32_s(0, 1, p())],
      ['i64.load32_u', m.i64.load32_u(0, 1, p())],
      ['f64.load', m.i64.trunc_s.f64(m.f64.load(0, 8, p()))],
    ];
    for (const [name, body] of loads32) m.addFunction(name, ['i32'], 'i32', [], body);
    for (const [name, body] of loads64) m.addFunction(name, ['i32'], 'i64', [], body);
    m.addFunction('copy', ['i32', 'i32', 'i32'], 'none', [], m.memory.copy(m.local.get(0, 'i32'), m.local.get(1, 'i32'), m.local.get(2, 'i32')));
    m.addFunction('fill', ['i32', 'i32', 'i32'], 'none', [], m.memory.fill(m.local.get(0, 'i32'), m.local.get(1, 'i32'), m.local.get(2, 'i32')));
    for (const name of m.functions.keys()) m.addFunctionExport(name, name);
    const memory = new WebAssembly.Memory({ initial: 1 });
    const e = instantiate(m, { env: { memory } });
    const dv = new DataView(memory.buffer);
    const v = -0x0123456789abcdefn;
    const clear = (): void => {
      new Uint8Array(memory.buffer).fill(0, 0, 64);
    };
    const at = (off: number, size: number): bigint => BigInt.asIntN(size * 8, dv.getBigUint64(off, true));
    clear();
    e['i32.store'](16, v);
    expect(dv.getInt32(17, true)).toBe(Number(BigInt.asIntN(32, v)));
    clear();
    e['i32.store8'](16, v);
    expect(at(17, 8)).toBe(BigInt.asUintN(8, v));
    clear();
    e['i32.store16'](16, v);
    expect(at(17, 8)).toBe(BigInt.asUintN(16, v));
    clear();
    e['i64.store'](16, v);
    expect(dv.getBigInt64(19, true)).toBe(v);
    clear();
    e['i64.store8'](16, v);
    expect(at(16, 8)).toBe(BigInt.asUintN(8, v));
    clear();
    e['i64.store16'](16, v);
    expect(at(16, 8)).toBe(BigInt.asUintN(16, v));
    clear();
    e['i64.store32'](16, v);
    expect(at(16, 8)).toBe(BigInt.asUintN(32, v));
    clear();
    e['f64.store'](16, -12345n);
    expect(dv.getFloat64(24, true)).toBe(-12345);
    clear();
    dv.setBigInt64(32, v, true);
    expect(e['i32.load'](30)).toBe(Number(BigInt.asIntN(32, v)));
    expect(e['i32.load8_s'](30)).toBe(Number(BigInt.asIntN(8, v)));
    expect(e['i32.load8_u'](30)).toBe(Number(BigInt.asUintN(8, v)));
    expect(e['i32.load16_s'](30)).toBe(Number(BigInt.asIntN(16, v)));
    expect(e['i32.load16_u'](30)).toBe(Number(BigInt.asUintN(16, v)));
    expect(e['i64.load'](32)).toBe(v);
    expect(e['i64.load8_s'](32)).toBe(BigInt.asIntN(8, v));
    expect(e['i64.load8_u'](32)).toBe(BigInt.asUintN(8, v));
    expect(e['i64.load16_s'](32)).toBe(BigInt.asIntN(16, v));
    expect(e['i64.load16_u'](32)).toBe(BigInt.asUintN(16, v));
    expect(e['i64.load32_s'](32)).toBe(BigInt.asIntN(32, v));
    expect(e['i64.load32_u'](32)).toBe(BigInt.asUintN(32, v));
    dv.setFloat64(40, -77, true);
    expect(e['f64.load'](40)).toBe(-77n);
    e.fill(0, 0xab, 4);
    e.copy(2, 0, 4);
    expect([...new Uint8Array(memory.buffer, 0, 7)]).toEqual([0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0]);
    expect(() => e['i64.load'](65536 - 4)).toThrow(WebAssembly.RuntimeError);
  });

  it('runs locals, selects, calls, indirect calls, blocks, loops, ifs, branches, tables and traps', () => {
    const m = new WasmModule();
    m.addTableImport('fns', 'env', 'fns', { min: 1 });
    m.addFunctionImport('log', 'env', 'log', ['i32'], 'none');
    const g = (i: number, t: ValType = 'i32'): Expr => m.local.get(i, t);
    // select evaluates both arms, then the condition.
    m.addFunction(
      'select',
      ['i32'],
      'i32',
      [],
      m.select(
        g(0),
        m.block(null, [m.call('log', [m.i32.const(1)], 'none'), m.i32.const(10)], 'i32'),
        m.block(null, [m.call('log', [m.i32.const(2)], 'none'), m.i32.const(20)], 'i32'),
      ),
    );
    m.addFunction('tee', ['i32'], 'i32', ['i32'], m.i32.add(m.local.tee(1, m.i32.mul(g(0), m.i32.const(3)), 'i32'), g(1)));
    m.addFunction('twice', ['i32'], 'i32', [], m.i32.mul(g(0), m.i32.const(2)));
    m.addFunction('indirect', ['i32', 'i32'], 'i32', [], m.call_indirect('fns', g(1), [g(0)], ['i32'], 'i32'));
    // Sum 1..n with a loop, a labelled block left by br_if, and a return from inside.
    m.addFunction(
      'sum',
      ['i32'],
      'i32',
      ['i32', 'i32'],
      m.block(
        null,
        [
          m.block(
            'done',
            [
              m.loop(
                'next',
                m.block(
                  null,
                  [m.br('done', m.i32.gt_s(g(1), g(0))), m.local.set(2, m.i32.add(g(2), g(1))), m.local.set(1, m.i32.add(g(1), m.i32.const(1))), m.br('next')],
                  'none',
                ),
              ),
            ],
            'none',
          ),
          m.if(m.i32.eq(g(0), m.i32.const(100)), m.return(m.i32.const(-1))),
          g(2),
        ],
        'i32',
      ),
    );
    // Typed ifs (one arm unreachable), a br_table and a branch with a value.
    m.addFunction(
      'classify',
      ['i32'],
      'i32',
      [],
      m.block(
        null,
        [
          m.block(
            'c',
            [m.block('b', [m.block('a', [m.switch(['a', 'b'], 'c', g(0))], 'none'), m.return(m.i32.const(100))], 'none'), m.return(m.i32.const(200))],
            'none',
          ),
          m.if(
            m.i32.lt_s(g(0), m.i32.const(0)),
            m.unreachable(),
            m.block('v', [m.drop(m.i32.const(5)), m.drop(m.br('v', m.i32.const(1), m.i32.const(300))), m.drop(m.i32.const(0)), m.i32.const(400)], 'i32'),
          ),
        ],
        'i32',
      ),
    );
    m.addFunction('nop', [], 'none', [], m.nop());
    for (const name of m.functions.keys()) m.addFunctionExport(name, name);
    const log: number[] = [];
    const fns = new WebAssembly.Table({ element: 'anyfunc', initial: 2 });
    const e = instantiate(m, { env: { fns, log: (x: number) => log.push(x) } });
    expect([e.select(1), e.select(0)]).toEqual([10, 20]);
    expect(log).toEqual([1, 2, 1, 2]);
    expect(e.tee(5)).toBe(30);
    fns.set(1, e.twice as never);
    expect(e.indirect(21, 1)).toBe(42);
    expect(() => e.indirect(21, 0)).toThrow(WebAssembly.RuntimeError);
    expect([e.sum(0), e.sum(1), e.sum(10), e.sum(100)]).toEqual([0, 1, 55, -1]);
    expect([e.classify(0), e.classify(1), e.classify(2), e.classify(7)]).toEqual([100, 200, 300, 300]);
    expect(() => e.classify(-1)).toThrow(WebAssembly.RuntimeError);
    expect(e.nop()).toBeUndefined();
  });
});
