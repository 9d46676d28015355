/**
 * Short, distinct names for the objects being linked, from their file names (`progs/build/nat.o`
 * → `nat`): used in messages and in the names of renamed global data sections, so only
 * `[A-Za-z0-9_]` is kept.
 */
export function objectLabels(sources: readonly (string | undefined)[]): string[] {
  const used = new Set<string>();
  return sources.map((source, i) => {
    const file =
      source
        ?.split(/[\\/]/)
        .pop()
        ?.replace(/\.[^.]*$/, '') ?? '';
    const base = file.replace(/[^A-Za-z0-9_]/g, '_') || `object${i}`;
    let label = base;
    for (let n = 2; used.has(label); n++) label = `${base}_${n}`;
    used.add(label);
    return label;
  });
}
