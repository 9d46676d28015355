import { XdpchainError } from '../../errors/index.js';
import { ProgramBuilder } from '../../isa/builder.js';
import { PseudoLd } from '../../isa/opcodes.js';
import type { MapSpec } from '../../object-spec/map-spec.js';
import type { ProgramSpec } from '../../object-spec/program-spec.js';
import { XdpAction } from '../constants.js';
import { XdpBtfIds, xdpFunctionsBtf } from './btf.js';
import { DISPATCHER_RETVAL, MAX_DISPATCHER_SLOTS } from './program.js';

export const CALLX_DISPATCHER_MAIN = 'xdp_callx_dispatcher';
export const CALLX_TABLE_MAP = '.rodata';

/** Layout of the table: u32 count, u32 masks[slots], pad to 8, u64 function addresses[slots]. */
export const callxTableLayout = (slots: number) => {
  const fns = (4 + 4 * slots + 7) & ~7;
  return { size: fns + 8 * slots, count: 0, mask: (k: number) => 4 + 4 * k, fn: (k: number) => fns + 8 * k, fnsOffset: fns };
};

/** The table's bytes: which functions run, in order, and the actions that continue after each. */
export function encodeCallxTable(slots: number, entries: { address: number; mask: number }[]): Uint8Array {
  const l = callxTableLayout(slots);
  const out = new Uint8Array(l.size);
  const dv = new DataView(out.buffer);
  dv.setUint32(l.count, entries.length, true);
  entries.forEach((e, k) => {
    dv.setUint32(l.mask(k), (e.mask | (1 << DISPATCHER_RETVAL)) >>> 0, true);
    dv.setBigUint64(l.fn(k), BigInt(e.address), true);
  });
  return out;
}

/**
 * A dispatcher that loops over a table of function pointers in global data and calls each
 * with `callx` (DESIGN §5.5), with the same rules as the freplace dispatcher: a return code of
 * 32 or more, or one outside the slot's mask, ends the run; all continuing gives XDP_PASS.
 * Components change by rewriting the table; the program stays.
 */
export function callxDispatcherProgram(slots: number): { program: ProgramSpec; table: MapSpec } {
  if (!Number.isInteger(slots) || slots < 1 || slots > MAX_DISPATCHER_SLOTS)
    throw new XdpchainError('E2BIG', `a dispatcher has 1 to ${MAX_DISPATCHER_SLOTS} slots, not ${slots}`);
  const l = callxTableLayout(slots);
  const b = new ProgramBuilder();
  const [CTX, TABLE, I] = [6, 7, 8];
  b.emit({ kind: 'alu', bits: 64, op: 'mov', dst: CTX, src: { reg: 1 } });
  const tableSlot = b.length;
  b.emit({ kind: 'ld_imm64', dst: TABLE, pseudo: PseudoLd.MAP_VALUE, imm: 0n });
  b.emit({ kind: 'alu', bits: 64, op: 'mov', dst: I, src: { imm: 0 } });
  b.label('loop');
  b.emit({ kind: 'load', size: 4, signed: false, dst: 1, base: TABLE, off: l.count });
  b.jump('jge', 64, I, { reg: 1 }, 'all_continued');
  b.emit({ kind: 'alu', bits: 64, op: 'mov', dst: 2, src: { reg: I } });
  b.emit({ kind: 'alu', bits: 64, op: 'lsh', dst: 2, src: { imm: 3 } });
  b.emit({ kind: 'alu', bits: 64, op: 'add', dst: 2, src: { reg: TABLE } });
  b.emit({ kind: 'load', size: 8, signed: false, dst: 2, base: 2, off: l.fnsOffset });
  b.emit({ kind: 'alu', bits: 64, op: 'mov', dst: 1, src: { reg: CTX } });
  b.emit({ kind: 'callx', reg: 2, legacyImm: false });
  b.jump('jgt', 32, 0, { imm: DISPATCHER_RETVAL }, 'return_r0');
  b.emit({ kind: 'alu', bits: 32, op: 'mov', dst: 2, src: { reg: 0 } });
  b.emit({ kind: 'alu', bits: 64, op: 'mov', dst: 1, src: { imm: 1 } });
  b.emit({ kind: 'alu', bits: 64, op: 'lsh', dst: 1, src: { reg: 2 } });
  b.emit({ kind: 'alu', bits: 64, op: 'mov', dst: 2, src: { reg: I } });
  b.emit({ kind: 'alu', bits: 64, op: 'lsh', dst: 2, src: { imm: 2 } });
  b.emit({ kind: 'alu', bits: 64, op: 'add', dst: 2, src: { reg: TABLE } });
  b.emit({ kind: 'load', size: 4, signed: false, dst: 2, base: 2, off: 4 });
  b.emit({ kind: 'alu', bits: 64, op: 'and', dst: 1, src: { reg: 2 } });
  b.jump('jeq', 64, 1, { imm: 0 }, 'return_r0');
  b.emit({ kind: 'alu', bits: 64, op: 'add', dst: I, src: { imm: 1 } });
  b.jump('ja', 64, 0, { imm: 0 }, 'loop');
  b.label('all_continued');
  b.emit({ kind: 'alu', bits: 64, op: 'mov', dst: 0, src: { imm: XdpAction.PASS } });
  b.label('return_r0');
  b.emit({ kind: 'exit' });
  const btf = xdpFunctionsBtf([CALLX_DISPATCHER_MAIN]);
  const program: ProgramSpec = {
    name: CALLX_DISPATCHER_MAIN,
    sectionName: 'xdp',
    type: 'xdp',
    attachType: 'xdp',
    flags: 0,
    instructions: b.build(),
    references: [{ slot: tableSlot, kind: 'map-value', map: CALLX_TABLE_MAP, offset: 0 }],
    license: 'GPL',
    kernelVersion: 0,
    funcInfo: [{ slot: 0, typeId: XdpBtfIds.firstFunc, name: CALLX_DISPATCHER_MAIN }],
    lineInfo: [],
    btf,
    warnings: [],
  };
  const table: MapSpec = {
    name: CALLX_TABLE_MAP,
    type: 'array',
    keySize: 4,
    valueSize: l.size,
    maxEntries: 1,
    flags: 0,
    pinning: 'none',
    contents: [],
    initialData: new Uint8Array(l.size),
    frozen: true,
    keyTypeId: 0,
    valueTypeId: 0,
  };
  return { program, table };
}
