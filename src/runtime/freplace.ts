import { XdpchainError } from '../errors/index.js';
import { resolveType } from '../btf/query.js';
import type { Btf, BtfType } from '../btf/types.js';
import type { FuncInfo, ProgramSpec } from '../object-spec/program-spec.js';
import type { Program } from './program.js';

/** A global function of a loaded program that a replacement may take over. */
export interface ReplaceTarget {
  program: Program;
  function: string;
  slot: number;
}

function funcType(btf: Btf | undefined, info: FuncInfo): Extract<BtfType, { kind: 'func' }> | undefined {
  const t = btf?.types[info.typeId];
  return t?.kind === 'func' ? t : undefined;
}

/** Describe an argument or return type by the kind freplace compares: int size, pointer to struct NAME, void. */
function shape(btf: Btf, id: number): string {
  if (id === 0) return 'void';
  const t = resolveType(btf, id);
  if (!t) return '?';
  switch (t.kind) {
    case 'int':
    case 'enum':
    case 'enum64':
      return `int${t.size * 8}`;
    case 'ptr': {
      const to = resolveType(btf, t.type);
      return to && (to.kind === 'struct' || to.kind === 'union' || to.kind === 'fwd')
        ? `pointer to ${to.kind === 'union' ? 'union' : 'struct'} ${to.name}`
        : 'pointer';
    }
    case 'struct':
    case 'union':
      return `${t.kind} ${t.name} by value`;
    default:
      return t.kind;
  }
}

/**
 * Find the target function and check the replacement against it as the kernel does for
 * BPF_PROG_TYPE_EXT: the target is global (static → EINVAL), the prototypes agree in argument
 * count, return type and argument kinds.
 */
export function checkReplacement(ext: ProgramSpec, target: Program, functionName: string): ReplaceTarget {
  const fail = (why: string): never => {
    throw new XdpchainError('EINVAL', `freplace ${ext.name} → ${target.name} (id ${target.id}) function ${functionName}: ${why}`, {
      program: ext.name,
      target: target.id,
    });
  };
  // Extensions are never bound to a device here, so a bound target does not match (the kernel
  // checks both are bound to the same one).
  if (target.boundIfindex !== undefined)
    fail(`Target program bound device mismatch: ${target.name} is bound to the device with ifindex ${target.boundIfindex}, the extension to none`);
  const info = target.spec.funcInfo.find((f) => f.name === functionName);
  if (!info) {
    const have = target.spec.funcInfo.map((f) => f.name).join(', ') || 'none (the target has no BTF func info)';
    throw new XdpchainError('ENOENT', `program ${target.name} (id ${target.id}) has no function ${functionName} (functions: ${have})`);
  }
  const tfunc = funcType(target.spec.btf, info);
  if (!tfunc || !target.spec.btf) return fail('the target has no BTF for the function');
  if (tfunc.linkage === 'static') fail('it is a static function; only global functions can be replaced');
  if (info.slot === 0) fail("it is the program's entry point, not a global subprogram");
  const efunc = ext.funcInfo[0] && funcType(ext.btf, ext.funcInfo[0]);
  if (!efunc || !ext.btf) return fail('the replacement has no BTF for its entry function');
  const tproto = resolveType(target.spec.btf, tfunc.type);
  const eproto = resolveType(ext.btf, efunc.type);
  if (tproto?.kind !== 'func_proto' || eproto?.kind !== 'func_proto') return fail('missing function prototypes');
  if (tproto.params.length !== eproto.params.length) fail(`it takes ${tproto.params.length} arguments, the replacement ${eproto.params.length}`);
  const tr = shape(target.spec.btf, tproto.returnType);
  const er = shape(ext.btf, eproto.returnType);
  if (tr !== er) fail(`it returns ${tr}, the replacement ${er}`);
  tproto.params.forEach((p, i) => {
    const a = shape(target.spec.btf!, p.type);
    const b = shape(ext.btf!, eproto.params[i].type);
    if (a !== b) fail(`argument ${i + 1} is ${a} there and ${b} in the replacement`);
  });
  return { program: target, function: functionName, slot: info.slot };
}
