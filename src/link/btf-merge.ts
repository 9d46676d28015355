import { renumberType } from '../btf/renumber.js';
import type { Btf, BtfType } from '../btf/types.js';

export interface BtfMergeInput {
  btf?: Btf;
  /** DATASECs renamed in the output (global data given a per-object name). */
  renameDatasecs?: ReadonlyMap<string, string>;
}

export interface MergedBtf {
  btf: Btf;
  /** The output id of type `id` of input `input` (0 stays 0). */
  typeId(input: number, id: number): number;
}

/** DATASECs that list externs: one variable per name, whatever the number of objects declaring it. */
const EXTERN_DATASECS = new Set(['.kconfig', '.ksyms']);
const align8 = (n: number): number => Math.ceil(n / 8) * 8;

/**
 * Concatenate the type tables of several objects, shifting every type id. DATASECs of the same
 * name (`.maps`, `license`, `.xdp_run_config`, …) become one: later objects' variables follow the
 * earlier ones (offsets shifted past them; extern sections keep one variable per name). Types are
 * not deduplicated.
 */
export function mergeBtf(inputs: readonly BtfMergeInput[]): MergedBtf {
  const datasecIds = new Map<string, number>();
  /** Per input: old id → new id, for the DATASECs folded into an earlier one. */
  const folded: Map<number, number>[] = inputs.map(() => new Map());
  const kept: { input: number; t: BtfType; name: string }[] = [];
  let next = 1;
  // First pass: which types survive (every type but repeated DATASECs) and the id of each DATASEC name.
  inputs.forEach((input, i) => {
    for (const t of input.btf?.types ?? []) {
      if (!t) continue;
      const name = t.kind === 'datasec' ? (input.renameDatasecs?.get(t.name) ?? t.name) : t.name;
      if (t.kind === 'datasec') {
        const first = datasecIds.get(name);
        if (first !== undefined) {
          folded[i].set(t.id, first);
          continue;
        }
        datasecIds.set(name, next);
      }
      kept.push({ input: i, t, name });
      next++;
    }
  });
  const newIds: Map<number, number>[] = inputs.map(() => new Map());
  let id = 1;
  for (const k of kept) newIds[k.input].set(k.t.id, id++);
  const typeId = (input: number, old: number): number => {
    if (old === 0) return 0;
    const mapped = newIds[input].get(old) ?? folded[input].get(old);
    if (mapped === undefined) throw new Error(`BTF merge: input ${input} has no type ${old}`);
    return mapped;
  };

  const types: (BtfType | undefined)[] = [undefined];
  for (const { input, t, name } of kept) types.push(remap(t, name, typeId(input, t.id), (old) => typeId(input, old)));
  // Fold later DATASECs into the first of their name.
  inputs.forEach((input, i) => {
    for (const t of input.btf?.types ?? []) {
      if (t?.kind !== 'datasec' || !folded[i].has(t.id)) continue;
      const target = types[folded[i].get(t.id)!];
      if (target?.kind !== 'datasec') continue;
      const byName = (v: { type: number }) => {
        const x = types[v.type];
        return x?.kind === 'var' || x?.kind === 'func' ? x.name : undefined;
      };
      const vars = t.vars.map((v) => ({ ...v, type: typeId(i, v.type) }));
      if (EXTERN_DATASECS.has(target.name)) {
        const have = new Set(target.vars.map(byName));
        types[target.id] = { ...target, vars: [...target.vars, ...vars.filter((v) => !have.has(byName(v)))] };
      } else {
        const shift = align8(
          Math.max(
            target.size,
            target.vars.reduce((e, v) => Math.max(e, v.offset + v.size), 0),
          ),
        );
        const size =
          shift +
          Math.max(
            t.size,
            t.vars.reduce((e, v) => Math.max(e, v.offset + v.size), 0),
          );
        types[target.id] = { ...target, size, vars: [...target.vars, ...vars.map((v) => ({ ...v, offset: v.offset + shift }))] };
      }
    }
  });
  return { btf: { types, strings: new Uint8Array(0) }, typeId };
}

/** A type of one input as type `id` of the merged table (a DATASEC under its output name). */
function remap(t: BtfType, name: string, id: number, map: (old: number) => number): BtfType {
  const r = renumberType(t, id, map);
  return r.kind === 'datasec' ? { ...r, name } : r;
}
