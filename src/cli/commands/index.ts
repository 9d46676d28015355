import type { Command } from 'commander';
import { registerAsm } from './asm.js';
import { registerConformance } from './conformance.js';
import { registerInspect } from './inspect.js';
import { registerTestRun } from './test-run.js';

/** Each command module registers its verbs on the root command. */
export type CommandRegistration = (root: Command) => void;

export const commands: CommandRegistration[] = [registerConformance, registerAsm, registerInspect, registerTestRun];
