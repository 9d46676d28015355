import type { Command } from 'commander';
import { registerAsm } from './asm.js';
import { registerConformance } from './conformance.js';
import { registerAttach } from './attach.js';
import { registerChain } from './chain.js';
import { registerConntrack } from './conntrack.js';
import { registerDispatch } from './dispatch.js';
import { registerDump } from './dump.js';
import { registerInject } from './inject.js';
import { registerInspect } from './inspect.js';
import { registerLink } from './link.js';
import { registerMap } from './map.js';
import { registerMprog } from './mprog.js';
import { registerNetdev } from './netdev.js';
import { registerProg } from './prog.js';
import { registerRun } from './run.js';
import { registerState } from './state.js';
import { registerTestRun } from './test-run.js';

/** Each command module registers its verbs on the root command. */
export type CommandRegistration = (root: Command) => void;

export const commands: CommandRegistration[] = [
  registerConformance,
  registerAsm,
  registerInspect,
  registerTestRun,
  registerRun,
  registerNetdev,
  registerProg,
  registerChain,
  registerAttach,
  registerMap,
  registerInject,
  registerDispatch,
  registerMprog,
  registerDump,
  registerLink,
  registerConntrack,
  registerState,
];
