import type { FuzzTarget, TargetName } from '../target.js';
import { asmTarget } from './asm.js';
import { btfTarget } from './btf.js';
import { pcapngTarget, pcapTarget } from './capture.js';
import { elfTarget } from './elf.js';
import { stateTarget } from './state.js';

/** Every target by name. */
export const TARGETS: Record<TargetName, FuzzTarget> = {
  elf: elfTarget,
  btf: btfTarget,
  pcap: pcapTarget,
  pcapng: pcapngTarget,
  state: stateTarget,
  asm: asmTarget,
};
