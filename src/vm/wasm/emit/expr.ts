/**
 * Wasm expressions as plain JS trees, built with binaryen's method names and argument order
 * (`m.i32.add(a, b)`, `m.if(cond, then, else)`, `m.br(label, cond)`), so code generators read
 * the same either way; src/vm/wasm/emit/encode.ts writes them as wasm bytes.
 */

/** A wasm value type as these expressions use them. */
export type ValType = 'i32' | 'i64' | 'f64';
/** An expression's type: a value, none, or unreachable (control never goes on past it). */
export type Type = ValType | 'none' | 'unreachable';

/**
 * An instruction without labels or names: its operands, then opcode `code` (0xfc00 | n for the
 * 0xfc-prefixed ones) and its immediates: `a` the value of a constant (low half of an i64) or a
 * memory access's offset, `b` an i64 constant's high half or an access's alignment (log2).
 */
export interface OpExpr {
  kind: 'op';
  type: Type;
  args: Expr[];
  code: number;
  a: number;
  b: number;
}
export interface LocalGetExpr {
  kind: 'local.get';
  type: ValType;
  index: number;
}
/** local.set (type none) or local.tee (the value's type). */
export interface LocalSetExpr {
  kind: 'local.set';
  type: Type;
  index: number;
  value: Expr;
  tee: boolean;
}
export interface GlobalGetExpr {
  kind: 'global.get';
  type: ValType;
  name: string;
}
/** A block; one without a label is only a sequence (the encoder writes its contents in place). */
export interface BlockExpr {
  kind: 'block';
  type: Type;
  label: string | null;
  body: Expr[];
}
export interface LoopExpr {
  kind: 'loop';
  type: Type;
  label: string;
  body: Expr;
}
export interface IfExpr {
  kind: 'if';
  type: Type;
  cond: Expr;
  then: Expr;
  else: Expr | null;
}
/** br (unreachable), or br_if when it has a condition (none, or the value's type). */
export interface BrExpr {
  kind: 'br';
  type: Type;
  label: string;
  cond: Expr | null;
  value: Expr | null;
}
export interface BrTableExpr {
  kind: 'br_table';
  type: 'unreachable';
  labels: string[];
  fallback: string;
  index: Expr;
}
export interface ReturnExpr {
  kind: 'return';
  type: 'unreachable';
  value: Expr | null;
}
export interface CallExpr {
  kind: 'call';
  type: ValType | 'none';
  name: string;
  args: Expr[];
}
export interface CallIndirectExpr {
  kind: 'call_indirect';
  type: ValType | 'none';
  table: string;
  index: Expr;
  args: Expr[];
  params: readonly ValType[];
}

/** Any expression. */
export type Expr =
  OpExpr | LocalGetExpr | LocalSetExpr | GlobalGetExpr | BlockExpr | LoopExpr | IfExpr | BrExpr | BrTableExpr | ReturnExpr | CallExpr | CallIndirectExpr;

/** The operands of instructions that take none (shared: never changed). */
const NO_ARGS: Expr[] = [];
/** The 0xfc-prefixed bulk memory instructions' codes. */
export const MEMORY_COPY = 0xfc0a;
export const MEMORY_FILL = 0xfc0b;

const ALIGN_LOG2: Record<number, number> = { 0: 0, 1: 0, 2: 1, 4: 2, 8: 3 };

const op = (type: Type, code: number, args: Expr[], a = 0, b = 0): OpExpr => ({ kind: 'op', type, args, code, a, b });
type Unary = (a: Expr) => Expr;
type Binary = (a: Expr, b: Expr) => Expr;
type Load = (offset: number, align: number, ptr: Expr) => Expr;
type Store = (offset: number, align: number, ptr: Expr, value: Expr) => Expr;

const unary =
  (type: Type, code: number): Unary =>
  (a) =>
    op(type, code, [a]);
const binary =
  (type: Type, code: number): Binary =>
  (a, b) =>
    op(type, code, [a, b]);
const load =
  (type: ValType, code: number): Load =>
  (offset, align, ptr) =>
    op(type, code, [ptr], offset, ALIGN_LOG2[align] ?? 0);
const store =
  (code: number): Store =>
  (offset, align, ptr, value) =>
    op('none', code, [ptr, value], offset, ALIGN_LOG2[align] ?? 0);

/** i32 and i64 operations that share their shape, with each type's first opcode of the run. */
function integerOps(type: 'i32' | 'i64', cmp: number, arith: number) {
  const b = (k: number): Binary => binary(type, arith + k);
  const c = (k: number): Binary => binary('i32', cmp + k);
  return {
    eqz: unary('i32', cmp),
    eq: c(1),
    ne: c(2),
    lt_s: c(3),
    lt_u: c(4),
    gt_s: c(5),
    gt_u: c(6),
    le_s: c(7),
    le_u: c(8),
    ge_s: c(9),
    ge_u: c(10),
    clz: unary(type, arith),
    ctz: unary(type, arith + 1),
    popcnt: unary(type, arith + 2),
    add: b(3),
    sub: b(4),
    mul: b(5),
    div_s: b(6),
    div_u: b(7),
    rem_s: b(8),
    rem_u: b(9),
    and: b(10),
    or: b(11),
    xor: b(12),
    shl: b(13),
    shr_s: b(14),
    shr_u: b(15),
    rotl: b(16),
    rotr: b(17),
  };
}

/** Builds expressions; `WasmModule` (src/vm/wasm/emit/module.ts) adds the module around them. */
export class ExprBuilder {
  readonly i32 = {
    ...integerOps('i32', 0x45, 0x67),
    const: (v: number): Expr => op('i32', 0x41, NO_ARGS, v | 0),
    load: load('i32', 0x28),
    load8_s: load('i32', 0x2c),
    load8_u: load('i32', 0x2d),
    load16_s: load('i32', 0x2e),
    load16_u: load('i32', 0x2f),
    store: store(0x36),
    store8: store(0x3a),
    store16: store(0x3b),
    wrap: unary('i32', 0xa7),
    extend8_s: unary('i32', 0xc0),
    extend16_s: unary('i32', 0xc1),
  };
  readonly i64 = {
    ...integerOps('i64', 0x50, 0x79),
    /** The i64 whose low and high 32 bits these are. */
    const: (lo: number, hi: number): Expr => op('i64', 0x42, NO_ARGS, lo | 0, hi | 0),
    load: load('i64', 0x29),
    load8_s: load('i64', 0x30),
    load8_u: load('i64', 0x31),
    load16_s: load('i64', 0x32),
    load16_u: load('i64', 0x33),
    load32_s: load('i64', 0x34),
    load32_u: load('i64', 0x35),
    store: store(0x37),
    store8: store(0x3c),
    store16: store(0x3d),
    store32: store(0x3e),
    extend_s: unary('i64', 0xac),
    extend_u: unary('i64', 0xad),
    extend8_s: unary('i64', 0xc2),
    extend16_s: unary('i64', 0xc3),
    extend32_s: unary('i64', 0xc4),
    trunc_s: { f64: unary('i64', 0xb0) },
    trunc_u: { f64: unary('i64', 0xb1) },
  };
  readonly f64 = {
    const: (v: number): Expr => op('f64', 0x44, NO_ARGS, v),
    load: load('f64', 0x2b),
    store: store(0x39),
    eq: binary('i32', 0x61),
    ne: binary('i32', 0x62),
    lt: binary('i32', 0x63),
    gt: binary('i32', 0x64),
    le: binary('i32', 0x65),
    ge: binary('i32', 0x66),
    add: binary('f64', 0xa0),
    sub: binary('f64', 0xa1),
    mul: binary('f64', 0xa2),
    div: binary('f64', 0xa3),
    convert_s: { i32: unary('f64', 0xb7), i64: unary('f64', 0xb9) },
    convert_u: { i32: unary('f64', 0xb8), i64: unary('f64', 0xba) },
  };
  readonly local = {
    get: (index: number, type: ValType): Expr => ({ kind: 'local.get', type, index }),
    set: (index: number, value: Expr): Expr => ({ kind: 'local.set', type: 'none', index, value, tee: false }),
    tee: (index: number, value: Expr, type: ValType): Expr => ({ kind: 'local.set', type, index, value, tee: true }),
  };
  readonly global = {
    get: (name: string, type: ValType): Expr => ({ kind: 'global.get', type, name }),
  };
  readonly memory = {
    copy: (dest: Expr, source: Expr, size: Expr): Expr => op('none', MEMORY_COPY, [dest, source, size]),
    fill: (dest: Expr, value: Expr, size: Expr): Expr => op('none', MEMORY_FILL, [dest, value, size]),
  };

  /** A block; without `type`, the last child's (none when it has no value). */
  block(label: string | null, body: Expr[], type?: Type): Expr {
    let t: Type = type ?? 'none';
    if (type === undefined && body.length > 0) {
      const last = body[body.length - 1].type;
      t = last === 'unreachable' ? (label === null ? 'unreachable' : 'none') : last;
    }
    return { kind: 'block', type: t, label, body };
  }
  loop(label: string, body: Expr): Expr {
    return { kind: 'loop', type: body.type, label, body };
  }
  /** `if`, typed as both arms agree (an unreachable arm takes the other's type); none without an else. */
  if(cond: Expr, then: Expr, otherwise?: Expr): Expr {
    let type: Type = 'none';
    if (otherwise) {
      if (then.type === otherwise.type) type = then.type;
      else if (then.type === 'unreachable') type = otherwise.type;
      else if (otherwise.type === 'unreachable') type = then.type;
    }
    return { kind: 'if', type, cond, then, else: otherwise ?? null };
  }
  br(label: string, cond?: Expr, value?: Expr): Expr {
    return { kind: 'br', type: cond ? (value ? value.type : 'none') : 'unreachable', label, cond: cond ?? null, value: value ?? null };
  }
  /** br_table: to `labels[index]`, else to `fallback`. */
  switch(labels: string[], fallback: string, index: Expr): Expr {
    return { kind: 'br_table', type: 'unreachable', labels, fallback, index };
  }
  return(value?: Expr): Expr {
    return { kind: 'return', type: 'unreachable', value: value ?? null };
  }
  call(name: string, args: Expr[], result: ValType | 'none'): Expr {
    return { kind: 'call', type: result, name, args };
  }
  call_indirect(table: string, index: Expr, args: Expr[], params: readonly ValType[], result: ValType | 'none'): Expr {
    return { kind: 'call_indirect', type: result, table, index, args, params };
  }
  drop(value: Expr): Expr {
    return op('none', 0x1a, [value]);
  }
  /** `cond ? ifTrue : ifFalse`, both operands evaluated (in that order, then the condition). */
  select(cond: Expr, ifTrue: Expr, ifFalse: Expr): Expr {
    return op(ifTrue.type === 'unreachable' ? ifFalse.type : ifTrue.type, 0x1b, [ifTrue, ifFalse, cond]);
  }
  unreachable(): Expr {
    return op('unreachable', 0x00, NO_ARGS);
  }
  nop(): Expr {
    return op('none', 0x01, NO_ARGS);
  }
}

/** Value type names as constants, as code written for binaryen names them. */
export const i32 = 'i32' as const;
export const i64 = 'i64' as const;
export const f64 = 'f64' as const;
export const none = 'none' as const;
