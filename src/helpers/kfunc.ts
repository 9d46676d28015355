import { formatBtfType } from '../btf/format.js';
import { resolveType } from '../btf/query.js';
import type { Btf, BtfType } from '../btf/types.js';
import type { HelperSpec, HelperTable } from '../vm/helper.js';

/**
 * A type in a kfunc prototype as the kernel declares it: an integer of a size, a pointer (to a
 * named struct, or to plain memory), or void. Enums count as integers, as they do for the kernel.
 */
export type KfuncType =
  | { kind: 'void' }
  | { kind: 'int'; size: 1 | 2 | 4 | 8; signed?: boolean }
  /** `struct name *`; `name` undefined: a pointer to plain memory (`void *`, `__u32 *`, `char *`). */
  | { kind: 'ptr'; struct?: string };

/** What a kfunc takes and returns, by the kernel's declaration (its BTF FUNC_PROTO). */
export interface KfuncPrototype {
  readonly params: readonly { name: string; type: KfuncType }[];
  readonly returns: KfuncType;
}

/**
 * A kernel function a program may call (`extern ... __ksym`), found by name as libbpf finds it
 * in the kernel's BTF. Engines call it as they call a helper: `id` is the call's `imm` once the
 * loader has resolved the name (the kernel puts the function's BTF id there).
 */
export interface KfuncSpec extends HelperSpec {
  readonly prototype: KfuncPrototype;
  /**
   * Make ready the runtime state the kfunc works on; the runtime calls it when it loads a program
   * that calls the kfunc, because nothing may allocate while a program runs (conntrack's entries
   * are preallocated this way).
   */
  readonly prepare?: () => void;
  /**
   * Only programs bound to a device may call it (the XDP RX metadata kfuncs): the loader refuses
   * others with the kernel's "metadata kfuncs require device-bound program".
   */
  readonly devBound?: boolean;
}

/** Shorthands for prototypes: `u32`, `ptr('nf_conn')`, `mem`. */
export const kt = {
  void: { kind: 'void' } as KfuncType,
  u8: { kind: 'int', size: 1 } as KfuncType,
  u16: { kind: 'int', size: 2 } as KfuncType,
  u32: { kind: 'int', size: 4 } as KfuncType,
  u64: { kind: 'int', size: 8 } as KfuncType,
  int: { kind: 'int', size: 4, signed: true } as KfuncType,
  mem: { kind: 'ptr' } as KfuncType,
  ptr: (struct: string): KfuncType => ({ kind: 'ptr', struct }),
};

/** Ids of kfuncs start here so that they never look like a helper id in a message. */
export const KFUNC_ID_BASE = 0x10000;

/** The kfuncs of one runtime, by name (what the loader resolves) and by id (what engines call). */
export class KfuncTable {
  private readonly named = new Map<string, KfuncSpec>();
  private readonly specs = new Map<number, KfuncSpec>();
  /** For engines: id → implementation. */
  readonly byId: HelperTable = this.specs;

  constructor(specs: readonly Omit<KfuncSpec, 'id'>[]) {
    specs.forEach((s, i) => {
      const spec: KfuncSpec = { ...s, id: KFUNC_ID_BASE + i };
      this.named.set(s.name, spec);
      this.specs.set(spec.id, spec);
    });
  }

  get(name: string): KfuncSpec | undefined {
    return this.named.get(name);
  }

  /** The kfunc a resolved call's `imm` names. */
  spec(id: number): KfuncSpec | undefined {
    return this.specs.get(id);
  }

  names(): string[] {
    return [...this.named.keys()];
  }
}

/**
 * libbpf's "flavour" suffix (`nf_conn___local`) does not change which kernel type is meant; the
 * kernel's own `nf_conn___init` is such a flavour of nf_conn, so both sides compare without it.
 */
const essentialName = (name: string): string => name.replace(/___.*$/, '');

/**
 * Why the object's declaration of kfunc `name` (its extern FUNC in the object's BTF) does not fit
 * the kernel's prototype, or undefined when it does. Without BTF for it there is nothing to check
 * (libbpf needs it; clang always emits it for `__ksym` functions).
 */
export function kfuncMismatch(btf: Btf | undefined, name: string, proto: KfuncPrototype): string | undefined {
  if (!btf) return undefined;
  const fn = btf.types.find((t) => t?.kind === 'func' && t.name === name);
  if (fn?.kind !== 'func') return undefined;
  const fp = btf.types[fn.type];
  if (fp?.kind !== 'func_proto') return `its BTF type ${fn.type} is not a function prototype`;
  const declared = `${formatBtfType(btf, fn.id)}`;
  const expected = `${formatKfuncType(proto.returns)} ${name}(${proto.params.map((p) => `${formatKfuncType(p.type)}${p.type.kind === 'ptr' ? '' : ' '}${p.name}`).join(', ')})`;
  const differs = (why: string): string => `${why}: the object declares ${declared}, the kernel has ${expected}`;
  if (fp.params.length !== proto.params.length) return differs(`it takes ${proto.params.length} arguments, not ${fp.params.length}`);
  for (const [i, p] of proto.params.entries()) {
    const why = typeMismatch(btf, fp.params[i].type, p.type);
    if (why) return differs(`argument ${i + 1} (${p.name}) ${why}`);
  }
  const why = typeMismatch(btf, fp.returnType, proto.returns);
  return why ? differs(`the return value ${why}`) : undefined;
}

function typeMismatch(btf: Btf, id: number, want: KfuncType): string | undefined {
  const t: BtfType | undefined = id === 0 ? undefined : resolveType(btf, id);
  const have = id === 0 ? 'void' : t === undefined ? 'unknown' : t.kind;
  switch (want.kind) {
    case 'void':
      return id === 0 ? undefined : `is ${formatBtfType(btf, id)}, not void`;
    case 'int':
      if (t?.kind === 'int' || t?.kind === 'enum' || t?.kind === 'enum64') {
        return t.size === want.size ? undefined : `is a ${t.size}-byte integer, not ${want.size}-byte`;
      }
      return `is ${have === 'void' ? 'void' : formatBtfType(btf, id)}, not an integer`;
    case 'ptr': {
      if (t?.kind !== 'ptr') return `is ${have === 'void' ? 'void' : formatBtfType(btf, id)}, not a pointer`;
      if (want.struct === undefined) return undefined;
      const to = resolveType(btf, t.type);
      const named = to && (to.kind === 'struct' || to.kind === 'union' || to.kind === 'fwd') ? essentialName(to.name) : undefined;
      return named === essentialName(want.struct) ? undefined : `points to ${formatBtfType(btf, t.type)}, not struct ${want.struct}`;
    }
  }
}

function formatKfuncType(t: KfuncType): string {
  if (t.kind === 'void') return 'void';
  if (t.kind === 'int') return t.signed ? (t.size === 4 ? 'int' : `s${t.size * 8}`) : `u${t.size * 8}`;
  return t.struct ? `struct ${t.struct} *` : 'void *';
}
