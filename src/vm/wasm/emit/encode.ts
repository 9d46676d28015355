import type { ByteWriter } from './bytes.js';
import { MEMORY_COPY, MEMORY_FILL, type Expr, type OpExpr, type Type, type ValType } from './expr.js';

/** What a function body's encoding needs from its module: the index of each name it uses. */
export interface EncodeContext {
  functionIndex(name: string): number;
  globalIndex(name: string): number;
  tableIndex(name: string): number;
  typeIndex(params: readonly ValType[], result: ValType | 'none'): number;
}

/** Wasm's byte for a value type. */
export const VALTYPE: Record<ValType, number> = { i32: 0x7f, i64: 0x7e, f64: 0x7c };

const blockType = (t: Type): number => (t === 'none' || t === 'unreachable' ? 0x40 : VALTYPE[t]);

/**
 * Write `params` + `vars` locals and `body` as a function's code entry (without its size).
 * Labels are resolved by name to the innermost enclosing block, loop or if of that name; a block
 * without a label is written as its contents. A construct typed unreachable (every way out of it
 * leaves the function or branches elsewhere) is followed by `unreachable`, so the code after it
 * validates whatever it expects on the stack.
 */
export function encodeFunction(w: ByteWriter, vars: readonly ValType[], body: Expr, ctx: EncodeContext): void {
  const groups: [number, ValType][] = [];
  for (const v of vars) {
    const last = groups[groups.length - 1];
    if (last && last[1] === v) last[0]++;
    else groups.push([1, v]);
  }
  w.u32(groups.length);
  for (const [n, t] of groups) {
    w.u32(n);
    w.byte(VALTYPE[t]);
  }
  // Loops below index arrays rather than use for-of: this runs cold, once per program, where
  // the interpreter's iterators cost more than the work.
  const labels: (string | null)[] = [];
  const depth = (label: string): number => {
    const at = labels.lastIndexOf(label);
    if (at < 0) throw new Error(`wasm emitter: branch to label ${label} outside it`);
    return labels.length - 1 - at;
  };
  const end = (t: Type): void => {
    w.byte(0x0b);
    if (t === 'unreachable') w.byte(0x00);
  };
  const expr = (e: Expr): void => {
    switch (e.kind) {
      case 'op':
        for (let i = 0; i < e.args.length; i++) expr(e.args[i]);
        op(w, e);
        return;
      case 'local.get':
        w.byte(0x20);
        w.u32(e.index);
        return;
      case 'local.set':
        expr(e.value);
        w.byte(e.tee ? 0x22 : 0x21);
        w.u32(e.index);
        return;
      case 'global.get':
        w.byte(0x23);
        w.u32(ctx.globalIndex(e.name));
        return;
      case 'block':
        if (e.label === null) {
          for (let i = 0; i < e.body.length; i++) expr(e.body[i]);
          return;
        }
        w.byte(0x02);
        w.byte(blockType(e.type));
        labels.push(e.label);
        for (let i = 0; i < e.body.length; i++) expr(e.body[i]);
        labels.pop();
        end(e.type);
        return;
      case 'loop':
        w.byte(0x03);
        w.byte(blockType(e.type));
        labels.push(e.label);
        expr(e.body);
        labels.pop();
        end(e.type);
        return;
      case 'if':
        expr(e.cond);
        w.byte(0x04);
        w.byte(blockType(e.type));
        labels.push(null);
        expr(e.then);
        if (e.else) {
          w.byte(0x05);
          expr(e.else);
        }
        labels.pop();
        end(e.type);
        return;
      case 'br':
        if (e.value) expr(e.value);
        if (e.cond) expr(e.cond);
        w.byte(e.cond ? 0x0d : 0x0c);
        w.u32(depth(e.label));
        return;
      case 'br_table':
        expr(e.index);
        w.byte(0x0e);
        w.u32(e.labels.length);
        for (const l of e.labels) w.u32(depth(l));
        w.u32(depth(e.fallback));
        return;
      case 'return':
        if (e.value) expr(e.value);
        w.byte(0x0f);
        return;
      case 'call':
        for (let i = 0; i < e.args.length; i++) expr(e.args[i]);
        w.byte(0x10);
        w.u32(ctx.functionIndex(e.name));
        return;
      case 'call_indirect':
        for (let i = 0; i < e.args.length; i++) expr(e.args[i]);
        expr(e.index);
        w.byte(0x11);
        w.u32(ctx.typeIndex(e.params, e.type as ValType | 'none'));
        w.u32(ctx.tableIndex(e.table));
        return;
    }
  };
  expr(body);
  w.byte(0x0b);
}

/** An instruction's opcode and immediates (OpExpr). */
function op(w: ByteWriter, e: OpExpr): void {
  const { code } = e;
  if (code === 0x41) {
    w.byte(code);
    w.s32(e.a);
  } else if (code === 0x42) {
    w.byte(code);
    w.s64(e.a, e.b);
  } else if (code === 0x44) {
    w.byte(code);
    w.f64(e.a);
  } else if (code >= 0x28 && code <= 0x3e) {
    w.byte(code);
    w.byte(e.b);
    w.u32(e.a);
  } else if (code === MEMORY_COPY) {
    w.byte(0xfc);
    w.byte(10);
    w.byte(0);
    w.byte(0);
  } else if (code === MEMORY_FILL) {
    w.byte(0xfc);
    w.byte(11);
    w.byte(0);
  } else {
    w.byte(code);
  }
}
