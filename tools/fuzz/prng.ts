/**
 * A small seeded PRNG (splitmix32 state, xorshift-multiply output). Each input gets its own
 * generator derived from (seed, target, index), so one input can be regenerated without running
 * the ones before it: a crash report's index replays alone, and a restarted worker resumes exactly.
 */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A uniformly distributed unsigned 32-bit value. */
  u32(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  }

  /** An integer in [0, n); 0 when n <= 0. */
  below(n: number): number {
    return n <= 0 ? 0 : Math.floor((this.u32() / 0x1_0000_0000) * n);
  }

  /** True with probability 1/n. */
  oneIn(n: number): boolean {
    return this.below(n) === 0;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('Rng.pick: nothing to pick from');
    return items[this.below(items.length)];
  }
}

/** FNV-1a over a string, to fold a target's name into its inputs' seeds. */
function fnv(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * FNV-1a over an input's bytes: the choices a target makes per input (engine, command) follow
 * its bytes, not its position in a run, so replaying the input alone makes the same ones.
 */
export function hashBytes(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return h >>> 0;
}

/** The generator of input `index` of `target` in a run seeded with `seed`. */
export function inputRng(seed: number, target: string, index: number): Rng {
  const mix = new Rng(seed ^ fnv(target));
  for (let i = 0; i < 2; i++) mix.u32();
  return new Rng((mix.u32() ^ Math.imul(index + 1, 0x27d4eb2d)) >>> 0);
}
