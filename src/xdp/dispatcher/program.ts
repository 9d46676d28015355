import { XdpchainError } from '../../errors/index.js';
import { ProgramBuilder } from '../../isa/builder.js';
import { PseudoLd } from '../../isa/opcodes.js';
import type { MapSpec } from '../../object-spec/map-spec.js';
import type { ProgramSpec } from '../../object-spec/program-spec.js';
import { XdpAction } from '../constants.js';
import { XdpBtfIds, xdpFunctionsBtf } from './btf.js';

export const DEFAULT_DISPATCHER_SLOTS = 10;
export const MAX_DISPATCHER_SLOTS = 63;
/** What an empty placeholder returns; every slot's mask has this bit, so an empty slot continues. */
export const DISPATCHER_RETVAL = 31;
export const DISPATCHER_MAGIC = 236;
export const DISPATCHER_VERSION = 2;
export const DISPATCHER_MAIN = 'xdp_dispatcher';
export const DISPATCHER_CONFIG_MAP = '.rodata';

/** Name of the placeholder function for slot k. */
export const slotFunction = (k: number): string => `prog${k}`;

/** The run-time configuration the dispatcher reads from read-only global data. */
export interface DispatcherConfig {
  /** Slots that run, in order (0 .. slots). */
  enabled: number;
  /** Per slot: bit `a` set = continue on return code `a`. Bit 31 is always added. */
  chainCallActions: number[];
  runPriorities: number[];
  programFlags: number[];
  frags: boolean;
}

/** Byte layout of the config value: header, then three u32 arrays of `slots` entries. */
export const configLayout = (slots: number) => ({
  size: 4 + 12 * slots,
  numEnabled: 2,
  frags: 3,
  actions: (k: number) => 4 + 4 * k,
  priorities: (k: number) => 4 + 4 * slots + 4 * k,
  flags: (k: number) => 4 + 8 * slots + 4 * k,
});

export function encodeDispatcherConfig(slots: number, cfg: DispatcherConfig): Uint8Array {
  const layout = configLayout(slots);
  const bytes = new Uint8Array(layout.size);
  const dv = new DataView(bytes.buffer);
  bytes[0] = DISPATCHER_MAGIC;
  bytes[1] = DISPATCHER_VERSION;
  bytes[layout.numEnabled] = cfg.enabled;
  bytes[layout.frags] = cfg.frags ? 1 : 0;
  for (let k = 0; k < slots; k++) {
    dv.setUint32(layout.actions(k), ((cfg.chainCallActions[k] ?? 0) | (1 << DISPATCHER_RETVAL)) >>> 0, true);
    dv.setUint32(layout.priorities(k), cfg.runPriorities[k] ?? 0, true);
    dv.setUint32(layout.flags(k), cfg.programFlags[k] ?? 0, true);
  }
  return bytes;
}

/**
 * The dispatcher as real eBPF: `xdp_dispatcher` calls `prog0 .. prog{n-1}` in order; after each,
 * a return code of 32 or more, or one whose bit is clear in that slot's mask, is returned at
 * once; when every enabled slot continued, the result is XDP_PASS. Each `progK` is a global
 * function returning 31 until a component replaces it (freplace).
 */
export function dispatcherProgram(slots: number, cfg: DispatcherConfig): { program: ProgramSpec; config: MapSpec } {
  if (!Number.isInteger(slots) || slots < 1 || slots > MAX_DISPATCHER_SLOTS) {
    throw new XdpchainError('E2BIG', `a dispatcher has 1 to ${MAX_DISPATCHER_SLOTS} slots, not ${slots}`);
  }
  if (cfg.enabled > slots) throw new XdpchainError('E2BIG', `${cfg.enabled} programs do not fit a dispatcher with ${slots} slots`);
  const layout = configLayout(slots);
  const b = new ProgramBuilder();
  const CTX = 6;
  const CONF = 7;
  const ENABLED = 8;
  b.emit({ kind: 'alu', bits: 64, op: 'mov', dst: CTX, src: { reg: 1 } });
  const configSlot = b.length;
  b.emit({ kind: 'ld_imm64', dst: CONF, pseudo: PseudoLd.MAP_VALUE, imm: 0n });
  b.emit({ kind: 'load', size: 1, signed: false, dst: ENABLED, base: CONF, off: layout.numEnabled });
  for (let k = 0; k < slots; k++) {
    b.jump('jle', 64, ENABLED, { imm: k }, 'all_continued');
    b.emit({ kind: 'alu', bits: 64, op: 'mov', dst: 1, src: { reg: CTX } });
    b.call(slotFunction(k));
    b.jump('jgt', 32, 0, { imm: DISPATCHER_RETVAL }, 'return_r0');
    b.emit({ kind: 'alu', bits: 32, op: 'mov', dst: 2, src: { reg: 0 } });
    b.emit({ kind: 'alu', bits: 64, op: 'mov', dst: 1, src: { imm: 1 } });
    b.emit({ kind: 'alu', bits: 64, op: 'lsh', dst: 1, src: { reg: 2 } });
    b.emit({ kind: 'load', size: 4, signed: false, dst: 2, base: CONF, off: layout.actions(k) });
    b.emit({ kind: 'alu', bits: 64, op: 'and', dst: 1, src: { reg: 2 } });
    b.jump('jeq', 64, 1, { imm: 0 }, 'return_r0');
  }
  b.label('all_continued');
  b.emit({ kind: 'alu', bits: 64, op: 'mov', dst: 0, src: { imm: XdpAction.PASS } });
  b.label('return_r0');
  b.emit({ kind: 'exit' });
  for (let k = 0; k < slots; k++) {
    b.label(slotFunction(k));
    b.emit({ kind: 'alu', bits: 64, op: 'mov', dst: 0, src: { imm: DISPATCHER_RETVAL } });
    b.emit({ kind: 'exit' });
  }
  const instructions = b.build();
  const names = [DISPATCHER_MAIN, ...Array.from({ length: slots }, (_, k) => slotFunction(k))];
  const btf = xdpFunctionsBtf(names);
  const program: ProgramSpec = {
    name: DISPATCHER_MAIN,
    sectionName: 'xdp',
    type: 'xdp',
    attachType: 'xdp',
    flags: cfg.frags ? 1 << 5 : 0,
    instructions,
    references: [{ slot: configSlot, kind: 'map-value', map: DISPATCHER_CONFIG_MAP, offset: 0 }],
    license: 'GPL',
    kernelVersion: 0,
    funcInfo: names.map((name, i) => ({ slot: i === 0 ? 0 : b.slotOf(name), typeId: XdpBtfIds.firstFunc + i, name })),
    lineInfo: [],
    btf,
    warnings: [],
  };
  const config: MapSpec = {
    name: DISPATCHER_CONFIG_MAP,
    type: 'array',
    keySize: 4,
    valueSize: layout.size,
    maxEntries: 1,
    flags: 0,
    pinning: 'none',
    contents: [],
    initialData: encodeDispatcherConfig(slots, cfg),
    frozen: true,
    keyTypeId: 0,
    valueTypeId: 0,
    btf,
  };
  return { program, config };
}
