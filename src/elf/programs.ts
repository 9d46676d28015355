import { MalformedInputError } from '../errors/index.js';
import type { BtfExt } from '../btf/ext.js';
import type { Btf } from '../btf/types.js';
import { CALL, LD_IMM64, PseudoCall, PseudoLd } from '../isa/opcodes.js';
import { decodeRaw, type RawInstruction } from '../isa/raw.js';
import type { AttachType, CoreRelocation, FuncInfo, LineInfo, ProgramReference, ProgramSpec, ProgramType } from '../object-spec/program-spec.js';
import { coreRelocationKind } from '../btf/core/kinds.js';
import { SHF_EXECINSTR, SHN_UNDEF, SHT, STB, STT, type ElfFile, type ElfSection, type ElfSymbol } from './elf-file.js';
import { isGlobalDataSection } from './maps.js';

const R_BPF_64_64 = 1;
const R_BPF_64_32 = 10;
export const BPF_F_XDP_HAS_FRAGS = 1 << 5;
/** prog_flags: the program is bound to the device `prog_ifindex` names (not offloaded to it). */
export const BPF_F_XDP_DEV_BOUND_ONLY = 1 << 6;

interface SectionKind {
  type: ProgramType;
  attachType: AttachType;
  flags: number;
  attachTo?: string;
  warning?: string;
}

/** Program type from the section name, following libbpf's conventions. */
export function sectionKind(name: string): SectionKind {
  const xdp = (attachType: AttachType, frags: boolean): SectionKind => ({ type: 'xdp', attachType, flags: frags ? BPF_F_XDP_HAS_FRAGS : 0 });
  switch (name) {
    case 'xdp':
      return xdp('xdp', false);
    case 'xdp.frags':
      return xdp('xdp', true);
    case 'xdp/devmap':
      return xdp('xdp_devmap', false);
    case 'xdp.frags/devmap':
      return xdp('xdp_devmap', true);
    case 'xdp/cpumap':
      return xdp('xdp_cpumap', false);
    case 'xdp.frags/cpumap':
      return xdp('xdp_cpumap', true);
    case 'tc':
    case 'classifier':
    case 'tc/ingress':
    case 'tcx/ingress':
      return { type: 'sched_cls', attachType: name.endsWith('ingress') ? 'tcx_ingress' : 'none', flags: 0 };
    case 'tc/egress':
    case 'tcx/egress':
      return { type: 'sched_cls', attachType: 'tcx_egress', flags: 0 };
    case 'socket':
      return { type: 'socket_filter', attachType: 'none', flags: 0 };
  }
  if (name.startsWith('freplace/')) return { type: 'ext', attachType: 'none', flags: 0, attachTo: name.slice('freplace/'.length) };
  if (name.startsWith('xdp')) {
    return { ...xdp('xdp', false), warning: `section "${name}" is a legacy XDP section name; libbpf 1.0 wants SEC("xdp")` };
  }
  return { type: 'unspec', attachType: 'none', flags: 0, warning: `section "${name}" does not name a program type xdpchain knows; loading it will fail` };
}

interface FunctionRange {
  section: ElfSection;
  symbol: ElfSymbol;
  start: number;
  length: number;
  insns: RawInstruction[];
}

/** Everything program extraction needs from the rest of the object. */
export interface ProgramContext {
  elf: ElfFile;
  btf?: Btf;
  ext?: BtfExt;
  license: string;
  kernelVersion: number;
  /** Names of map symbols (BTF `.maps` and legacy `maps`). */
  mapSymbols: Set<number>;
  /** `.kconfig` externs by name → offset in the `.kconfig` map. */
  kconfig: Map<string, number>;
}

/** Every FUNC symbol of every non-empty code section, as instruction ranges, by section index. */
function codeIndex(elf: ElfFile): Map<number, FunctionRange[]> {
  const decoded = new Map<number, RawInstruction[]>();
  const insnsOf = (sec: ElfSection): RawInstruction[] => {
    let d = decoded.get(sec.index);
    if (!d) {
      if (sec.size % 8 !== 0) throw new MalformedInputError(`${elf.file}: section ${sec.name}`, `size ${sec.size} is not a multiple of 8`, sec.offset);
      d = decodeRaw(sec.data, `${elf.file}: section ${sec.name}`);
      decoded.set(sec.index, d);
    }
    return d;
  };
  const functions = (sec: ElfSection): FunctionRange[] =>
    elf.symbols
      .filter((s) => s.section === sec.index && s.type === STT.FUNC)
      .map((symbol) => {
        if (symbol.value % 8 !== 0 || symbol.size % 8 !== 0 || symbol.value + symbol.size > sec.size) {
          throw new MalformedInputError(
            `${elf.file}: function ${symbol.name}`,
            `range ${symbol.value}+${symbol.size} is not whole instructions inside section ${sec.name}`,
            sec.offset + symbol.value,
          );
        }
        return { section: sec, symbol, start: symbol.value / 8, length: symbol.size / 8, insns: insnsOf(sec) };
      })
      .sort((a, b) => a.start - b.start);
  return new Map(codeSections(elf).map((s) => [s.index, functions(s)]));
}

const codeSections = (elf: ElfFile): ElfSection[] => elf.sections.filter((s) => s.type === SHT.PROGBITS && s.flags & SHF_EXECINSTR && s.size > 0);

export function extractPrograms(ctx: ProgramContext): ProgramSpec[] {
  const { elf } = ctx;
  const byIndex = codeIndex(elf);
  const programs: ProgramSpec[] = [];
  for (const sec of codeSections(elf)) {
    if (sec.name === '.text') continue;
    const kind = sectionKind(sec.name);
    for (const fn of byIndex.get(sec.index) ?? []) {
      if (fn.symbol.bind === 0 && fn.symbol.name.startsWith('.')) continue;
      programs.push(linkProgram(ctx, fn, kind, byIndex));
    }
  }
  return programs;
}

/**
 * Global and weak functions of `.text`, each laid out like a program (the function, then every
 * subprogram it reaches): what a static linker resolves other objects' extern calls against.
 */
export function extractFunctions(ctx: ProgramContext): ProgramSpec[] {
  const { elf } = ctx;
  const text = codeSections(elf).find((s) => s.name === '.text');
  if (!text) return [];
  const byIndex = codeIndex(elf);
  const kind: SectionKind = { type: 'unspec', attachType: 'none', flags: 0 };
  return (byIndex.get(text.index) ?? [])
    .filter((fn) => fn.symbol.bind === STB.GLOBAL || fn.symbol.bind === STB.WEAK)
    .map((fn) => linkProgram(ctx, fn, kind, byIndex));
}

/** Lay out one program: its own instructions, then every subprogram it reaches, depth first. */
function linkProgram(ctx: ProgramContext, main: FunctionRange, kind: SectionKind, byIndex: Map<number, FunctionRange[]>): ProgramSpec {
  const { elf } = ctx;
  const out: RawInstruction[] = [];
  const references: ProgramReference[] = [];
  const funcInfo: FuncInfo[] = [];
  const lineInfo: LineInfo[] = [];
  const coreRelocations: CoreRelocation[] = [];
  const placed = new Map<FunctionRange, number>();
  const fail = (fn: FunctionRange, i: number, why: string): never => {
    throw new MalformedInputError(
      `${elf.file}: program ${main.symbol.name}`,
      `instruction ${i} of ${fn.symbol.name} (section ${fn.section.name}): ${why}`,
      fn.section.offset + (fn.start + i) * 8,
    );
  };
  const functionAt = (sectionIndex: number, slot: number, from: FunctionRange, i: number): FunctionRange => {
    const fns = byIndex.get(sectionIndex);
    const fn = fns?.find((f) => slot >= f.start && slot < f.start + f.length);
    if (!fn) return fail(from, i, `refers to slot ${slot} of section ${elf.sections[sectionIndex]?.name ?? sectionIndex}, which is in no function`);
    return fn;
  };

  const place = (fn: FunctionRange): number => {
    const existing = placed.get(fn);
    if (existing !== undefined) return existing;
    const base = out.length;
    placed.set(fn, base);
    for (let i = 0; i < fn.length; i++) out.push({ ...fn.insns[fn.start + i] });
    collectBtfExt(ctx, fn, base, { funcInfo, lineInfo, coreRelocations });
    const relocs = new Map((elf.relocations.get(fn.section.index) ?? []).map((r) => [r.offset, r]));
    for (let i = 0; i < fn.length; i++) {
      const at = base + i;
      const insn = out[at];
      const rel = relocs.get((fn.start + i) * 8);
      const sym = rel ? elf.symbols[rel.symbol] : undefined;
      if (rel && !sym) fail(fn, i, `relocation refers to missing symbol ${rel.symbol}`);
      if (insn.opcode === CALL && rel && sym!.section === SHN_UNDEF) {
        // clang marks calls to extern functions as local calls (src 1, imm -1); the relocation names
        // the callee, a kfunc or a function of another object that a static linker supplies.
        references.push({ slot: at, kind: 'kfunc', name: sym!.name });
        out[at] = { ...out[at], src: PseudoCall.KFUNC, imm: 0 };
      } else if (insn.opcode === CALL && (insn.src === PseudoCall.LOCAL || rel)) {
        if (rel && rel.type !== R_BPF_64_32) fail(fn, i, `call has relocation type ${rel.type}, expected R_BPF_64_32`);
        const targetSection = sym ? sym.section : fn.section.index;
        const targetSlot = sym ? sym.value / 8 + insn.imm + 1 : fn.start + i + insn.imm + 1;
        const target = functionAt(targetSection, targetSlot, fn, i);
        const targetBase = place(target);
        out[at] = { ...out[at], src: PseudoCall.LOCAL, imm: targetBase + (targetSlot - target.start) - (at + 1) };
      } else if (insn.opcode === LD_IMM64 && rel) {
        if (rel.type !== R_BPF_64_64) fail(fn, i, `ld_imm64 has relocation type ${rel.type}, expected R_BPF_64_64`);
        if (i + 1 >= fn.length) fail(fn, i, 'ld_imm64 is cut off by the end of the function');
        const s = sym!;
        const secName = elf.sections[s.section]?.name ?? '';
        if (ctx.mapSymbols.has(s.index)) {
          references.push({ slot: at, kind: 'map', map: s.name });
          out[at] = { ...out[at], src: PseudoLd.MAP_FD, imm: 0 };
          out[at + 1] = { ...out[at + 1], imm: 0 };
        } else if (s.section === SHN_UNDEF && ctx.kconfig.has(s.name)) {
          references.push({ slot: at, kind: 'map-value', map: '.kconfig', offset: ctx.kconfig.get(s.name)! + insn.imm });
          out[at] = { ...out[at], src: PseudoLd.MAP_VALUE, imm: 0 };
          out[at + 1] = { ...out[at + 1], imm: 0 };
        } else if (s.section === SHN_UNDEF) {
          references.push({ slot: at, kind: 'ksym', name: s.name });
        } else if (isGlobalDataSection(secName)) {
          references.push({ slot: at, kind: 'map-value', map: secName, offset: insn.imm + s.value });
          out[at] = { ...out[at], src: PseudoLd.MAP_VALUE, imm: 0 };
          out[at + 1] = { ...out[at + 1], imm: 0 };
        } else if (byIndex.has(s.section)) {
          const targetSlot = (s.value + insn.imm) / 8;
          if (!Number.isInteger(targetSlot)) fail(fn, i, 'function address is not instruction-aligned');
          const target = functionAt(s.section, targetSlot, fn, i);
          const targetBase = place(target);
          out[at] = { ...out[at], src: PseudoLd.FUNC, imm: targetBase + (targetSlot - target.start) - (at + 1) };
        } else {
          fail(fn, i, `ld_imm64 refers to ${s.name || `a symbol in ${secName}`}, which is neither a map, global data nor a function`);
        }
      }
      if (insn.opcode === LD_IMM64) i++;
    }
    return base;
  };
  place(main);

  const spec: ProgramSpec = {
    name: main.symbol.name,
    sectionName: main.section.name,
    type: kind.type,
    attachType: kind.attachType,
    flags: kind.flags,
    instructions: out,
    references,
    license: ctx.license,
    kernelVersion: ctx.kernelVersion,
    funcInfo: funcInfo.sort((a, b) => a.slot - b.slot),
    lineInfo: lineInfo.sort((a, b) => a.slot - b.slot),
    warnings: kind.warning ? [kind.warning] : [],
  };
  if (coreRelocations.length > 0) spec.coreRelocations = coreRelocations.sort((a, b) => a.slot - b.slot);
  if (kind.attachTo) spec.attachTo = kind.attachTo;
  if (ctx.btf) spec.btf = ctx.btf;
  return spec;
}

/** What `.BTF.ext` says of one laid-out program, by slot. */
interface ProgramExt {
  funcInfo: FuncInfo[];
  lineInfo: LineInfo[];
  coreRelocations: CoreRelocation[];
}

/** The `.BTF.ext` records of a function placed at `base`, moved to the program's slots (each copy of a subprogram gets its own). */
function collectBtfExt(ctx: ProgramContext, fn: FunctionRange, base: number, out: ProgramExt): void {
  const { funcInfo, lineInfo, coreRelocations } = out;
  const inRange = (insnOff: number): number | undefined => {
    const slot = insnOff / 8;
    return Number.isInteger(slot) && slot >= fn.start && slot < fn.start + fn.length ? base + slot - fn.start : undefined;
  };
  for (const rec of ctx.ext?.funcInfo.get(fn.section.name) ?? []) {
    const slot = inRange(rec.insnOff);
    if (slot === undefined) continue;
    const info: FuncInfo = { slot, typeId: rec.typeId, name: ctx.btf?.types[rec.typeId]?.name ?? '' };
    if (slot === base && fn.symbol.bind === STB.WEAK) info.weak = true;
    funcInfo.push(info);
  }
  for (const rec of ctx.ext?.lineInfo.get(fn.section.name) ?? []) {
    const slot = inRange(rec.insnOff);
    if (slot !== undefined) lineInfo.push({ slot, file: rec.file, line: rec.line, column: rec.column, text: rec.text });
  }
  for (const rec of ctx.ext?.coreRelocations.get(fn.section.name) ?? []) {
    const slot = inRange(rec.insnOff);
    if (slot === undefined) continue;
    const kind = coreRelocationKind(rec.kind);
    const where = `${ctx.elf.file}: .BTF.ext core_relo of ${fn.section.name}`;
    if (!kind)
      throw new MalformedInputError(
        where,
        `instruction ${slot - base} of ${fn.symbol.name} has relocation kind ${rec.kind}, which is not a CO-RE relocation kind (0..12)`,
      );
    if (!ctx.btf?.types[rec.typeId])
      throw new MalformedInputError(
        where,
        `instruction ${slot - base} of ${fn.symbol.name}: relocation names BTF type ${rec.typeId}, which the object's BTF does not have`,
      );
    coreRelocations.push({ slot, typeId: rec.typeId, accessString: rec.accessString, kind });
  }
}
