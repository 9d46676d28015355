import { mutateBytes } from './mutate.js';
import type { Rng } from './prng.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Replacement values of another type or at an edge: what a hand-edited or damaged file holds. */
const ODD_VALUES: readonly Json[] = [
  null,
  true,
  0,
  -1,
  1.5,
  2 ** 53,
  1e308,
  '',
  'x',
  '-1',
  [],
  {},
  [null],
  { '': null },
  '../../etc',
  'ffffffffffffffffffffffff',
];

/** Every container in a JSON value, with the key or index of each member. */
function slots(value: Json, out: { parent: Json[] | { [key: string]: Json }; key: string | number }[] = []): typeof out {
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      out.push({ parent: value, key: i });
      slots(v, out);
    });
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.push({ parent: value, key: k });
      slots(v, out);
    }
  }
  return out;
}

/**
 * Mutate a JSON document structurally (a member deleted, duplicated, or replaced by a value of
 * another type or at an edge; a number nudged) or as text (truncated, bytes changed).
 */
export function mutateJson(rng: Rng, seed: Uint8Array): Uint8Array {
  if (rng.oneIn(5)) return mutateBytes(rng, seed);
  let doc: Json;
  try {
    doc = JSON.parse(Buffer.from(seed).toString('utf8')) as Json;
  } catch {
    return mutateBytes(rng, seed);
  }
  const rounds = 1 + rng.below(3);
  for (let i = 0; i < rounds; i++) {
    const all = slots(doc);
    if (all.length === 0) break;
    const { parent, key } = rng.pick(all);
    const get = (): Json => (Array.isArray(parent) ? parent[key as number] : parent[key as string]);
    const set = (v: Json): void => {
      if (Array.isArray(parent)) parent[key as number] = v;
      else parent[key as string] = v;
    };
    const old = get();
    switch (rng.below(5)) {
      case 0:
        if (Array.isArray(parent)) parent.splice(key as number, 1);
        else delete parent[key as string];
        break;
      case 1:
        if (Array.isArray(parent)) parent.splice(key as number, 0, structuredClone(old));
        else set(structuredClone(old));
        break;
      case 2:
        if (typeof old === 'number') set(rng.pick([old + 1, old - 1, -old, old * 2 ** 32, 0, Number.MAX_SAFE_INTEGER]));
        // A copy: the shared value, once in the document, could be picked into itself (a cycle JSON cannot write).
        else set(structuredClone(rng.pick(ODD_VALUES)));
        break;
      default:
        set(structuredClone(rng.pick(ODD_VALUES)));
    }
  }
  return new TextEncoder().encode(JSON.stringify(doc, null, 1));
}
