import { createHash } from 'node:crypto';
import { XdpchainError } from '../errors/index.js';
import { CALL, LD_IMM64, PseudoCall, PseudoLd } from '../isa/opcodes.js';
import { encodeRaw, type RawInstruction } from '../isa/raw.js';
import type { CoreRelocation, FuncInfo, LineInfo, ProgramReference, ProgramSpec } from '../object-spec/program-spec.js';

/** A bpf-to-bpf call or a function address (`ld_imm64` BPF_PSEUDO_FUNC) at `slot` of a function. */
export interface FunctionEdge<T> {
  slot: number;
  kind: 'call' | 'address';
  target: T;
}

/**
 * One BPF function cut out of a laid-out program: its own instructions, and everything that
 * refers elsewhere with slots relative to its first instruction. Edge immediates in `insns` are
 * stale; `layoutFunctions` recomputes them.
 */
export interface FunctionNode {
  name: string;
  insns: RawInstruction[];
  references: ProgramReference[];
  edges: FunctionEdge<FunctionNode>[];
  funcInfo?: FuncInfo;
  lineInfo: LineInfo[];
  coreRelocations: CoreRelocation[];
}

/**
 * Cut a laid-out program into its functions. A function starts at slot 0, at each func_info
 * record, and at every call or address target; it runs to the next start.
 */
export function splitProgram(p: ProgramSpec): FunctionNode[] {
  const insns = p.instructions;
  const fail = (slot: number, why: string): never => {
    throw new XdpchainError('EINVAL', `program ${p.name}, instruction ${slot}: ${why}`, { program: p.name, insn: slot });
  };
  const targetOf = (slot: number): number | undefined => {
    const insn = insns[slot];
    const isCall = insn.opcode === CALL && insn.src === PseudoCall.LOCAL;
    const isAddress = insn.opcode === LD_IMM64 && insn.src === PseudoLd.FUNC;
    if (!isCall && !isAddress) return undefined;
    const t = slot + insn.imm + 1;
    if (t < 0 || t >= insns.length) fail(slot, `${isCall ? 'call' : 'function address'} target ${t} is outside the program (${insns.length} instructions)`);
    return t;
  };
  const starts = new Set<number>([0, ...p.funcInfo.map((f) => f.slot)]);
  for (let i = 0; i < insns.length; i++) {
    const t = targetOf(i);
    if (t !== undefined) starts.add(t);
    if (insns[i].opcode === LD_IMM64) i++;
  }
  const sorted = [...starts].sort((a, b) => a - b);
  const nodes: FunctionNode[] = sorted.map((start, k) => {
    const end = sorted[k + 1] ?? insns.length;
    const info = p.funcInfo.find((f) => f.slot === start);
    const node: FunctionNode = {
      name: info?.name || (start === 0 ? p.name : `${p.name}__${start}`),
      insns: insns.slice(start, end).map((i) => ({ ...i })),
      references: p.references.filter((r) => r.slot >= start && r.slot < end).map((r) => ({ ...r, slot: r.slot - start })),
      edges: [],
      lineInfo: p.lineInfo.filter((l) => l.slot >= start && l.slot < end).map((l) => ({ ...l, slot: l.slot - start })),
      coreRelocations: (p.coreRelocations ?? []).filter((r) => r.slot >= start && r.slot < end).map((r) => ({ ...r, slot: r.slot - start })),
    };
    if (info) node.funcInfo = { ...info, slot: 0 };
    return node;
  });
  const nodeAt = new Map(sorted.map((s, k) => [s, nodes[k]]));
  sorted.forEach((start, k) => {
    const end = sorted[k + 1] ?? insns.length;
    for (let i = start; i < end; i++) {
      const t = targetOf(i);
      if (t !== undefined) nodes[k].edges.push({ slot: i - start, kind: insns[i].opcode === CALL ? 'call' : 'address', target: nodeAt.get(t)! });
      if (insns[i].opcode === LD_IMM64) {
        if (i + 1 >= end) fail(i, 'ld_imm64 is cut off by the start of the next function');
        i++;
      }
    }
  });
  return nodes;
}

/**
 * A content key for a function and everything it reaches: equal keys mean the same code, so the
 * copies each program carries of a shared subprogram can be stored once.
 */
export function functionKeys(roots: readonly FunctionNode[]): Map<FunctionNode, string> {
  const keys = new Map<FunctionNode, string>();
  const onStack = new Set<FunctionNode>();
  const keyOf = (n: FunctionNode): string => {
    const known = keys.get(n);
    if (known) return known;
    if (onStack.has(n)) return `recursive:${n.name}`;
    onStack.add(n);
    const h = createHash('sha256');
    const insns = n.insns.map((i) => ({ ...i }));
    for (const e of n.edges) insns[e.slot].imm = 0;
    h.update(n.name).update('\0').update(encodeRaw(insns));
    h.update(JSON.stringify([n.references, n.funcInfo ?? null, n.lineInfo, n.coreRelocations]));
    for (const e of n.edges) h.update(`${e.slot}:${e.kind}:${keyOf(e.target)}`);
    onStack.delete(n);
    const key = h.digest('hex');
    keys.set(n, key);
    return key;
  };
  roots.forEach(keyOf);
  return keys;
}

/** Replace nodes with equal keys by one representative, rewriting edges; returns the representative map. */
export function dedupeFunctions(roots: readonly FunctionNode[]): Map<FunctionNode, FunctionNode> {
  const keys = functionKeys(roots);
  const byKey = new Map<string, FunctionNode>();
  const rep = new Map<FunctionNode, FunctionNode>();
  for (const [node, key] of keys) {
    const first = byKey.get(key);
    if (first) rep.set(node, first);
    else {
      byKey.set(key, node);
      rep.set(node, node);
    }
  }
  for (const node of new Set(rep.values())) {
    node.edges = node.edges.map((e) => ({ ...e, target: rep.get(e.target) ?? e.target }));
  }
  return rep;
}

export interface LaidOut {
  instructions: RawInstruction[];
  references: ProgramReference[];
  funcInfo: FuncInfo[];
  lineInfo: LineInfo[];
  coreRelocations: CoreRelocation[];
}

/**
 * Lay out a function and everything it reaches the way readCollectionSpec (and libbpf) does: the
 * function, then each callee at its first call or address, depth first, with call and address
 * immediates pc-relative.
 */
export function layoutFunctions(root: FunctionNode): LaidOut {
  const out: LaidOut = { instructions: [], references: [], funcInfo: [], lineInfo: [], coreRelocations: [] };
  const placed = new Map<FunctionNode, number>();
  const place = (n: FunctionNode): number => {
    const existing = placed.get(n);
    if (existing !== undefined) return existing;
    const base = out.instructions.length;
    placed.set(n, base);
    out.instructions.push(...n.insns.map((i) => ({ ...i })));
    if (n.funcInfo) out.funcInfo.push({ ...n.funcInfo, slot: base });
    out.lineInfo.push(...n.lineInfo.map((l) => ({ ...l, slot: l.slot + base })));
    out.coreRelocations.push(...n.coreRelocations.map((r) => ({ ...r, slot: r.slot + base })));
    const refs = new Map(n.references.map((r) => [r.slot, r]));
    const edges = new Map(n.edges.map((e) => [e.slot, e]));
    for (let i = 0; i < n.insns.length; i++) {
      const ref = refs.get(i);
      if (ref) out.references.push({ ...ref, slot: ref.slot + base });
      const e = edges.get(i);
      if (e) {
        const target = place(e.target);
        out.instructions[base + i] = { ...out.instructions[base + i], src: e.kind === 'call' ? PseudoCall.LOCAL : PseudoLd.FUNC, imm: target - (base + i + 1) };
      }
    }
    return base;
  };
  place(root);
  out.funcInfo.sort((a, b) => a.slot - b.slot);
  out.lineInfo.sort((a, b) => a.slot - b.slot);
  out.coreRelocations.sort((a, b) => a.slot - b.slot);
  return out;
}
