import { XdpchainError } from '../errors/index.js';
import { formatBtfType } from '../btf/format.js';
import { resolveType } from '../btf/query.js';
import type { Btf } from '../btf/types.js';

/** A function as one object sees it: its BTF FUNC (a definition, or an extern declaration). */
export interface FunctionView {
  object: string;
  btf?: Btf;
  /** BTF id of the FUNC, 0 when the object has none for this function. */
  funcId: number;
}

const MAX_DEPTH = 8;

/** The kind a linked call compares: int size, pointer to struct NAME, pointer to a kind, void. */
function shape(btf: Btf, id: number, depth = 0): string {
  if (id === 0) return 'void';
  const t = resolveType(btf, id);
  if (!t || depth > MAX_DEPTH) return '?';
  switch (t.kind) {
    case 'int':
    case 'enum':
    case 'enum64':
      return `int${t.size * 8}`;
    case 'float':
      return `float${t.size * 8}`;
    case 'struct':
    case 'union':
    case 'fwd': {
      const kind = t.kind === 'fwd' ? (t.union ? 'union' : 'struct') : t.kind;
      return `${kind} ${t.name || '(anonymous)'}`;
    }
    case 'ptr':
      return `pointer to ${shape(btf, t.type, depth + 1)}`;
    default:
      return t.kind;
  }
}

function prototypeText(v: FunctionView): string {
  return v.btf ? formatBtfType(v.btf, v.funcId) : '?';
}

/**
 * Check that a use of a function (an extern declaration, a weak or placeholder definition) and
 * the definition that takes its place agree as the kernel's freplace check does: same number of
 * arguments, and the return value and each argument of the same kind (ints of equal size,
 * pointers to structs of the same name). A failure names both objects and both prototypes.
 */
/** `role` says what `use` has, completing "OBJECT <role> <prototype>": e.g. "declares it as". */
export function checkPrototype(name: string, use: FunctionView, def: FunctionView, role: string): void {
  const fail = (why: string): never => {
    throw new XdpchainError(
      'EINVAL',
      `function ${name}: ${use.object} ${role} ${prototypeText(use)}, but ${def.object} defines it as ${prototypeText(def)}: ${why}`,
      { function: name },
    );
  };
  const proto = (v: FunctionView) => {
    if (!v.btf || !v.funcId) return fail(`${v.object} has no BTF for it (build with -g), so its prototype cannot be checked`);
    const f = v.btf.types[v.funcId];
    const p = f?.kind === 'func' ? resolveType(v.btf, f.type) : undefined;
    if (p?.kind !== 'func_proto') return fail(`${v.object}'s BTF type ${v.funcId} is not a function with a prototype`);
    return { btf: v.btf, p };
  };
  const a = proto(use);
  const b = proto(def);
  if (a.p.params.length !== b.p.params.length) fail(`${a.p.params.length} arguments in ${use.object}, ${b.p.params.length} in ${def.object}`);
  const ra = shape(a.btf, a.p.returnType);
  const rb = shape(b.btf, b.p.returnType);
  if (ra !== rb) fail(`it returns ${ra} in ${use.object} and ${rb} in ${def.object}`);
  a.p.params.forEach((param, i) => {
    const x = shape(a.btf, param.type);
    const y = shape(b.btf, b.p.params[i].type);
    if (x !== y) fail(`argument ${i + 1} is ${x} in ${use.object} and ${y} in ${def.object}`);
  });
}
