/**
 * The folders of src/ are layers (shared/DESIGN.md §2): imports between them go one way. A cycle
 * between two folders (type-only imports count: they tie the concepts together all the same)
 * fails here, naming one import of each edge on the cycle.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(new URL(import.meta.url).pathname), '../src');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** `src/<folder>/...` → folder; files directly in src/ are the `.` folder. */
const folderOf = (file: string): string => {
  const parts = relative(SRC, file).split(sep);
  return parts.length > 1 ? parts[0] : '.';
};

/** Edges folder → folder, each with one import that makes it. */
function folderGraph(): Map<string, Map<string, string>> {
  const graph = new Map<string, Map<string, string>>();
  for (const file of sources(SRC)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s+'(\.{1,2}\/[^']+)'|import\(\s*'(\.{1,2}\/[^']+)'\s*\)/g)) {
      const target = resolve(dirname(file), (m[1] ?? m[2]).replace(/\.js$/, '.ts'));
      const [from, to] = [folderOf(file), folderOf(target)];
      if (from === to) continue;
      if (!graph.has(from)) graph.set(from, new Map());
      if (!graph.get(from)!.has(to)) graph.get(from)!.set(to, `${relative(SRC, file)} imports ${relative(SRC, target)}`);
    }
  }
  return graph;
}

/** One cycle through the graph, as its edges' witnesses, or undefined. */
function findCycle(graph: Map<string, Map<string, string>>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): string[] | undefined => {
    state.set(node, 'open');
    path.push(node);
    for (const next of graph.get(node)?.keys() ?? []) {
      if (state.get(next) === 'open') {
        const loop = [...path.slice(path.indexOf(next)), next];
        return loop.slice(0, -1).map((a, i) => `${a} → ${loop[i + 1]} (${graph.get(a)!.get(loop[i + 1])})`);
      }
      if (!state.has(next)) {
        const found = visit(next);
        if (found) return found;
      }
    }
    path.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of graph.keys()) {
    if (state.has(node)) continue;
    const found = visit(node);
    if (found) return found;
  }
  return undefined;
}

describe('layers of src/', () => {
  it('has no import cycle between its folders', () => {
    expect(findCycle(folderGraph())).toBeUndefined();
  });

  it("imports only folders above in CONTRIBUTING.md's layout table (tools and the index aside)", () => {
    const table = readFileSync(resolve(SRC, '../CONTRIBUTING.md'), 'utf8');
    const rank = new Map([...table.matchAll(/^\| `src\/([a-z-]+)\/` \|/gm)].map((m, i) => [m[1], i]));
    expect(rank.size).toBeGreaterThan(10);
    const upward: string[] = [];
    for (const [from, edges] of folderGraph()) {
      if (!rank.has(from)) continue;
      for (const [to, witness] of edges) {
        if (!rank.has(to)) upward.push(`${from} imports ${to}, which the table does not list (${witness})`);
        else if (rank.get(to)! > rank.get(from)!) upward.push(`${from} imports ${to}, listed below it (${witness})`);
      }
    }
    expect(upward).toEqual([]);
  });

  it('has no file over 600 lines (a file that grows past it holds more than one concern)', () => {
    const long = sources(SRC)
      .map((f) => ({ file: relative(SRC, f), lines: readFileSync(f, 'utf8').split('\n').length - 1 }))
      .filter((f) => f.lines > 600);
    expect(long).toEqual([]);
  });

  it('finds a cycle when there is one (the check itself)', () => {
    const g = new Map([
      ['a', new Map([['b', 'a/x.ts imports b/y.ts']])],
      ['b', new Map([['a', 'b/y.ts imports a/z.ts']])],
    ]);
    expect(findCycle(g)).toEqual(['a → b (a/x.ts imports b/y.ts)', 'b → a (b/y.ts imports a/z.ts)']);
  });

  it('reads the imports of the tree: the runtime depends on the engines, not the other way', () => {
    const g = folderGraph();
    expect(g.get('runtime')?.has('vm')).toBe(true);
    expect(g.get('vm')?.has('runtime') ?? false).toBe(false);
  });
});
