import { XdpchainError } from '../errors/index.js';
import { LD_IMM64 } from '../isa/opcodes.js';
import { encodeRaw, type RawInstruction } from '../isa/raw.js';
import type { CollectionSpec } from '../object-spec/collection-spec.js';
import type { FuncInfo, LineInfo, ProgramSpec } from '../object-spec/program-spec.js';
import type { BtfExtSection } from './btf-ext-encode.js';
import { R_BPF_64_32, R_BPF_64_64 } from './elf-writer.js';
import { dedupeFunctions, splitProgram, type FunctionNode } from './functions.js';

/** What a relocation in a code section points at, before symbols exist. */
export type RelocationTarget = { kind: 'text' } | { kind: 'map'; name: string } | { kind: 'data'; section: string } | { kind: 'extern'; name: string };

export interface PendingRelocation {
  offset: number;
  type: number;
  target: RelocationTarget;
}

export interface CodeFunction {
  name: string;
  /** Byte offset in its section. */
  offset: number;
  size: number;
  funcInfo?: FuncInfo;
  /** A program's entry function (its section is the program's). */
  program?: ProgramSpec;
  /** One of CollectionSpec.functions: a global function of `.text`. */
  exported: boolean;
}

export interface CodeSection {
  name: string;
  bytes: Uint8Array;
  functions: CodeFunction[];
  relocations: PendingRelocation[];
  ext: BtfExtSection;
}

/** How the code refers to data: which maps are global data, and where `.kconfig` externs sit. */
export interface DataLookup {
  isGlobalData(map: string): boolean;
  kconfigExtern(offset: number): { name: string; offset: number } | undefined;
}

/**
 * Lay the programs out as clang and libbpf expect them: each program's entry function in its own
 * section (programs sharing a section name share the section), every subprogram once in `.text`.
 * Calls and function addresses become relocations against `.text`; map, global-data and extern
 * references become relocations against their symbols.
 */
export function layoutCode(spec: CollectionSpec, data: DataLookup): CodeSection[] {
  const programs = [...spec.programs.values()];
  const functions = [...(spec.functions?.values() ?? [])];
  const programRoots = programs.map((p) => splitProgram(p)[0]);
  const functionRoots = functions.map((f) => splitProgram(f)[0]);
  const rep = dedupeFunctions([...programRoots, ...functionRoots]);
  const mains = programRoots.map((r) => rep.get(r)!);
  const exported = new Set(functionRoots.map((r) => rep.get(r)!));

  const textNodes: FunctionNode[] = [];
  const seen = new Set<FunctionNode>();
  const visit = (n: FunctionNode): void => {
    if (seen.has(n)) return;
    seen.add(n);
    textNodes.push(n);
    n.edges.forEach((e) => visit(e.target));
  };
  mains.forEach((m) => m.edges.forEach((e) => visit(e.target)));
  exported.forEach(visit);
  const textOffset = new Map<FunctionNode, number>();
  let at = 0;
  for (const n of textNodes) {
    textOffset.set(n, at);
    at += n.insns.length * 8;
  }

  const sections: CodeSection[] = [];
  const emit = (name: string, nodes: { node: FunctionNode; program?: ProgramSpec }[]): void => {
    const insns: RawInstruction[] = [];
    const section: CodeSection = {
      name,
      bytes: new Uint8Array(0),
      functions: [],
      relocations: [],
      ext: { section: name, funcInfo: [], lineInfo: [], coreRelocations: [] },
    };
    for (const { node, program } of nodes) {
      const base = insns.length;
      insns.push(...emitFunction(node, base, textOffset, data, section.relocations, program?.name ?? node.name));
      const fn: CodeFunction = { name: program?.name ?? node.name, offset: base * 8, size: node.insns.length * 8, exported: exported.has(node) };
      if (node.funcInfo) {
        fn.funcInfo = node.funcInfo;
        section.ext.funcInfo.push({ insnOff: base * 8, typeId: node.funcInfo.typeId });
      }
      if (program) fn.program = program;
      section.functions.push(fn);
      section.ext.lineInfo.push(
        ...node.lineInfo.map((l: LineInfo) => ({ insnOff: (base + l.slot) * 8, file: l.file, text: l.text, line: l.line, column: l.column })),
      );
      section.ext.coreRelocations.push(
        ...node.coreRelocations.map((r) => ({ insnOff: (base + r.slot) * 8, typeId: r.typeId, accessString: r.accessString, kind: r.kind })),
      );
    }
    section.bytes = encodeRaw(insns);
    sections.push(section);
  };
  if (textNodes.length > 0)
    emit(
      '.text',
      textNodes.map((node) => ({ node })),
    );
  const bySection = new Map<string, { node: FunctionNode; program: ProgramSpec }[]>();
  programs.forEach((p, i) => {
    if (p.sectionName === '.text') throw new XdpchainError('EINVAL', `program ${p.name}: section .text holds subprograms, not programs`, { program: p.name });
    bySection.set(p.sectionName, [...(bySection.get(p.sectionName) ?? []), { node: mains[i], program: p }]);
  });
  for (const [name, list] of bySection) emit(name, list);
  return sections;
}

function emitFunction(
  n: FunctionNode,
  base: number,
  textOffset: Map<FunctionNode, number>,
  data: DataLookup,
  relocs: PendingRelocation[],
  owner: string,
): RawInstruction[] {
  const insns = n.insns.map((i) => ({ ...i }));
  const where = (slot: number) => `function ${n.name} (in ${owner}), instruction ${slot}`;
  const at = (slot: number) => (base + slot) * 8;
  const ldImm64 = (slot: number, imm: number, target: RelocationTarget): void => {
    if (insns[slot]?.opcode !== LD_IMM64 || slot + 1 >= insns.length)
      throw new XdpchainError('EINVAL', `${where(slot)}: a map, data or function reference must be a ld_imm64`);
    insns[slot] = { ...insns[slot], src: 0, imm };
    insns[slot + 1] = { ...insns[slot + 1], imm: 0 };
    relocs.push({ offset: at(slot), type: R_BPF_64_64, target });
  };
  for (const e of n.edges) {
    const off = textOffset.get(e.target)!;
    if (e.kind === 'call') {
      insns[e.slot] = { ...insns[e.slot], src: 1, imm: off / 8 - 1 };
      relocs.push({ offset: at(e.slot), type: R_BPF_64_32, target: { kind: 'text' } });
    } else ldImm64(e.slot, off, { kind: 'text' });
  }
  for (const r of n.references) {
    switch (r.kind) {
      case 'map':
        ldImm64(r.slot, 0, { kind: 'map', name: r.map });
        break;
      case 'map-value': {
        if (data.isGlobalData(r.map)) {
          ldImm64(r.slot, r.offset, { kind: 'data', section: r.map });
          break;
        }
        const ext = r.map === '.kconfig' ? data.kconfigExtern(r.offset) : undefined;
        if (!ext)
          throw new XdpchainError(
            'EINVAL',
            `${where(r.slot)}: direct access to the value of map ${r.map} has no ELF form (only global data and __kconfig externs do)`,
          );
        ldImm64(r.slot, r.offset - ext.offset, { kind: 'extern', name: ext.name });
        break;
      }
      case 'kfunc':
        insns[r.slot] = { ...insns[r.slot], src: 1, imm: -1 };
        relocs.push({ offset: at(r.slot), type: R_BPF_64_32, target: { kind: 'extern', name: r.name } });
        break;
      case 'ksym':
        relocs.push({ offset: at(r.slot), type: R_BPF_64_64, target: { kind: 'extern', name: r.name } });
        break;
    }
  }
  return insns;
}
