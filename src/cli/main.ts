#!/usr/bin/env node
import { Command } from 'commander';
import { loadWasmCodegen } from '../vm/wasm/binaryen.js';
import { commands } from './commands/index.js';

/** Commands that never run a program: they start without the wasm code generator (~1 s). */
const RUNS_NO_PROGRAMS = new Set(['netdev', 'prog', 'chain', 'attach', 'detach', 'freplace', 'map', 'load', 'unload', 'status', 'mprog', 'link', 'inspect', 'asm', 'disasm', 'help']);
/** Subcommands of those that do run programs. */
const RUNS_PROGRAMS = new Set(['prog run']);

const program = new Command();
program
  .name('xdpchain')
  .description("Run and compose clang-compiled XDP programs with the kernel's semantics")
  .version('0.1.0')
  .option('--state <dir>', 'state directory that keeps objects, devices and attachments between invocations (default $XDPCHAIN_STATE or ./.xdpchain)')
  .option('--engine <name>', 'execution engine: wasm (default, compiled) or interp (the reference interpreter); XDPCHAIN_ENGINE sets the default')
  .option('--max-memory <size>', 'most memory for maps, packets and stacks, like 512M or 2G (default and most: 3.75G, what a wasm32 memory leaves beside its shadow table)')
  .showHelpAfterError()
  .hook('preAction', async (root, action) => {
    const engine = (root.opts() as { engine?: string }).engine ?? process.env.XDPCHAIN_ENGINE;
    const path: string[] = [];
    for (let c: Command | null = action; c && c !== root; c = c.parent) path.unshift(c.name());
    if (engine !== 'interp' && (!RUNS_NO_PROGRAMS.has(path[0]) || RUNS_PROGRAMS.has(path.join(' ')))) await loadWasmCodegen();
  });
for (const register of commands) register(program);
await program.parseAsync(process.argv);
