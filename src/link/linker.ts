import { XdpchainError } from '../errors/index.js';
import type { Btf } from '../btf/types.js';
import { isKsymFunction } from '../btf/query.js';
import type { CollectionSpec } from '../object-spec/collection-spec.js';
import type { MapSpec } from '../object-spec/map-spec.js';
import type { ProgramReference, ProgramSpec } from '../object-spec/program-spec.js';
import { mergeBtf, type MergedBtf } from './btf-merge.js';
import { dedupeFunctions, layoutFunctions, splitProgram, type FunctionNode } from './functions.js';
import { mergeLicenses } from './license.js';
import { mergeMaps, type MergedMaps } from './merge-maps.js';
import { objectLabels } from './labels.js';
import { writeObject } from './object-writer.js';
import { checkPrototype, type FunctionView } from './prototypes.js';

/** Calls to global function `placeholder` of input `placeholderInput` go to `function` of input `input` instead. */
export interface FunctionReplacement {
  placeholderInput: number;
  placeholder: string;
  input: number;
  function: string;
}

export interface LinkOptions {
  /** Names of the inputs in messages and renamed sections (default: each spec's file name). */
  labels?: readonly string[];
  /** Placeholder functions to replace by functions of other inputs (how the dispatcher is linked). */
  replace?: readonly FunctionReplacement[];
  /** The output's name in messages (CollectionSpec.source). */
  name?: string;
  /** Keep only these programs (default: every program no other input calls). */
  keepPrograms?: readonly string[];
}

export interface LinkResult {
  spec: CollectionSpec;
  /** Extern functions no input defines (kfuncs excepted): calls to them stay unresolved. */
  unresolved: string[];
  warnings: string[];
}

type Linkage = 'static' | 'global' | 'weak';

/** A function of one input, its content already renamed into the output's maps and BTF. */
interface LinkFunction {
  node: FunctionNode;
  input: number;
  linkage: Linkage;
  /** BTF FUNC id in the input's own BTF (for prototype checks), 0 when none. */
  funcId: number;
  program?: ProgramSpec;
}

/**
 * Static linking at the spec level: join several objects into one collection. Extern calls are
 * resolved by name against the other inputs' global functions and programs, a strong definition
 * replaces weak ones, `opts.replace` swaps placeholders; every such binding checks BTF prototypes.
 * Maps of the same name merge (definitions must agree), global data stays per object, BTF type
 * tables are concatenated and func/line info follows the code. A program whose entry function
 * another input now calls becomes part of its caller and is not a program of the output.
 */
export function linkSpecs(inputs: readonly CollectionSpec[], opts: LinkOptions = {}): LinkResult {
  if (inputs.length === 0) throw new XdpchainError('EINVAL', 'nothing to link: give at least one object');
  const labels = opts.labels ? [...opts.labels] : objectLabels(inputs.map((s) => s.source));
  const maps = mergeMaps(inputs.map((spec, i) => ({ spec, label: labels[i] })));
  const btf = mergeBtf(inputs.map((s, i) => ({ btf: s.btf, renameDatasecs: renamedDatasecs(maps.rename[i]) })));
  const hasBtf = inputs.some((s) => s.btf);
  const license = mergeLicenses(inputs.map((s, i) => ({ license: s.license, label: labels[i] })));
  const warnings: string[] = [];

  const functions = inputs.flatMap((spec, i) => collectFunctions(spec, i, maps, btf));
  const info = new Map(functions.map((f) => [f.node, f]));
  const view = (f: LinkFunction): FunctionView => ({ object: labels[f.input], btf: inputs[f.input].btf, funcId: f.funcId });
  const winner = globalSymbols(functions, labels);

  const bound = new Set<FunctionNode>();
  const replaced = new Set<FunctionNode>();
  const replacements = new Map<FunctionNode, LinkFunction>();
  for (const r of opts.replace ?? []) {
    const placeholder = findFunction(functions, r.placeholderInput, r.placeholder, labels);
    if (placeholder.linkage === 'static')
      throw new XdpchainError('EINVAL', `${labels[r.placeholderInput]}: ${r.placeholder} is a static function; only global functions can be replaced`);
    const by = findFunction(functions, r.input, r.function, labels);
    checkPrototype(r.placeholder, view(placeholder), view(by), 'has the placeholder');
    replacements.set(placeholder.node, by);
    replaced.add(placeholder.node);
  }

  const unresolved = new Set<string>();
  for (const f of functions) {
    const kept: ProgramReference[] = [];
    for (const ref of f.node.references) {
      if (ref.kind !== 'kfunc' || isKsymFunction(inputs[f.input].btf, ref.name)) {
        kept.push(ref);
        continue;
      }
      const def = winner.get(ref.name);
      if (!def) {
        unresolved.add(ref.name);
        kept.push(ref);
        continue;
      }
      checkPrototype(ref.name, { ...view(f), funcId: externFuncId(inputs[f.input].btf, ref.name) }, view(def), 'declares it as');
      f.node.edges.push({ slot: ref.slot, kind: 'call', target: def.node });
      bound.add(def.node);
    }
    f.node.references = kept;
    for (const e of f.node.edges) {
      const target = info.get(e.target)!;
      let by = replacements.get(e.target);
      if (!by && target.linkage === 'weak') {
        const w = winner.get(target.node.name)!;
        if (w !== target) {
          checkPrototype(target.node.name, view(target), view(w), 'defines it weak as');
          by = w;
        }
      }
      if (by) {
        e.target = by.node;
        bound.add(by.node);
      }
    }
  }

  const kernelVersion = inputs.flatMap((s) => [...s.programs.values()]).find((p) => p.kernelVersion !== 0)?.kernelVersion ?? 0;
  const finish = (f: LinkFunction, base: ProgramSpec): ProgramSpec => {
    const laid = completeDebugInfo(f.node, labels[f.input], warnings);
    const out: ProgramSpec = { ...base, ...layoutFunctions(f.node), license, kernelVersion, warnings: [...base.warnings, ...laid] };
    if (hasBtf) out.btf = btf.btf;
    else delete out.btf;
    // As readCollectionSpec gives it: no list when there are no CO-RE relocations.
    if (out.coreRelocations?.length === 0) delete out.coreRelocations;
    return out;
  };
  const programs = new Map<string, ProgramSpec>();
  const keep = opts.keepPrograms ? new Set(opts.keepPrograms) : undefined;
  for (const f of functions) {
    if (!f.program || (keep ? !keep.has(f.program.name) : bound.has(f.node))) continue;
    programs.set(f.program.name, finish(f, f.program));
  }
  for (const name of keep ?? []) {
    if (!programs.has(name)) throw new XdpchainError('ENOENT', `no input has a program ${name} to keep`);
  }
  const exported = new Map<string, ProgramSpec>();
  for (const [name, f] of winner) {
    if (f.program || replaced.has(f.node)) continue;
    exported.set(
      name,
      finish(f, {
        name,
        sectionName: '.text',
        type: 'unspec',
        attachType: 'none',
        flags: 0,
        instructions: [],
        references: [],
        license,
        kernelVersion,
        funcInfo: [],
        lineInfo: [],
        warnings: [],
      }),
    );
  }

  const spec: CollectionSpec = {
    programs,
    maps: new Map(maps.maps.map(({ spec: m, input }) => [m.name, outputMap(m, input, maps, btf, hasBtf)])),
    license,
    source: opts.name ?? 'linked',
  };
  if (exported.size > 0) spec.functions = exported;
  if (hasBtf) spec.btf = btf.btf;
  return { spec, unresolved: [...unresolved].sort(), warnings };
}

/** `linkSpecs`, written out as one ELF object. */
export function linkObjects(inputs: readonly CollectionSpec[], opts: LinkOptions = {}): Uint8Array {
  return writeObject(linkSpecs(inputs, opts).spec);
}

function renamedDatasecs(rename: Map<string, string>): Map<string, string> {
  return new Map([...rename].filter(([from, to]) => from !== to));
}

/** Every function of an input (programs, exported functions and what they call), once each. */
function collectFunctions(spec: CollectionSpec, input: number, maps: MergedMaps, btf: MergedBtf): LinkFunction[] {
  const programs = [...spec.programs.values()];
  const programRoots = programs.map((p) => splitProgram(p)[0]);
  const functionRoots = [...(spec.functions?.values() ?? [])].map((f) => splitProgram(f)[0]);
  const rep = dedupeFunctions([...programRoots, ...functionRoots]);
  const programOf = new Map(programRoots.map((r, k) => [rep.get(r)!, programs[k]]));
  const exported = new Set(functionRoots.map((r) => rep.get(r)!));
  const rename = maps.rename[input];
  return [...new Set(rep.values())].map((node) => {
    node.references = node.references.map((r) => {
      if (r.kind === 'map') return { ...r, map: rename.get(r.map) ?? r.map };
      if (r.kind === 'map-value')
        return { ...r, map: rename.get(r.map) ?? r.map, offset: r.map === '.kconfig' ? maps.kconfigOffset(input, r.offset) : r.offset };
      return r;
    });
    const funcId = node.funcInfo?.typeId ?? 0;
    const func = funcId ? spec.btf?.types[funcId] : undefined;
    if (node.funcInfo) node.funcInfo = { ...node.funcInfo, typeId: btf.typeId(input, funcId) };
    node.coreRelocations = node.coreRelocations.map((r) => ({ ...r, typeId: btf.typeId(input, r.typeId) }));
    const isRoot = programOf.has(node) || exported.has(node);
    const global = func?.kind === 'func' ? func.linkage !== 'static' : isRoot;
    const f: LinkFunction = { node, input, linkage: !global ? 'static' : node.funcInfo?.weak ? 'weak' : 'global', funcId };
    const program = programOf.get(node);
    if (program) f.program = program;
    return f;
  });
}

/** The definition each global name binds to: the strong one, else the first weak one. */
function globalSymbols(functions: LinkFunction[], labels: string[]): Map<string, LinkFunction> {
  const out = new Map<string, LinkFunction>();
  for (const f of functions) {
    if (f.linkage === 'static') continue;
    const name = f.node.name;
    const seen = out.get(name);
    if (!seen || (seen.linkage === 'weak' && f.linkage === 'global')) {
      out.set(name, f);
    } else if (seen.linkage === 'global' && f.linkage === 'global' && seen.input !== f.input) {
      throw new XdpchainError('EEXIST', `function ${name} is defined in both ${labels[seen.input]} and ${labels[f.input]}; make one of them static or weak`, {
        function: name,
      });
    }
  }
  return out;
}

function findFunction(functions: LinkFunction[], input: number, name: string, labels: string[]): LinkFunction {
  const f = functions.find((x) => x.input === input && x.node.name === name);
  if (!f) {
    const have = functions.filter((x) => x.input === input && x.linkage !== 'static').map((x) => x.node.name);
    throw new XdpchainError('ENOENT', `${labels[input] ?? `input ${input}`} has no function ${name} (global functions: ${have.join(', ') || 'none'})`);
  }
  return f;
}

function externFuncId(btf: Btf | undefined, name: string): number {
  const t = btf?.types.find((x) => x?.kind === 'func' && x.name === name && x.linkage === 'extern');
  return t?.id ?? 0;
}

/**
 * The kernel wants func_info for every function or none, and with line_info a record at each
 * function's first instruction. Functions from objects without line info (generated code) get a
 * record naming their object; a program mixing functions with and without BTF loses both.
 */
function completeDebugInfo(root: FunctionNode, label: string, warnings: string[]): string[] {
  const reachable = new Set<FunctionNode>();
  const walk = (n: FunctionNode): void => {
    if (reachable.has(n)) return;
    reachable.add(n);
    n.edges.forEach((e) => walk(e.target));
  };
  walk(root);
  const nodes = [...reachable];
  const withInfo = nodes.filter((n) => n.funcInfo);
  if (withInfo.length > 0 && withInfo.length < nodes.length) {
    const missing = nodes.filter((n) => !n.funcInfo).map((n) => n.name);
    const w = `${root.name} (from ${label}): functions ${missing.join(', ')} have no BTF, so func and line info are dropped for the whole program`;
    warnings.push(w);
    for (const n of nodes) {
      delete n.funcInfo;
      n.lineInfo = [];
    }
    return [w];
  }
  if (nodes.some((n) => n.lineInfo.length > 0)) {
    for (const n of nodes) {
      if (!n.lineInfo.some((l) => l.slot === 0)) n.lineInfo = [{ slot: 0, file: label, line: 0, column: 0, text: '' }, ...n.lineInfo];
    }
  }
  return [];
}

function outputMap(m: MapSpec, input: number, maps: MergedMaps, btf: MergedBtf, hasBtf: boolean): MapSpec {
  const rename = maps.rename[input];
  const remap = (s: MapSpec): MapSpec => {
    const out: MapSpec = {
      ...s,
      keyTypeId: s.btf ? btf.typeId(input, s.keyTypeId) : 0,
      valueTypeId: s.btf ? btf.typeId(input, s.valueTypeId) : 0,
      contents: s.contents.map((e) =>
        e.value instanceof Uint8Array || 'program' in e.value ? e : { ...e, value: { map: rename.get(e.value.map) ?? e.value.map } },
      ),
    };
    if (hasBtf) out.btf = btf.btf;
    else delete out.btf;
    if (s.innerMap) out.innerMap = remap(s.innerMap);
    return out;
  };
  return remap(m);
}
