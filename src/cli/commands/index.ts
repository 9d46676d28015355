import type { Command } from 'commander';

/** Each command module registers its verbs on the root command. */
export type CommandRegistration = (root: Command) => void;

export const commands: CommandRegistration[] = [];
