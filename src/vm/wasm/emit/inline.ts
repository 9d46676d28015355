import type { BlockExpr, BrExpr, CallExpr, Expr, ValType } from './expr.js';
import type { WasmModule } from './module.js';

/** Every child expression of `e`, in evaluation order. */
export function childrenOf(e: Expr): Expr[] {
  switch (e.kind) {
    case 'op':
    case 'call':
      return e.args;
    case 'local.set':
      return [e.value];
    case 'block':
      return e.body;
    case 'loop':
      return [e.body];
    case 'if':
      return e.else ? [e.cond, e.then, e.else] : [e.cond, e.then];
    case 'br':
      return [...(e.value ? [e.value] : []), ...(e.cond ? [e.cond] : [])];
    case 'br_table':
      return [e.index];
    case 'return':
      return e.value ? [e.value] : [];
    case 'call_indirect':
      return [...e.args, e.index];
    default:
      return [];
  }
}

/** Visit `root` and everything under it (iteratively: bodies nest deeply). */
export function walk(root: Expr, visit: (e: Expr) => void): void {
  const stack = [root];
  while (stack.length > 0) {
    const e = stack.pop()!;
    visit(e);
    stack.push(...childrenOf(e));
  }
}

/**
 * Inline every function called from exactly one place in the module (and not exported, and not
 * from itself) into that place, as binaryen's `inlining` pass does for single callers: its body
 * becomes a block whose parameters and locals are new locals of the caller (set from the
 * arguments, and zeroed, as a call would find them), with `return` turned into a branch out of
 * the block. Chains inline bottom-up, so a batch graph's programs and their single-caller
 * subprograms end up in one function. Functions on a cycle of single callers stay as they are.
 */
export function inlineSingleCallers(m: WasmModule): void {
  const sites = new Map<string, { owner: string; call: CallExpr }[]>();
  for (const f of m.functions.values()) {
    walk(f.body, (e) => {
      if (e.kind !== 'call' || !m.functions.has(e.name)) return;
      const list = sites.get(e.name) ?? [];
      list.push({ owner: f.name, call: e });
      sites.set(e.name, list);
    });
  }
  const single = (name: string): { owner: string; call: CallExpr } | undefined => {
    const s = sites.get(name);
    return s && s.length === 1 && s[0].owner !== name && !m.isExported(name) ? s[0] : undefined;
  };
  const callees = new Map<string, string[]>();
  for (const name of sites.keys()) {
    const s = single(name);
    if (s) callees.set(s.owner, [...(callees.get(s.owner) ?? []), name]);
  }
  const inlined: string[] = [];
  const visit = (owner: string): void => {
    for (const callee of callees.get(owner) ?? []) {
      visit(callee);
      inlineInto(m, owner, callee, single(callee)!.call);
      inlined.push(callee);
    }
  };
  for (const name of [...m.functions.keys()]) if (!single(name)) visit(name);
  for (const name of inlined) m.functions.delete(name);
}

const zero = (m: WasmModule, t: ValType): Expr => (t === 'i32' ? m.i32.const(0) : t === 'i64' ? m.i64.const(0, 0) : m.f64.const(0));

function inlineInto(m: WasmModule, owner: string, callee: string, call: CallExpr): void {
  const caller = m.functions.get(owner)!;
  const fn = m.functions.get(callee)!;
  const base = caller.params.length + caller.vars.length;
  caller.vars.push(...fn.params, ...fn.vars);
  const label = `inline$${callee}`;
  walk(fn.body, (e) => {
    if (e.kind === 'local.get' || e.kind === 'local.set') e.index += base;
    else if (e.kind === 'return') Object.assign(e, { kind: 'br', label, cond: null } satisfies Omit<BrExpr, 'value' | 'type'>);
  });
  const body = [...call.args.map((a, i) => m.local.set(base + i, a)), ...fn.vars.map((t, i) => m.local.set(base + fn.params.length + i, zero(m, t))), fn.body];
  // The call node becomes the block in place: its parent keeps pointing at it.
  const node = call as Partial<CallExpr>;
  delete node.name;
  delete node.args;
  Object.assign(node, { kind: 'block', label, body, type: fn.result } satisfies BlockExpr);
}
